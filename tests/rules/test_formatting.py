from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from rules.formatting import dinero, fecha, fecha_hora

MX = ZoneInfo("America/Mexico_City")


def test_dates_in_spanish_short_form():
    assert fecha(date(2024, 3, 7)) == "07/mar/2024"
    assert fecha(date(2026, 12, 1)) == "01/dic/2026"
    # 03:00 UTC on 8 Mar is still 7 Mar in Mexico City.
    assert fecha(datetime(2024, 3, 8, 3, 0, tzinfo=UTC), MX) == "07/mar/2024"
    assert fecha_hora(datetime(2024, 3, 8, 3, 5, tzinfo=UTC), MX) == "07/mar/2024 21:05"


def test_money_with_thousands_and_cents():
    assert dinero(Decimal("1540.42")) == "$1,540.42"
    assert dinero("0.005") == "$0.01"
    assert dinero(1234567) == "$1,234,567.00"
    assert dinero(Decimal("-15")) == "-$15.00"
