"""Who reviews what (DOMAIN §3): a certification that enters review goes to the active reviewer
with the fewest reviews open; a supervisor may move it to another one; and the supervisor's
picture of the reviews in progress (SLA breaches, workload per reviewer, unassigned reviews).

Assignment is not a state change: the certification's state and version stay as they are, and
every change of reviewer writes its own audit event.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_
from sqlmodel import Session, col, func, select

from core.config import get_settings
from rules.calendar import business_days_between
from schema import (
    Certification,
    CertificationState,
    Clock,
    ClockKind,
    Organization,
    Review,
    StaffRole,
    StaffUser,
)
from workflow.audit import record_event
from workflow.calendar import load_calendar
from workflow.certifications import certification_by_folio
from workflow.clocks import business_days_left
from workflow.refusals import AssignmentReason, AssignmentRefused

S = CertificationState
DECIDED_WINDOW = timedelta(days=30)  # "decided lately" on the supervisor's workload table


def active_reviewers(session: Session) -> list[StaffUser]:
    """The people a review can be given to, by name."""
    return list(
        session.exec(
            select(StaffUser)
            .where(StaffUser.role == StaffRole.REVISOR, col(StaffUser.is_active).is_(True))
            .order_by(col(StaffUser.full_name), col(StaffUser.id))
        ).all()
    )


def _open_reviews(session: Session, other_than: int | None = None) -> Counter[int]:
    """Certifications in review per assigned reviewer (``other_than`` left out)."""
    query = (
        select(Certification.reviewer_id, func.count())
        .where(Certification.state == S.EN_ANALISIS, col(Certification.reviewer_id).is_not(None))
        .group_by(col(Certification.reviewer_id))
    )
    if other_than is not None:
        query = query.where(Certification.id != other_than)
    return Counter({reviewer: count for reviewer, count in session.exec(query) if reviewer})


def assign_reviewer(
    session: Session, certification: Certification, *, actor: str = "system"
) -> StaffUser | None:
    """Give the certification, just entered `En análisis`, to the least-loaded active reviewer
    (ties: the lowest id); with no active reviewer it stays unassigned for a supervisor to see.

    A later round's earlier reviewer counts for nothing: the load decides, so that a reviewer
    who left or is swamped does not keep getting the same vendor back.
    """
    assert certification.id is not None
    candidates = [user.id for user in active_reviewers(session) if user.id is not None]
    load = _open_reviews(session, other_than=certification.id)
    chosen = min(candidates, key=lambda reviewer: (load[reviewer], reviewer), default=None)
    before = certification.reviewer_id
    if chosen != before:
        certification.reviewer_id = chosen
        session.add(certification)
        record_event(
            session,
            actor=actor,
            action="certification.assigned",
            entity_type="certification",
            entity_id=certification.id,
            data={
                "folio": certification.folio,
                "round": certification.round,
                "from": before,
                "to": chosen,
                "open_reviews": load[chosen] if chosen is not None else None,
            },
        )
    return session.get(StaffUser, chosen) if chosen is not None else None


@dataclass(frozen=True)
class Reassignment:
    certification: Certification
    reviewer: StaffUser
    changed: bool  # False: it was already theirs (a form sent twice changes nothing)


def reassign(session: Session, folio: str, reviewer_id: int, *, actor: str) -> Reassignment:
    """Move the review of the certification ``folio`` to the active reviewer ``reviewer_id``."""
    certification = certification_by_folio(session, folio)
    if certification is None:
        raise AssignmentRefused(
            AssignmentReason.NO_SUCH_CERTIFICATION, f"No existe la certificación {folio.strip()}."
        )
    # Under the row lock, so that a decision being recorded right now is seen.
    session.refresh(certification, with_for_update=True)
    assert certification.id is not None
    if certification.state is not S.EN_ANALISIS:
        raise AssignmentRefused(
            AssignmentReason.CLOSED,
            f"La certificación {certification.folio} está en «{certification.state.label}»; "
            "solo se reasigna una certificación en análisis.",
        )
    reviewer = session.get(StaffUser, reviewer_id)
    if reviewer is None or not reviewer.is_active or reviewer.role is not StaffRole.REVISOR:
        raise AssignmentRefused(
            AssignmentReason.NO_SUCH_REVIEWER,
            "La persona elegida no es un revisor activo; elija otra de la lista.",
        )
    before = certification.reviewer_id
    if before == reviewer.id:
        return Reassignment(certification, reviewer, changed=False)
    certification.reviewer_id = reviewer.id
    session.add(certification)
    record_event(
        session,
        actor=actor,
        action="certification.reassigned",
        entity_type="certification",
        entity_id=certification.id,
        data={
            "folio": certification.folio,
            "round": certification.round,
            "from": before,
            "to": reviewer.id,
        },
    )
    return Reassignment(certification, reviewer, changed=True)


@dataclass(frozen=True)
class ReviewInProgress:
    certification: Certification
    vendor: Organization
    reviewer: StaffUser | None
    due_at: datetime | None  # the round's review SLA (None only for data from before clocks)
    days_left: int | None  # business days after today up to the last day, while within it
    days_overdue: int | None  # business days past the last day, once it is over

    @property
    def breached(self) -> bool:
        return self.days_overdue is not None


@dataclass(frozen=True)
class Workload:
    reviewer: StaffUser
    open: int
    breached: int
    decided: int  # within DECIDED_WINDOW


@dataclass(frozen=True)
class SupervisionBoard:
    reviews: list[ReviewInProgress]  # every certification in review, most urgent first
    workloads: list[Workload]
    reviewers: list[StaffUser]  # whom a review can be given to

    @property
    def breaches(self) -> list[ReviewInProgress]:
        return [r for r in self.reviews if r.breached]

    @property
    def unassigned(self) -> list[ReviewInProgress]:
        return [r for r in self.reviews if r.reviewer is None]


def supervision_board(session: Session, now: datetime) -> SupervisionBoard:
    calendar = load_calendar(session)
    tz = get_settings().tz
    today = now.astimezone(tz).date()
    staff = {user.id: user for user in session.exec(select(StaffUser))}
    rows = session.exec(
        select(Certification, Organization, Clock)
        .join(Organization, col(Organization.id) == Certification.vendor_id)
        .outerjoin(
            Clock,
            and_(
                col(Clock.certification_id) == Certification.id,
                col(Clock.round) == Certification.round,
                col(Clock.kind) == ClockKind.REVISION,
            ),
        )
        .where(Certification.state == S.EN_ANALISIS)
    ).all()
    reviews = []
    for certification, vendor, clock in rows:
        reviewer = staff.get(certification.reviewer_id) if certification.reviewer_id else None
        # Past due whether or not the scan has alerted about it yet (the clock says VENCIDO
        # only afterwards).
        over = clock is not None and now > clock.due_at
        reviews.append(
            ReviewInProgress(
                certification,
                vendor,
                reviewer,
                clock.due_at if clock else None,
                business_days_left(clock, now, calendar) if clock and not over else None,
                business_days_between(clock.due_at.astimezone(tz).date(), today, calendar)
                if clock and over
                else None,
            )
        )
    reviews.sort(key=lambda r: (r.due_at is None, r.due_at, r.certification.folio))

    since = now - DECIDED_WINDOW
    decided = Counter(
        {
            reviewer: count
            for reviewer, count in session.exec(
                select(Review.reviewer_id, func.count())
                .where(col(Review.decided_at) >= since)
                .group_by(col(Review.reviewer_id))
            )
        }
    )
    open_ = Counter(r.reviewer.id for r in reviews if r.reviewer and r.reviewer.id)
    late = Counter(r.reviewer.id for r in reviews if r.reviewer and r.reviewer.id and r.breached)
    reviewers = active_reviewers(session)
    # Whoever holds or decided reviews appears too, even a supervisor or a deactivated account
    # whose reviews must be handed over.
    shown = {user.id for user in reviewers} | set(open_) | set(decided)
    workloads = [
        Workload(user, open_[user.id], late[user.id], decided[user.id])
        for user in sorted(
            (staff[i] for i in shown if i in staff), key=lambda u: (u.full_name, u.id or 0)
        )
        if user.id is not None
    ]
    return SupervisionBoard(reviews, workloads, reviewers)
