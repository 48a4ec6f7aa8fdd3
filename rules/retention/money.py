"""Exact amounts (``Fraction``) rounded half-up, away from zero, to cents: once, when shown."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

__all__ = ["cents", "cents_text", "money_text", "round_cents"]


def cents(amount: Fraction) -> int:
    """``amount`` in cents, rounded half-up (away from zero), exactly."""
    numerator, denominator = amount.as_integer_ratio()
    # floor(|amount| × 100 + 1/2) in one integer division
    rounded = (200 * abs(numerator) + denominator) // (2 * denominator)
    return -rounded if numerator < 0 else rounded


def cents_text(amount_cents: int) -> str:
    """A whole number of cents as a decimal text with 2 places, e.g. ``-0.01``."""
    digits = str(abs(amount_cents)).zfill(3)
    return f"{'-' if amount_cents < 0 else ''}{digits[:-2]}.{digits[-2:]}"


def money_text(amount: Fraction) -> str:
    """``amount`` rounded to cents, as a decimal text with 2 places."""
    return cents_text(cents(amount))


def round_cents(amount: Fraction) -> Decimal:
    """Round half-up (away from zero) to cents, exactly, whatever the magnitude."""
    return Decimal(money_text(amount))
