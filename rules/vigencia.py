"""The vigencia of a relación de confianza (DOMAIN §2 process 3): its dates, the moment it stops,
and the notices owed before that. Pure: dates and aware datetimes in, the same out.

A relationship registered on 07/mar/2024 for one year shows «Fin de vigencia» 07/mar/2025, as the
guide's table does, and stops being vigente at the start of that day, local time: the «fin» is the
first day without it. A month added to the 31st lands on the month's last day (31/ene + 1 mes =
28/feb or 29/feb).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

# The vigencias a patrón chooses from, in months, with how the list shows them.
VIGENCIAS: dict[int, str] = {3: "3 meses", 6: "6 meses", 12: "1 año", 24: "2 años"}

# The patrón is told this many days before the vigencia ends, and again on the last day.
NOTICE_DAYS = (15, 1)


def add_months(start: date, months: int) -> date:
    """``start`` plus ``months`` calendar months, clamped to the last day of the month."""
    if months < 0:
        raise ValueError("months must not be negative")
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class Vigencia:
    starts_on: date  # «Fecha inicio vigencia»
    ends_on: date  # «Fin de vigencia»
    expires_at: datetime  # the start of ``ends_on``, local time, as an aware datetime


def vigencia(registered_at: datetime, months: int, tz: ZoneInfo) -> Vigencia:
    """The vigencia of a relationship registered at ``registered_at`` (aware) for ``months``."""
    if months not in VIGENCIAS:
        raise ValueError(f"unknown vigencia: {months} months")
    starts_on = registered_at.astimezone(tz).date()
    ends_on = add_months(starts_on, months)
    return Vigencia(starts_on, ends_on, datetime.combine(ends_on, time.min, tzinfo=tz))


@dataclass(frozen=True)
class Notice:
    days_before: int | None  # None: the expiry itself
    at: datetime


def notices(expires_at: datetime) -> tuple[Notice, ...]:
    """What is owed, in order: a reminder ``NOTICE_DAYS`` before ``expires_at``, then the expiry."""
    reminders = tuple(Notice(days, expires_at - timedelta(days=days)) for days in NOTICE_DAYS)
    return (*reminders, Notice(None, expires_at))


def settle(expires_at: datetime, pending: Notice, now: datetime) -> Notice:
    """The notice to act on when ``pending`` is due at ``now``: a reminder that a later notice
    has overtaken (the system was down) gives way to it, so only the latest one is sent."""
    remaining = [n for n in notices(expires_at) if n.at >= pending.at]
    while len(remaining) > 1 and remaining[1].at <= now:
        remaining.pop(0)
    return remaining[0]


def first_notice(expires_at: datetime, now: datetime) -> Notice:
    """What a relationship registered at ``now`` is owed first."""
    return settle(expires_at, notices(expires_at)[0], now)


def following(expires_at: datetime, done: Notice) -> Notice | None:
    """The notice after ``done``; None after the expiry."""
    later = [n for n in notices(expires_at) if n.at > done.at]
    return later[0] if later else None


def notice_of(expires_at: datetime, days_before: int | None) -> Notice:
    """The notice ``days_before`` the expiry (None: the expiry itself)."""
    return next(n for n in notices(expires_at) if n.days_before == days_before)
