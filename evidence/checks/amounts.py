"""Comparing and showing amounts the way every check does (DOMAIN §9: ±0.01 MXN)."""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation

TOLERANCE = Decimal("0.01")
EMPTY = "(vacío)"


def same_amount(given: Decimal, expected: Decimal) -> bool:
    return abs(given - expected) <= TOLERANCE


def shown(value: Decimal | int | datetime.date | None) -> str:
    """A value for a finding's message and its ``expected``/``actual``: ISO dates, and decimals
    with at least two places (a number cell read as 15.0 is shown as 15.00, 81.0272 as is)."""
    if value is None:
        return EMPTY
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        exponent = value.as_tuple().exponent
        if isinstance(exponent, int) and exponent > -2:
            return str(value.quantize(TOLERANCE))
    return str(value)


def parse_decimal(text: str | None) -> Decimal | None:
    """An XML decimal attribute, or None when absent or not a finite number (the XSD says why)."""
    if text is None:
        return None
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        return None
    return value if value.is_finite() else None
