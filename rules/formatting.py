"""How dates and amounts are shown to people (es-MX): `07/mar/2024`, `$1,540.42`."""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

_MONTHS = ("ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sep", "oct", "nov", "dic")


def fecha(value: date | datetime, tz: ZoneInfo | None = None) -> str:
    """A date as `07/mar/2024`; an aware datetime is first taken to `tz` (local time)."""
    if isinstance(value, datetime):
        value = (value.astimezone(tz) if tz else value).date()
    return f"{value.day:02d}/{_MONTHS[value.month - 1]}/{value.year}"


def fecha_hora(value: datetime, tz: ZoneInfo) -> str:
    local = value.astimezone(tz)
    return f"{fecha(local)} {local:%H:%M}"


def dinero(value: Decimal | int | str) -> str:
    amount = Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    sign = "-" if amount < 0 else ""
    return f"{sign}${abs(amount):,.2f}"
