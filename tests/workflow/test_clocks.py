"""What a clock asks for and when: reminders on business days before the last day, the expiry
or SLA alert just after it (DOMAIN §3, §4)."""

from datetime import date, datetime, timedelta

import pytest

from rules.calendar import MEXICO_CITY, BusinessCalendar, add_business_days
from schema import Clock, ClockKind, ClockState, DeadlineAction
from workflow.clocks import business_days_left, moments, term_days

CALENDAR = BusinessCalendar()  # statutory days only, as in 2026


def _clock(kind: ClockKind, started: datetime, term: int) -> Clock:
    return Clock(
        certification_id=1,
        round=1,
        kind=kind,
        state=ClockState.CORRIENDO,
        started_at=started,
        term_days=term,
        due_at=add_business_days(started, term, CALENDAR, MEXICO_CITY),
    )


def _summary(clock: Clock) -> list[tuple[str, int, str]]:
    return [
        (m.action.value, m.threshold, m.at.astimezone(MEXICO_CITY).isoformat(timespec="minutes"))
        for m in moments(clock, CALENDAR, MEXICO_CITY)
    ]


def test_a_45_day_term_reminds_10_3_and_0_business_days_before_then_expires():
    clock = _clock(ClockKind.EVIDENCIA, datetime(2026, 1, 9, 10, tzinfo=MEXICO_CITY), 45)
    assert _summary(clock) == [
        ("recordatorio", 10, "2026-03-02T09:00-06:00"),
        ("recordatorio", 3, "2026-03-11T09:00-06:00"),  # Mon 03-16 is a rest day by law
        ("recordatorio", 0, "2026-03-17T09:00-06:00"),
        ("vencimiento", 0, "2026-03-18T00:00-06:00"),
    ]


def test_a_10_day_term_has_no_reminder_on_the_day_it_starts():
    clock = _clock(ClockKind.EVIDENCIA, datetime(2026, 3, 25, 8, tzinfo=MEXICO_CITY), 10)
    assert [(a, t) for a, t, _ in _summary(clock)] == [
        ("recordatorio", 3),
        ("recordatorio", 0),
        ("vencimiento", 0),
    ]


def test_the_review_sla_only_alerts_once_it_is_over():
    clock = _clock(ClockKind.REVISION, datetime(2026, 3, 12, 10, tzinfo=MEXICO_CITY), 5)
    [moment] = list(moments(clock, CALENDAR, MEXICO_CITY))
    assert moment.action is DeadlineAction.ALERTA_SLA
    assert moment.at.astimezone(MEXICO_CITY) == datetime(2026, 3, 21, tzinfo=MEXICO_CITY)


@pytest.mark.parametrize(
    ("kind", "round", "days"),
    [(ClockKind.EVIDENCIA, 1, 45), (ClockKind.EVIDENCIA, 2, 10), (ClockKind.REVISION, 3, 5)],
)
def test_terms(kind, round, days):
    assert term_days(kind, round) == days


@pytest.mark.parametrize(
    ("today", "left"),
    [
        (date(2026, 3, 11), 3),
        (date(2026, 3, 13), 1),  # Monday 03-16 is not counted
        (date(2026, 3, 17), 0),
        (date(2026, 3, 20), 0),
    ],
)
def test_business_days_left_count_after_today_up_to_the_last_day(today, left):
    clock = _clock(ClockKind.EVIDENCIA, datetime(2026, 1, 9, 10, tzinfo=MEXICO_CITY), 45)
    now = datetime.combine(today, datetime.min.time(), MEXICO_CITY) + timedelta(hours=12)
    assert business_days_left(clock, now, CALENDAR) == left
