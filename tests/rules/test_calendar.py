from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rules.calendar import (
    MEXICO_CITY,
    BusinessCalendar,
    add_business_days,
    business_days_before,
    business_days_between,
    nth_business_day_after,
    statutory_rest_days,
)

STATUTORY = BusinessCalendar()


def at(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=MEXICO_CITY)


# --- DOMAIN §4 worked examples -------------------------------------------------------------


def test_test_set_sent_friday_2026_01_09_is_due_2026_03_17():
    assert add_business_days(at(2026, 1, 9), 45).date() == date(2026, 3, 17)


def test_evidence_thursday_2026_03_12_review_due_2026_03_20():
    assert add_business_days(at(2026, 3, 12), 5).date() == date(2026, 3, 20)


def test_new_set_2026_03_25_is_due_2026_04_08():
    assert add_business_days(at(2026, 3, 25), 10).date() == date(2026, 4, 8)


def test_sent_2025_11_03_is_due_2026_01_08_across_the_year_end():
    assert add_business_days(at(2025, 11, 3), 45).date() == date(2026, 1, 8)


# --- statutory rest days -------------------------------------------------------------------

EXPECTED_REST_DAYS = {
    2024: ["01-01", "02-05", "03-18", "05-01", "09-16", "10-01", "11-18", "12-25"],
    2025: ["01-01", "02-03", "03-17", "05-01", "09-16", "11-17", "12-25"],
    2026: ["01-01", "02-02", "03-16", "05-01", "09-16", "11-16", "12-25"],
    2027: ["01-01", "02-01", "03-15", "05-01", "09-16", "11-15", "12-25"],
}


@pytest.mark.parametrize("year", sorted(EXPECTED_REST_DAYS))
def test_statutory_rest_days_are_exactly_lft_art_74(year):
    expected = {date.fromisoformat(f"{year}-{md}") for md in EXPECTED_REST_DAYS[year]}
    assert statutory_rest_days(year) == expected


def test_transmission_day_every_six_years_from_2024():
    assert date(2024, 10, 1) in statutory_rest_days(2024)
    assert date(2030, 10, 1) in statutory_rest_days(2030)
    for year in (2025, 2026, 2027, 2028, 2029):
        assert date(year, 10, 1) not in statutory_rest_days(year)
    assert not STATUTORY.is_business_day(date(2024, 10, 1))  # a Tuesday
    assert STATUTORY.is_business_day(date(2025, 10, 1))  # a Wednesday


def test_days_the_holidays_package_adds_beyond_art_74_are_dropped(monkeypatch):
    year = 2031
    real = holidays.country_holidays("MX", years=year, observed=False)
    extra = {date(year, 1, 2): "observed", date(year, 11, 20): "old date", date(year, 10, 1): "x"}

    def fake(*args, **kwargs):
        return {**dict(real.items()), **extra}

    statutory_rest_days.cache_clear()
    monkeypatch.setattr(holidays, "country_holidays", fake)
    try:
        assert statutory_rest_days(year) == set(real)
        assert statutory_rest_days(year).isdisjoint(extra)
    finally:
        statutory_rest_days.cache_clear()


def test_weekends_are_not_business_days_and_weekdays_are():
    assert not STATUTORY.is_business_day(date(2026, 1, 10))  # Saturday
    assert not STATUTORY.is_business_day(date(2026, 1, 11))  # Sunday
    assert STATUTORY.is_business_day(date(2026, 1, 12))
    assert not STATUTORY.is_business_day(date(2026, 3, 16))  # third Monday of March


# --- published days ------------------------------------------------------------------------


def test_an_extra_published_day_shifts_a_deadline():
    holy_week = BusinessCalendar.with_extra({date(2026, 4, 2), date(2026, 4, 3)})
    assert add_business_days(at(2026, 3, 25), 10).date() == date(2026, 4, 8)
    assert add_business_days(at(2026, 3, 25), 10, holy_week).date() == date(2026, 4, 10)
    assert not holy_week.is_business_day(date(2026, 4, 2))
    assert holy_week.non_working_days(2026) == statutory_rest_days(2026) | {
        date(2026, 4, 2),
        date(2026, 4, 3),
    }


def test_extra_days_must_be_plain_dates():
    with pytest.raises(TypeError):
        BusinessCalendar.with_extra([datetime(2026, 4, 2, tzinfo=UTC)])


def test_calendars_compare_by_their_extra_days_not_their_cache():
    first = BusinessCalendar.with_extra([date(2026, 4, 2)])
    first.is_business_day(date(2026, 4, 2))
    assert first == BusinessCalendar.with_extra([date(2026, 4, 2)])
    assert hash(first) == hash(BusinessCalendar.with_extra([date(2026, 4, 2)]))


# --- where counting starts -----------------------------------------------------------------


def test_deadline_is_end_of_day_in_mexico_city():
    deadline = add_business_days(at(2026, 1, 9), 45)
    assert deadline == datetime.combine(date(2026, 3, 17), time.max, tzinfo=MEXICO_CITY)
    assert deadline.utcoffset() == timedelta(hours=-6)


def test_late_night_event_given_in_utc_counts_from_its_mexico_city_date():
    # 23:30 of Thursday 12 March in Mexico City is already Friday 05:30 in UTC.
    late = datetime(2026, 3, 13, 5, 30, tzinfo=UTC)
    assert late.astimezone(MEXICO_CITY).date() == date(2026, 3, 12)
    assert add_business_days(late, 5).date() == date(2026, 3, 20)
    assert add_business_days(datetime(2026, 3, 13, 6, 0, tzinfo=UTC), 5).date() == date(2026, 3, 23)


def test_event_in_another_time_zone_is_converted_first():
    tokyo = datetime(2026, 3, 13, 14, 30, tzinfo=ZoneInfo("Asia/Tokyo"))  # 12 Mar 23:30 CDMX
    assert add_business_days(tokyo, 5).date() == date(2026, 3, 20)


def test_event_on_a_weekend_counts_from_the_next_business_day():
    friday = add_business_days(at(2026, 1, 9), 1).date()
    assert friday == date(2026, 1, 12)
    assert add_business_days(at(2026, 1, 10), 1).date() == date(2026, 1, 12)
    assert add_business_days(at(2026, 1, 11, 23, 59), 1).date() == date(2026, 1, 12)
    assert add_business_days(at(2026, 1, 10), 45).date() == date(2026, 3, 17)


def test_event_on_a_holiday_counts_from_the_next_business_day():
    # Monday 16 March 2026 is a rest day: Friday 13th, the 16th itself and Sunday all count
    # from Tuesday the 17th.
    for event in (at(2026, 3, 13), at(2026, 3, 15), at(2026, 3, 16)):
        assert add_business_days(event, 1).date() == date(2026, 3, 17)


def test_naive_event_is_rejected():
    with pytest.raises(ValueError, match="zona horaria"):
        add_business_days(datetime(2026, 1, 9, 10, 0), 45)


@pytest.mark.parametrize("n", [0, -1])
def test_terms_must_be_at_least_one_business_day(n):
    with pytest.raises(ValueError):
        add_business_days(at(2026, 1, 9), n)
    with pytest.raises(ValueError):
        business_days_before(date(2026, 3, 17), n)


# --- reminders and counting ----------------------------------------------------------------


def test_reminders_10_and_3_business_days_before_a_deadline():
    assert business_days_before(date(2026, 3, 17), 10) == date(2026, 3, 2)
    assert business_days_before(date(2026, 3, 17), 3) == date(2026, 3, 11)
    # Across New Year and Christmas: 7, 6, 5, 2 Jan, 31, 30, 29, 26, 24, 23 Dec.
    assert business_days_before(date(2026, 1, 8), 10) == date(2025, 12, 23)


def test_business_days_between_counts_after_start_through_end():
    assert business_days_between(date(2026, 1, 9), date(2026, 3, 17)) == 45
    assert business_days_between(date(2026, 3, 17), date(2026, 1, 9)) == -45
    assert business_days_between(date(2026, 1, 9), date(2026, 1, 9)) == 0
    assert business_days_between(date(2026, 1, 9), date(2026, 1, 11)) == 0
    assert business_days_between(date(2026, 1, 9), date(2026, 1, 12)) == 1


# --- properties ----------------------------------------------------------------------------

days = st.dates(min_value=date(2023, 1, 1), max_value=date(2031, 12, 31))
extra_days = st.frozensets(st.dates(min_value=date(2023, 1, 1), max_value=date(2032, 12, 31)))
calendars = extra_days.map(BusinessCalendar.with_extra)
terms = st.integers(min_value=1, max_value=400)


def walk_forward(day: date, n: int, cal: BusinessCalendar) -> date:
    while n:
        day += timedelta(days=1)
        n -= cal.is_business_day(day)
    return day


def count_by_walking(start: date, end: date, cal: BusinessCalendar) -> int:
    return sum(
        cal.is_business_day(start + timedelta(days=i)) for i in range(1, (end - start).days + 1)
    )


@settings(max_examples=200, deadline=None)
@given(day=days, n=terms, cal=calendars, hour=st.integers(0, 23))
def test_add_then_between_gives_back_n(day, n, cal, hour):
    deadline = add_business_days(at(day.year, day.month, day.day, hour), n, cal)
    assert cal.is_business_day(deadline.date())
    assert business_days_between(day, deadline.date(), cal) == n
    assert deadline.date() == walk_forward(day, n, cal)


@settings(max_examples=200, deadline=None)
@given(start=days, end=days, cal=calendars)
def test_between_matches_a_day_by_day_count(start, end, cal):
    low, high = sorted((start, end))
    expected = count_by_walking(low, high, cal)
    assert business_days_between(low, high, cal) == expected
    assert business_days_between(high, low, cal) == -expected


@settings(max_examples=200, deadline=None)
@given(a=days, b=days, c=days, cal=calendars)
def test_between_is_additive(a, b, c, cal):
    assert business_days_between(a, b, cal) + business_days_between(b, c, cal) == (
        business_days_between(a, c, cal)
    )


@settings(max_examples=200, deadline=None)
@given(day=days, n=terms, later=st.integers(0, 30), cal=calendars)
def test_deadlines_are_monotonic_in_term_and_event(day, n, later, cal):
    deadline = nth_business_day_after(day, n, cal)
    assert nth_business_day_after(day, n + 1, cal) > deadline
    assert nth_business_day_after(day + timedelta(days=later), n, cal) >= deadline


@settings(max_examples=200, deadline=None)
@given(day=days, n=terms, cal=calendars)
def test_before_is_the_inverse_of_after_on_business_days(day, n, cal):
    deadline = nth_business_day_after(day, 1, cal)
    reminder = business_days_before(deadline, n, cal)
    assert cal.is_business_day(reminder)
    assert business_days_between(reminder, deadline, cal) == n
    assert nth_business_day_after(reminder, n, cal) == deadline


@settings(max_examples=100, deadline=None)
@given(day=days, cal=calendars)
def test_extra_days_never_bring_a_deadline_earlier(day, cal):
    assert nth_business_day_after(day, 45, cal) >= nth_business_day_after(day, 45, STATUTORY)
