"""Rounding exact amounts to cents."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest

from rules.retention.money import round_cents


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        (Fraction(0), "0.00"),
        (Fraction(1, 200), "0.01"),
        (Fraction(-1, 200), "-0.01"),
        (Fraction(-1, 201), "0.00"),
        (Fraction(4999, 1000000), "0.00"),
        (Fraction(123456789, 100), "1234567.89"),
    ],
)
def test_round_cents_is_half_up_away_from_zero(amount: Fraction, text: str) -> None:
    assert round_cents(amount) == Decimal(text)
    assert str(round_cents(amount)) == text
