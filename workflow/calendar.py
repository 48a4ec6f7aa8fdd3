"""The business-day calendar as the database knows it: statutory days plus the published table."""

from __future__ import annotations

from sqlmodel import Session, col, select

from rules.calendar import BusinessCalendar
from schema import NonWorkingDay


def load_calendar(session: Session) -> BusinessCalendar:
    days = session.exec(select(col(NonWorkingDay.day))).all()
    return BusinessCalendar.with_extra(days)
