"""Start, stop and read the clocks of a certification (DOMAIN §3, §4).

The state machine starts a clock when a certification enters a timed state and stops it when it
leaves; the deadline scan (``workflow.deadlines``) acts on each of its moments. Terms are counted
in business days from the first business day after the event and end at 23:59:59 (Mexico City
time) of the last one; they are stored in UTC.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from core.config import get_settings
from rules.calendar import (
    BusinessCalendar,
    add_business_days,
    business_days_before,
    business_days_between,
)
from schema import (
    Certification,
    Clock,
    ClockActionRecord,
    ClockKind,
    ClockState,
    DeadlineAction,
)

FIRST_ROUND_TERM = 45  # business days to upload evidence (DOMAIN §3)
LATER_ROUND_TERM = 10
REVIEW_SLA_DAYS = 5
REMINDER_THRESHOLDS = (10, 3, 0)  # business days before the last day (DOMAIN §3 *Decision*)
REMINDER_TIME = time(9, 0)  # local time a reminder goes out on its day
_JUST_AFTER = timedelta(microseconds=1)  # a deadline is over once its last instant has passed


def term_days(kind: ClockKind, round: int) -> int:
    if kind is ClockKind.REVISION:
        return REVIEW_SLA_DAYS
    return FIRST_ROUND_TERM if round == 1 else LATER_ROUND_TERM


@dataclass(frozen=True)
class Moment:
    """Something a clock asks for, due once ``at`` has come."""

    action: DeadlineAction
    threshold: int
    at: datetime

    @property
    def key(self) -> tuple[DeadlineAction, int]:
        return self.action, self.threshold


def moments(clock: Clock, calendar: BusinessCalendar, tz: ZoneInfo) -> Iterator[Moment]:
    """Every moment of ``clock``, in time order.

    A reminder falls on a business day ``threshold`` business days before the last day (the last
    day itself for 0), at 09:00 local; one that would fall on or before the day the term started
    does not apply (a 10-day round has no "10 days left" reminder).
    """
    if clock.kind is ClockKind.REVISION:
        yield Moment(DeadlineAction.ALERTA_SLA, 0, clock.due_at + _JUST_AFTER)
        return
    last_day = clock.due_at.astimezone(tz).date()
    first_day = clock.started_at.astimezone(tz).date()
    for threshold in REMINDER_THRESHOLDS:
        day = last_day if threshold == 0 else business_days_before(last_day, threshold, calendar)
        if day > first_day:
            at = datetime.combine(day, REMINDER_TIME, tzinfo=tz)
            yield Moment(DeadlineAction.RECORDATORIO, threshold, at)
    yield Moment(DeadlineAction.VENCIMIENTO, 0, clock.due_at + _JUST_AFTER)


def pending(
    clock: Clock,
    calendar: BusinessCalendar,
    tz: ZoneInfo,
    done: Collection[tuple[DeadlineAction, int]],
) -> list[Moment]:
    return [moment for moment in moments(clock, calendar, tz) if moment.key not in done]


def done_actions(session: Session, clock: Clock) -> set[tuple[DeadlineAction, int]]:
    rows = session.exec(
        select(ClockActionRecord.kind, ClockActionRecord.threshold).where(
            ClockActionRecord.clock_id == clock.id
        )
    ).all()
    return {(DeadlineAction(kind), threshold) for kind, threshold in rows}


def reschedule(session: Session, clock: Clock, calendar: BusinessCalendar) -> None:
    """Point ``next_at`` at the clock's next pending moment (None when nothing is left)."""
    left = pending(clock, calendar, get_settings().tz, done_actions(session, clock))
    clock.next_at = left[0].at if left and clock.state is ClockState.CORRIENDO else None
    session.add(clock)


def start_clock(
    session: Session,
    certification: Certification,
    kind: ClockKind,
    started_at: datetime,
    calendar: BusinessCalendar,
) -> Clock:
    """The clock of ``kind`` for the certification's current round, starting at ``started_at``."""
    assert certification.id is not None
    term = term_days(kind, certification.round)
    clock = Clock(
        certification_id=certification.id,
        round=certification.round,
        kind=kind,
        state=ClockState.CORRIENDO,
        started_at=started_at,
        term_days=term,
        due_at=add_business_days(started_at, term, calendar, get_settings().tz),
    )
    session.add(clock)
    session.flush()
    reschedule(session, clock, calendar)
    return clock


def stop_clock(
    session: Session, certification: Certification, kind: ClockKind, at: datetime
) -> Clock | None:
    """Stop the running clock of ``kind`` of the current round: what it guarded happened."""
    clock = running_clock(session, certification, kind)
    if clock is None:
        return None
    clock.state = ClockState.DETENIDO
    clock.stopped_at = at
    clock.next_at = None
    session.add(clock)
    return clock


def current_clock(session: Session, certification: Certification, kind: ClockKind) -> Clock | None:
    """The clock of ``kind`` of the certification's current round, whatever its state."""
    return session.exec(
        select(Clock).where(
            Clock.certification_id == certification.id,
            Clock.round == certification.round,
            Clock.kind == kind,
        )
    ).first()


def running_clock(session: Session, certification: Certification, kind: ClockKind) -> Clock | None:
    clock = current_clock(session, certification, kind)
    return clock if clock is not None and clock.state is ClockState.CORRIENDO else None


def business_days_left(clock: Clock, now: datetime, calendar: BusinessCalendar) -> int:
    """Business days after today up to the last day (0 on the last day and once it is over)."""
    tz = get_settings().tz
    today, last_day = now.astimezone(tz).date(), clock.due_at.astimezone(tz).date()
    return max(0, business_days_between(today, last_day, calendar))


@dataclass(frozen=True)
class Moved:
    clock: Clock
    before: datetime


def recompute_running_clocks(
    session: Session, calendar: BusinessCalendar, changed: date, now: datetime
) -> list[Moved]:
    """After ``changed`` became (or stopped being) a non-working day: new deadlines for the
    running clocks whose count it falls in. A deadline that has passed is never reopened."""
    tz = get_settings().tz
    day_starts = datetime.combine(changed, time.min, tzinfo=tz)
    moved = []
    for clock in session.exec(
        select(Clock)
        .where(
            Clock.state == ClockState.CORRIENDO,
            col(Clock.started_at) < day_starts,
            col(Clock.due_at) >= max(day_starts, now),
        )
        .order_by(col(Clock.id))
        .with_for_update()
    ):
        due = add_business_days(clock.started_at, clock.term_days, calendar, tz)
        if due != clock.due_at:
            moved.append(Moved(clock, clock.due_at))
            clock.due_at = due
            reschedule(session, clock, calendar)
    return moved


@dataclass(frozen=True)
class Deadline:
    """A clock as people are shown it."""

    kind: ClockKind
    round: int
    state: ClockState
    started_at: datetime
    term_days: int
    due_at: datetime
    days_left: int | None  # business days after today; None once the clock is not running


def deadlines(
    session: Session, certification: Certification, now: datetime, calendar: BusinessCalendar
) -> list[Deadline]:
    """Every clock of the certification, oldest first."""
    shown = []
    for clock in session.exec(
        select(Clock)
        .where(Clock.certification_id == certification.id)
        .order_by(col(Clock.round), col(Clock.id))
    ):
        running = clock.state is ClockState.CORRIENDO
        left = business_days_left(clock, now, calendar) if running else None
        shown.append(
            Deadline(
                clock.kind,
                clock.round,
                clock.state,
                clock.started_at,
                clock.term_days,
                clock.due_at,
                left,
            )
        )
    return shown
