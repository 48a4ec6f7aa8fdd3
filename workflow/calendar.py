"""The business-day calendar as the database knows it (statutory days plus the published table),
and its administration: adding or removing a published non-working day moves the deadlines that
are still running (DOMAIN §4)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, col, select

from core.clock import utcnow
from rules.calendar import BusinessCalendar, statutory_rest_days
from rules.formatting import fecha
from schema import NonWorkingDay
from workflow.audit import record_event
from workflow.clocks import Moved, recompute_running_clocks
from workflow.refusals import CalendarReason, CalendarRefused

_MAX_REASON = 200  # NonWorkingDay.description


def load_calendar(session: Session) -> BusinessCalendar:
    days = session.exec(select(col(NonWorkingDay.day))).all()
    return BusinessCalendar.with_extra(days)


@dataclass(frozen=True)
class DayOff:
    day: date
    reason: str
    statutory: bool  # by law (LFT art. 74), not removable


def non_working_days(session: Session, year: int) -> list[DayOff]:
    """Every non-working weekday-or-not of ``year``: the statutory ones and the published ones."""
    published = {
        row.day: row.description
        for row in session.exec(
            select(NonWorkingDay).where(
                col(NonWorkingDay.day) >= date(year, 1, 1),
                col(NonWorkingDay.day) <= date(year, 12, 31),
            )
        )
    }
    statutory = statutory_rest_days(year)
    days = {d: DayOff(d, "Descanso obligatorio (LFT art. 74)", True) for d in statutory}
    days |= {d: DayOff(d, r, False) for d, r in published.items() if d not in statutory}
    return [days[d] for d in sorted(days)]


@dataclass(frozen=True)
class CalendarChange:
    day: date
    moved: list[Moved]


def add_non_working_day(session: Session, day: date, reason: str, *, actor: str) -> CalendarChange:
    """Publish ``day`` as non-working; the running deadlines it falls in move one business day."""
    reason = " ".join(reason.split())
    if not reason:
        raise CalendarRefused(CalendarReason.NO_REASON, "Indique el motivo del día inhábil.")
    if len(reason) > _MAX_REASON:
        raise CalendarRefused(
            CalendarReason.NO_REASON, f"El motivo admite a lo más {_MAX_REASON} caracteres."
        )
    if day in statutory_rest_days(day.year):
        raise CalendarRefused(
            CalendarReason.ALREADY_NON_WORKING,
            f"El {fecha(day)} ya es inhábil: es día de descanso obligatorio por ley.",
        )
    if day.weekday() >= 5:
        raise CalendarRefused(
            CalendarReason.ALREADY_NON_WORKING, f"El {fecha(day)} ya es inhábil: es fin de semana."
        )
    if session.get(NonWorkingDay, day, with_for_update=True) is not None:
        raise CalendarRefused(
            CalendarReason.ALREADY_NON_WORKING, f"El {fecha(day)} ya está en el calendario."
        )
    session.add(NonWorkingDay(day=day, description=reason, source=actor))
    session.flush()
    return _recompute(session, day, actor, "calendar.day_added", {"reason": reason})


def remove_non_working_day(session: Session, day: date, *, actor: str) -> CalendarChange:
    """Make a published non-working day a business day again; running deadlines move back."""
    if day in statutory_rest_days(day.year):
        raise CalendarRefused(
            CalendarReason.STATUTORY,
            f"El {fecha(day)} es día de descanso obligatorio por ley; no se puede quitar.",
        )
    row = session.get(NonWorkingDay, day, with_for_update=True)
    if row is None:
        raise CalendarRefused(
            CalendarReason.NOT_IN_CALENDAR,
            f"El {fecha(day)} no está en el calendario de días inhábiles publicados.",
        )
    reason = row.description
    session.delete(row)
    session.flush()
    return _recompute(session, day, actor, "calendar.day_removed", {"reason": reason})


def _recompute(
    session: Session, day: date, actor: str, action: str, data: dict[str, str]
) -> CalendarChange:
    now = utcnow()
    moved = recompute_running_clocks(session, load_calendar(session), day, now)
    record_event(
        session,
        actor=actor,
        action=action,
        entity_type="calendar",
        entity_id=day.year,
        occurred_at=now,
        data={"day": day.isoformat(), **data, "clocks_moved": len(moved)},
    )
    for change in moved:
        record_event(
            session,
            actor=actor,
            action="deadline.recomputed",
            entity_type="certification",
            entity_id=change.clock.certification_id,
            occurred_at=now,
            data={
                "kind": change.clock.kind.value,
                "round": change.clock.round,
                "day": day.isoformat(),
                "before": change.before.isoformat(),
                "after": change.clock.due_at.isoformat(),
            },
        )
    return CalendarChange(day, moved)
