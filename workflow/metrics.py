"""The supervisors' metrics (issue 12) over a period of local days, cut into weeks or months.

* Certifications per state at the end of each bucket, from the audit log's transitions: every
  transition names the state left and the state entered, so the number in a state at a moment is
  the events entering it minus the events leaving it before that moment. The database adds them
  up per bucket (a ``CASE`` over the bucket boundaries); Python only accumulates the handful of
  rows that come back, whatever the size of the log.
* First-round pass rate: of the first rounds decided in a bucket, the share approved.
* Automatic findings of the evidence received in the period: how many, and in how many of the
  examined uploads each code appears.
* Review times: business days from the evidence's acceptance (the review clock's start) to the
  decision, against the review SLA (DOMAIN §3); a review is late when it was decided after its
  clock's deadline, the same instant the SLA alert fires at.

Buckets are calendar weeks (Monday to Sunday) or calendar months in the configured time zone,
clipped to the period, so the first and the last may be partial.
"""

from __future__ import annotations

import math
import statistics
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Mapped
from sqlmodel import Session, col, func, select

from core.config import get_settings
from rules.calendar import business_days_between
from rules.formatting import fecha
from schema import (
    AuditEvent,
    CertificationState,
    Clock,
    ClockKind,
    EvidenceSubmission,
    Finding,
    FindingSource,
    Review,
    ReviewDecision,
)
from workflow.calendar import load_calendar
from workflow.clocks import REVIEW_SLA_DAYS

# Up to about a quarter, weeks (at most 14 points); beyond it, months.
WEEKLY_UP_TO_DAYS = 93
MAX_YEARS = 5  # 60 monthly points: still a readable chart
MAX_DAYS = MAX_YEARS * 366
# Dates outside this range are typing mistakes, and their instants could overflow datetime.
EARLIEST, LATEST = date(2000, 1, 1), date(2099, 12, 31)
DEFAULT_MONTHS = 12


class Granularity(StrEnum):
    SEMANA = "semana"
    MES = "mes"


class PeriodRefused(ValueError):
    """A period that cannot be shown; the message is Spanish, for the person who asked."""


@dataclass(frozen=True)
class Bucket:
    start: date  # first local day
    end: date  # last local day, inclusive


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive
    granularity: Granularity
    buckets: tuple[Bucket, ...]


def make_period(start: date, end: date) -> Period:
    """The period from ``start`` to ``end`` (both included) with its buckets."""
    for day in (start, end):
        if not EARLIEST <= day <= LATEST:
            raise PeriodRefused(
                f"La fecha {fecha(day)} está fuera del intervalo admitido "
                f"({fecha(EARLIEST)} a {fecha(LATEST)})."
            )
    if start > end:
        raise PeriodRefused(
            f"La fecha inicial ({fecha(start)}) es posterior a la final ({fecha(end)})."
        )
    if (end - start).days + 1 > MAX_DAYS:
        raise PeriodRefused(
            f"El periodo puede abarcar a lo más {MAX_YEARS} años; elija fechas más cercanas."
        )
    weekly = (end - start).days + 1 <= WEEKLY_UP_TO_DAYS
    buckets = []
    first = start
    while first <= end:
        following = _next_week(first) if weekly else _next_month(first)
        last = min(following - timedelta(days=1), end)
        buckets.append(Bucket(first, last))
        first = following
    return Period(start, end, Granularity.SEMANA if weekly else Granularity.MES, tuple(buckets))


def default_period(today: date) -> Period:
    """The last twelve months: from the first day of the month eleven months ago to today."""
    months = today.year * 12 + today.month - 1 - (DEFAULT_MONTHS - 1)
    return make_period(date(months // 12, months % 12 + 1, 1), today)


def _next_week(day: date) -> date:
    return day + timedelta(days=7 - day.weekday())


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


@dataclass(frozen=True)
class StateCounts:
    bucket: Bucket
    counts: dict[CertificationState, int]  # at the end of the bucket

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class FirstRounds:
    bucket: Bucket
    decided: int
    approved: int

    @property
    def rate(self) -> float | None:
        return self.approved / self.decided if self.decided else None


@dataclass(frozen=True)
class FindingFrequency:
    code: str
    findings: int
    submissions: int  # examined uploads with at least one finding of the code
    share: float  # of the examined uploads of the period


@dataclass(frozen=True)
class FindingsSummary:
    examined: int  # uploads of the period the automatic checks read
    codes: tuple[FindingFrequency, ...]  # most frequent first


@dataclass(frozen=True)
class ReviewTimes:
    bucket: Bucket
    days: tuple[int, ...]  # business days to decide each review, ascending
    late: int  # decided after the SLA deadline

    @property
    def decided(self) -> int:
        return len(self.days)

    @property
    def median(self) -> float | None:
        return statistics.median(self.days) if self.days else None

    @property
    def p90(self) -> int | None:
        """Nearest rank: a number of days some review actually took."""
        return self.days[math.ceil(0.9 * len(self.days)) - 1] if self.days else None

    @property
    def maximum(self) -> int | None:
        return self.days[-1] if self.days else None

    @property
    def histogram(self) -> tuple[int, ...]:
        """How many reviews took 0, 1, 2… business days, up to the longest."""
        counts = [0] * (self.days[-1] + 1 if self.days else 0)
        for d in self.days:
            counts[d] += 1
        return tuple(counts)


@dataclass(frozen=True)
class Metrics:
    period: Period
    states: tuple[StateCounts, ...]
    first_rounds: tuple[FirstRounds, ...]
    findings: FindingsSummary
    review_times: tuple[ReviewTimes, ...]
    review_times_overall: ReviewTimes  # the whole period as one bucket
    sla_days: int


def compute_metrics(session: Session, period: Period) -> Metrics:
    tz = get_settings().tz
    times = _review_times(session, period, tz)
    whole = Bucket(period.start, period.end)
    return Metrics(
        period=period,
        states=_states(session, period, tz),
        first_rounds=_first_rounds(session, period, tz),
        findings=_findings(session, period, tz),
        review_times=times,
        review_times_overall=ReviewTimes(
            whole,
            tuple(sorted(d for t in times for d in t.days)),
            sum(t.late for t in times),
        ),
        sla_days=REVIEW_SLA_DAYS,
    )


def _starts(period: Period, tz: ZoneInfo) -> list[datetime]:
    """The instant each bucket starts, then the instant the period ends."""
    days = [b.start for b in period.buckets] + [period.end + timedelta(days=1)]
    return [datetime.combine(d, time.min, tzinfo=tz) for d in days]


def _bucket_index(column: Mapped[datetime], starts: Sequence[datetime]) -> sa.Case[int]:
    """0 before the period, i + 1 within bucket i (the caller keeps out what comes after)."""
    return sa.case(*[(column < start, i) for i, start in enumerate(starts)])


def _states(session: Session, period: Period, tz: ZoneInfo) -> tuple[StateCounts, ...]:
    starts = _starts(period, tz)
    moves = (
        select(
            _bucket_index(col(AuditEvent.occurred_at), starts).label("bucket"),
            col(AuditEvent.from_state).label("left"),
            col(AuditEvent.to_state).label("entered"),
        )
        .where(
            AuditEvent.entity_type == "certification",
            col(AuditEvent.to_state).is_not(None),
            col(AuditEvent.occurred_at) < starts[-1],
        )
        .subquery()
    )
    # Grouped over a subquery: PostgreSQL does not see a CASE with bound parameters in GROUP BY
    # as the same expression as in the select list.
    rows = session.exec(
        select(moves.c.bucket, moves.c.left, moves.c.entered, func.count()).group_by(
            moves.c.bucket, moves.c.left, moves.c.entered
        )
    ).all()
    deltas: list[dict[CertificationState, int]] = [{} for _ in starts]
    for bucket, left, entered, n in rows:
        delta = deltas[bucket]
        delta[CertificationState(entered)] = delta.get(CertificationState(entered), 0) + n
        if left is not None:
            delta[CertificationState(left)] = delta.get(CertificationState(left), 0) - n
    running = dict.fromkeys(CertificationState, 0)
    shown = []
    # deltas[0] is everything before the period; deltas[i + 1] happened within bucket i.
    for i, delta in enumerate(deltas):
        for state, n in delta.items():
            running[state] += n
        if i:
            shown.append(StateCounts(period.buckets[i - 1], dict(running)))
    return tuple(shown)


def _first_rounds(session: Session, period: Period, tz: ZoneInfo) -> tuple[FirstRounds, ...]:
    starts = _starts(period, tz)
    decided = (
        select(
            _bucket_index(col(Review.decided_at), starts).label("bucket"),
            col(Review.decision).label("decision"),
        )
        .join(EvidenceSubmission, col(EvidenceSubmission.id) == Review.submission_id)
        .where(
            EvidenceSubmission.round == 1,
            col(Review.decided_at) >= starts[0],
            col(Review.decided_at) < starts[-1],
        )
        .subquery()
    )
    rows = session.exec(
        select(decided.c.bucket, decided.c.decision, func.count()).group_by(
            decided.c.bucket, decided.c.decision
        )
    ).all()
    counts: dict[tuple[int, ReviewDecision], int] = {
        (bucket, ReviewDecision(decision)): n for bucket, decision, n in rows
    }
    shown = []
    for i, bucket in enumerate(period.buckets, start=1):
        approved = counts.get((i, ReviewDecision.APROBADA), 0)
        rejected = counts.get((i, ReviewDecision.CON_INCONSISTENCIAS), 0)
        shown.append(FirstRounds(bucket, approved + rejected, approved))
    return tuple(shown)


def _findings(session: Session, period: Period, tz: ZoneInfo) -> FindingsSummary:
    starts = _starts(period, tz)
    in_period = (
        col(EvidenceSubmission.verdict).is_not(None),
        col(EvidenceSubmission.uploaded_at) >= starts[0],
        col(EvidenceSubmission.uploaded_at) < starts[-1],
    )
    examined = session.exec(
        select(func.count()).select_from(EvidenceSubmission).where(*in_period)
    ).one()
    rows = session.exec(
        select(
            Finding.code,
            func.count(),
            func.count(sa.distinct(col(Finding.submission_id))),
        )
        .join(EvidenceSubmission, col(EvidenceSubmission.id) == Finding.submission_id)
        .where(Finding.source == FindingSource.AUTOMATICO, *in_period)
        .group_by(Finding.code)
    ).all()
    codes = sorted(
        (FindingFrequency(code, n, uploads, uploads / examined) for code, n, uploads in rows),
        key=lambda f: (-f.findings, -f.submissions, f.code),
    )
    return FindingsSummary(examined, tuple(codes))


def _review_times(session: Session, period: Period, tz: ZoneInfo) -> tuple[ReviewTimes, ...]:
    starts = _starts(period, tz)
    # A review is timed by its round's review clock; one decided before clocks existed is not.
    rows = session.exec(
        select(Review.decided_at, Clock.started_at, Clock.due_at)
        .join(EvidenceSubmission, col(EvidenceSubmission.id) == Review.submission_id)
        .join(
            Clock,
            sa.and_(
                col(Clock.certification_id) == Review.certification_id,
                col(Clock.round) == EvidenceSubmission.round,
                col(Clock.kind) == ClockKind.REVISION,
            ),
        )
        .where(col(Review.decided_at) >= starts[0], col(Review.decided_at) < starts[-1])
    ).all()
    calendar = load_calendar(session)
    days: list[list[int]] = [[] for _ in period.buckets]
    late = [0] * len(period.buckets)
    bucket_starts = [b.start for b in period.buckets]
    for decided_at, accepted_at, due_at in rows:
        decided_on = decided_at.astimezone(tz).date()
        i = bisect_right(bucket_starts, decided_on) - 1
        days[i].append(
            business_days_between(accepted_at.astimezone(tz).date(), decided_on, calendar)
        )
        if decided_at > due_at:
            late[i] += 1
    return tuple(
        ReviewTimes(bucket, tuple(sorted(d)), n)
        for bucket, d, n in zip(period.buckets, days, late, strict=True)
    )
