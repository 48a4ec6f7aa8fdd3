"""Business days and deadlines (DOMAIN §4).

A business day is a Monday–Friday that is neither a statutory rest day (Ley Federal del Trabajo
art. 74) nor one of the extra non-working days INFONAVIT publishes (the administrators' table).

Conventions shared by every function here, so that they agree with each other:

* A term of N business days counts from the first business day *after* the event's local date
  (America/Mexico_City), and ends at the end of the N-th one: ``time.max`` (23:59:59.999999), so
  that "the deadline has passed" is simply ``now > deadline`` with no gap of a second.
* ``business_days_between(start, end)`` counts the business days *d* with ``start < d <= end``
  (negated when ``end < start``). Hence, for any event and ``n >= 1``,
  ``business_days_between(event_date, add_business_days(event, n).date()) == n``.
* ``business_days_before(day, n)`` is the n-th business day strictly before *day*; for a business
  day *day* it is the inverse of counting forward: ``business_days_between(it, day) == n``.
"""

from __future__ import annotations

import functools
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import holidays

MEXICO_CITY = ZoneInfo("America/Mexico_City")

_FIXED_REST_DAYS = frozenset({(1, 1), (5, 1), (9, 16), (12, 25)})
# month -> which Monday of it is the rest day (first Monday of February, third of March and of
# November).
_MONDAY_REST_DAYS = {2: 1, 3: 3, 11: 3}
# 1 October every six years, when the federal executive power changes hands (2024 reform).
_TRANSMISSION_YEAR = 2024
_TRANSMISSION_PERIOD = 6


def _is_art74_rest_day(day: date) -> bool:
    if (day.month, day.day) in _FIXED_REST_DAYS:
        return True
    if (day.month, day.day) == (10, 1):
        years_since = day.year - _TRANSMISSION_YEAR
        return years_since >= 0 and years_since % _TRANSMISSION_PERIOD == 0
    nth = _MONDAY_REST_DAYS.get(day.month)
    return nth is not None and day.weekday() == 0 and (day.day - 1) // 7 + 1 == nth


@functools.cache
def statutory_rest_days(year: int) -> frozenset[date]:
    """The LFT art. 74 rest days of *year*, exactly as DOMAIN §4 lists them.

    The dates come from the ``holidays`` package; whatever it yields that art. 74 does not name
    (observed days, commemorations, a future package change) is dropped, because a deadline must
    not move with a dependency upgrade. Years before 2024 follow the current article too (the old
    1 December transmission day is not modelled: no deadline of this back office falls there).
    """
    yielded = holidays.country_holidays("MX", years=year, observed=False)
    return frozenset(day for day in yielded if _is_art74_rest_day(day))


@dataclass(frozen=True)
class _Year:
    non_working: frozenset[date]
    # Ordinals of the year's business days in ascending order: counting and stepping become
    # binary searches instead of day-by-day walks.
    business: tuple[int, ...]


@dataclass(frozen=True)
class BusinessCalendar:
    """Statutory rest days plus *extra* non-working dates (the published table).

    Immutable and hashable by its extra dates; each year's business days are computed on first
    use and cached on the instance, so build one calendar and query it many times.
    """

    extra: frozenset[date] = frozenset()
    _years: dict[int, _Year] = field(
        default_factory=dict, init=False, repr=False, compare=False, hash=False
    )

    def __post_init__(self) -> None:
        # A datetime never equals a date, so it would silently fail to block its day.
        wrong = sorted(repr(d) for d in self.extra if not _is_plain_date(d))
        if wrong:
            raise TypeError(f"Los días inhábiles deben ser fechas sin hora: {', '.join(wrong)}")

    @classmethod
    def with_extra(cls, dates: Iterable[date]) -> BusinessCalendar:
        return cls(extra=frozenset(dates))

    def non_working_days(self, year: int) -> frozenset[date]:
        """Statutory and published non-working days of *year* (weekends not included)."""
        return self._year(year).non_working

    def is_business_day(self, day: date) -> bool:
        return day.weekday() < 5 and day not in self._year(day.year).non_working

    def _year(self, year: int) -> _Year:
        cached = self._years.get(year)
        if cached is None:
            non_working = statutory_rest_days(year) | {d for d in self.extra if d.year == year}
            ordinals = range(date(year, 1, 1).toordinal(), date(year, 12, 31).toordinal() + 1)
            business = tuple(
                o
                for o in ordinals
                if (d := date.fromordinal(o)).weekday() < 5 and d not in non_working
            )
            cached = _Year(non_working=non_working, business=business)
            self._years[year] = cached
        return cached

    def _business(self, year: int) -> tuple[int, ...]:
        return self._year(year).business


def _is_plain_date(value: object) -> bool:
    return isinstance(value, date) and not isinstance(value, datetime)


_STATUTORY_ONLY = BusinessCalendar()


def _require_positive(n: int) -> None:
    if n < 1:
        raise ValueError(f"El número de días hábiles debe ser al menos 1 (se recibió {n}).")


def nth_business_day_after(day: date, n: int, calendar: BusinessCalendar | None = None) -> date:
    """The n-th business day strictly after *day* (``n >= 1``)."""
    _require_positive(n)
    cal = calendar or _STATUTORY_ONLY
    year = day.year
    business = cal._business(year)
    index = bisect_right(business, day.toordinal()) + n - 1
    while index >= len(business):
        index -= len(business)
        year += 1
        business = cal._business(year)
    return date.fromordinal(business[index])


def business_days_before(
    deadline_date: date, n: int, calendar: BusinessCalendar | None = None
) -> date:
    """The n-th business day strictly before *deadline_date* (``n >= 1``), e.g. for reminders."""
    _require_positive(n)
    cal = calendar or _STATUTORY_ONLY
    year = deadline_date.year
    index = bisect_left(cal._business(year), deadline_date.toordinal()) - n
    while index < 0:
        year -= 1
        index += len(cal._business(year))
    return date.fromordinal(cal._business(year)[index])


def business_days_between(start: date, end: date, calendar: BusinessCalendar | None = None) -> int:
    """Business days *d* with ``start < d <= end``; negative (antisymmetric) if ``end < start``."""
    if end < start:
        return -business_days_between(end, start, calendar)
    cal = calendar or _STATUTORY_ONLY
    total = sum(len(cal._business(year)) for year in range(start.year, end.year + 1))
    last = cal._business(end.year)
    not_before_start = bisect_right(cal._business(start.year), start.toordinal())
    after_end = len(last) - bisect_right(last, end.toordinal())
    return total - not_before_start - after_end


def add_business_days(
    event: datetime,
    n: int,
    calendar: BusinessCalendar | None = None,
    tz: ZoneInfo = MEXICO_CITY,
) -> datetime:
    """Deadline of a term of *n* business days starting with *event* (DOMAIN §4 *Decision*).

    *event* must be timezone-aware; its local date in *tz* decides the first counted day (an email
    sent at 23:30 in Mexico City counts from that local day even if it is already tomorrow in
    UTC). Returns the end of the n-th business day (``time.max``) in *tz*.
    """
    if event.tzinfo is None or event.utcoffset() is None:
        raise ValueError("La fecha y hora del evento debe indicar su zona horaria.")
    last_day = nth_business_day_after(event.astimezone(tz).date(), n, calendar)
    return datetime.combine(last_day, time.max, tzinfo=tz)
