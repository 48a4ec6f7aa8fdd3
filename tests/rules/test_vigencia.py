"""The vigencia of a relación de confianza (rules.vigencia): its calendar dates, the moment it
ends, and the notices owed before that."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rules.calendar import MEXICO_CITY
from rules.vigencia import (
    NOTICE_DAYS,
    VIGENCIAS,
    Notice,
    add_months,
    first_notice,
    following,
    notice_of,
    notices,
    settle,
    vigencia,
)

# A relationship registered 07/mar/2024 for a year ends at the start of 07/mar/2025, local time.
EXPIRES = datetime(2025, 3, 7, 0, 0, tzinfo=MEXICO_CITY)


@pytest.mark.parametrize(
    ("start", "months", "end"),
    [
        (date(2023, 1, 31), 1, date(2023, 2, 28)),
        (date(2024, 1, 31), 1, date(2024, 2, 29)),  # leap year
        (date(2023, 12, 31), 12, date(2024, 12, 31)),
        (date(2023, 12, 31), 2, date(2024, 2, 29)),  # across the year, into a leap February
        (date(2024, 12, 31), 2, date(2025, 2, 28)),
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
        (date(2024, 2, 29), 48, date(2028, 2, 29)),
        (date(2024, 8, 31), 3, date(2024, 11, 30)),
        (date(2024, 3, 31), 6, date(2024, 9, 30)),
        (date(2024, 3, 7), 12, date(2025, 3, 7)),
        (date(2024, 11, 15), 3, date(2025, 2, 15)),
        (date(2024, 5, 31), 0, date(2024, 5, 31)),
    ],
)
def test_add_months_clamps_to_the_last_day_of_the_month(start, months, end):
    assert add_months(start, months) == end


def test_add_months_refuses_negative_months():
    with pytest.raises(ValueError, match="negative"):
        add_months(date(2024, 3, 7), -1)


def test_the_vigencias_offered():
    assert VIGENCIAS == {3: "3 meses", 6: "6 meses", 12: "1 año", 24: "2 años"}


def test_the_start_is_the_local_date_even_when_utc_is_already_the_next_day():
    # 03:00 UTC on 08/mar is 21:00 of 07/mar in Mexico City.
    span = vigencia(datetime(2024, 3, 8, 3, 0, tzinfo=UTC), 12, MEXICO_CITY)
    assert span.starts_on == date(2024, 3, 7)
    assert span.ends_on == date(2025, 3, 7)
    assert span.expires_at == EXPIRES
    assert span.expires_at == datetime(2025, 3, 7, 6, 0, tzinfo=UTC)
    # The last minute before local midnight, and local midnight itself.
    assert vigencia(datetime(2024, 3, 8, 5, 59, tzinfo=UTC), 3, MEXICO_CITY).starts_on == date(
        2024, 3, 7
    )
    at_midnight = vigencia(datetime(2024, 3, 8, 6, 0, tzinfo=UTC), 3, MEXICO_CITY)
    assert at_midnight.starts_on == date(2024, 3, 8) and at_midnight.ends_on == date(2024, 6, 8)


def test_the_end_is_the_start_of_fin_de_vigencia_local_time():
    span = vigencia(datetime(2024, 1, 31, 23, 30, tzinfo=MEXICO_CITY), 3, MEXICO_CITY)
    assert (span.starts_on, span.ends_on) == (date(2024, 1, 31), date(2024, 4, 30))
    local = span.expires_at.astimezone(MEXICO_CITY)
    assert local.date() == span.ends_on and local.time() == time(0, 0)
    assert span.expires_at == datetime(2024, 4, 30, 6, 0, tzinfo=UTC)


@pytest.mark.parametrize("months", [0, 1, 5, 36, -3])
def test_a_vigencia_that_is_not_offered_is_refused(months):
    with pytest.raises(ValueError, match="unknown vigencia"):
        vigencia(datetime(2024, 3, 7, 12, tzinfo=UTC), months, MEXICO_CITY)


def test_the_notices_are_15_days_and_1_day_before_then_the_expiry_in_order():
    assert NOTICE_DAYS == (15, 1)
    assert notices(EXPIRES) == (
        Notice(15, EXPIRES - timedelta(days=15)),
        Notice(1, EXPIRES - timedelta(days=1)),
        Notice(None, EXPIRES),
    )
    ats = [n.at for n in notices(EXPIRES)]
    assert ats == sorted(ats)
    # Each at local midnight.
    assert {n.at.astimezone(MEXICO_CITY).time() for n in notices(EXPIRES)} == {time(0, 0)}
    assert notice_of(EXPIRES, 15).at.astimezone(MEXICO_CITY).date() == date(2025, 2, 20)
    assert notice_of(EXPIRES, 1).at.astimezone(MEXICO_CITY).date() == date(2025, 3, 6)
    assert notice_of(EXPIRES, None) == Notice(None, EXPIRES)


def test_a_fresh_relationship_is_owed_the_15_day_reminder_first():
    registered = datetime(2024, 3, 7, 10, tzinfo=MEXICO_CITY)
    for months in VIGENCIAS:
        span = vigencia(registered, months, MEXICO_CITY)
        assert first_notice(span.expires_at, registered) == notice_of(span.expires_at, 15)


def test_a_due_reminder_not_overtaken_is_itself():
    fifteen = notice_of(EXPIRES, 15)
    assert settle(EXPIRES, fifteen, fifteen.at) == fifteen
    assert settle(EXPIRES, fifteen, EXPIRES - timedelta(days=2)) == fifteen
    one = notice_of(EXPIRES, 1)
    assert settle(EXPIRES, one, one.at) == one
    assert settle(EXPIRES, one, EXPIRES - timedelta(seconds=1)) == one


def test_settle_skips_the_reminders_a_later_notice_overtook():
    fifteen = notice_of(EXPIRES, 15)
    # Down for 14 days and a half after the 15-day reminder was due: only the 1-day one.
    assert settle(EXPIRES, fifteen, fifteen.at + timedelta(days=14, hours=12)) == notice_of(
        EXPIRES, 1
    )
    # Down for 20 days: only the expiry.
    assert settle(EXPIRES, fifteen, fifteen.at + timedelta(days=20)) == notice_of(EXPIRES, None)
    # At the very moment it expires, the expiry wins.
    assert settle(EXPIRES, fifteen, EXPIRES) == notice_of(EXPIRES, None)
    assert settle(EXPIRES, notice_of(EXPIRES, 1), EXPIRES) == notice_of(EXPIRES, None)
    assert settle(EXPIRES, notice_of(EXPIRES, None), EXPIRES + timedelta(days=400)) == notice_of(
        EXPIRES, None
    )


def test_following_walks_the_notices_and_ends_after_the_expiry():
    assert following(EXPIRES, notice_of(EXPIRES, 15)) == notice_of(EXPIRES, 1)
    assert following(EXPIRES, notice_of(EXPIRES, 1)) == notice_of(EXPIRES, None)
    assert following(EXPIRES, notice_of(EXPIRES, None)) is None


# --- Properties --------------------------------------------------------------------------------

starts = st.dates(min_value=date(2000, 1, 1), max_value=date(2200, 12, 31))
months_offered = st.sampled_from(sorted(VIGENCIAS))


@settings(max_examples=300, deadline=None)
@given(start=starts, months=months_offered)
def test_the_end_is_later_never_on_a_later_day_of_the_month_and_months_apart(start, months):
    end = add_months(start, months)
    assert end > start
    assert end.day <= start.day
    assert (end.year * 12 + end.month) - (start.year * 12 + start.month) == months
    if start.day <= 28:
        assert end.day == start.day


@settings(max_examples=300, deadline=None)
@given(
    moment=st.datetimes(
        min_value=datetime(2000, 1, 1),
        max_value=datetime(2200, 1, 1),
        timezones=st.just(UTC),
    ),
    months=months_offered,
)
def test_any_registration_ends_at_a_local_midnight_after_it(moment, months):
    span = vigencia(moment, months, MEXICO_CITY)
    assert span.starts_on == moment.astimezone(MEXICO_CITY).date()
    assert span.ends_on > span.starts_on and span.ends_on.day <= span.starts_on.day
    assert span.expires_at > moment
    local = span.expires_at.astimezone(MEXICO_CITY)
    assert (local.date(), local.time()) == (span.ends_on, time(0, 0))
    # The first notice is the 15-day reminder, still ahead; the chain ends with the expiry.
    first = first_notice(span.expires_at, moment)
    assert first.days_before == 15 and first.at > moment
    chain = [first]
    while (after := following(span.expires_at, chain[-1])) is not None:
        chain.append(after)
    assert [n.days_before for n in chain] == [15, 1, None]
