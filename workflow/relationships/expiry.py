"""The end of a relationship's vigencia: the patrón is told 15 days and one day before, and at
the start of «Fin de vigencia» it becomes `Relación no vigente` (rules.vigencia).

Each vigente relationship keeps what it is owed next (``next_notice`` at ``next_at``), so the
deadline scan reads what is due through one index, not every relationship. Each one is handled
in its own transaction under a row lock that another scan skips; its email's outbox key and the
status move make a retried or doubled scan act once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, col, select

from core.config import get_settings
from core.db import SessionFactory
from mailer.outbox import queue_email
from rules.vigencia import Notice, first_notice, following, notice_of, settle
from schema import Organization, RelationshipNotice, RelationshipStatus, TrustRelationship
from workflow.relationships.emails import relationship_context
from workflow.relationships.states import RelationshipEvent, move

BATCH = 5000  # relationships per scan; the rest wait for the next one

NOTICE_OF: dict[int | None, RelationshipNotice] = {
    15: RelationshipNotice.RECORDATORIO_15,
    1: RelationshipNotice.RECORDATORIO_1,
    None: RelationshipNotice.VENCIMIENTO,
}
DAYS_OF = {notice: days for days, notice in NOTICE_OF.items()}


def _owe(relationship: TrustRelationship, notice: Notice | None) -> None:
    relationship.next_notice = None if notice is None else NOTICE_OF[notice.days_before]
    relationship.next_at = None if notice is None else notice.at


def _days_left(relationship: TrustRelationship, now: datetime) -> int:
    """Days until «Fin de vigencia», as the email says them: a reminder sent late (the system
    was down) tells the days that are really left."""
    assert relationship.ends_on is not None
    return max(1, (relationship.ends_on - now.astimezone(get_settings().tz).date()).days)


def schedule_notices(relationship: TrustRelationship, now: datetime) -> None:
    """What a relationship registered at ``now`` is owed first."""
    assert relationship.expires_at is not None
    _owe(relationship, first_notice(relationship.expires_at, now))


@dataclass
class RelationshipScan:
    reminders: list[dict[str, str | int]] = field(default_factory=list)
    expired: list[str] = field(default_factory=list)


def due_relationship_ids(session: Session, now: datetime, limit: int = BATCH) -> list[int]:
    ids = session.exec(
        select(TrustRelationship.id)
        .where(col(TrustRelationship.next_at).is_not(None), col(TrustRelationship.next_at) <= now)
        .order_by(col(TrustRelationship.next_at))
        .limit(limit)
    ).all()
    return [i for i in ids if i is not None]


def scan_relationships(transaction: SessionFactory, now: datetime) -> RelationshipScan:
    summary = RelationshipScan()
    with transaction() as session:
        due = due_relationship_ids(session, now)
    for relationship_id in due:
        with transaction() as session:
            _act(session, relationship_id, now, summary)
    return summary


def _act(session: Session, relationship_id: int, now: datetime, summary: RelationshipScan) -> None:
    relationship = session.exec(
        select(TrustRelationship)
        .where(
            TrustRelationship.id == relationship_id,
            col(TrustRelationship.next_at).is_not(None),
            col(TrustRelationship.next_at) <= now,
        )
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    ).first()
    if relationship is None:
        return  # another scan holds it, or has done it
    if relationship.status is not RelationshipStatus.VIGENTE or relationship.expires_at is None:
        _owe(relationship, None)
        session.add(relationship)
        return
    assert relationship.next_notice is not None
    expires_at = relationship.expires_at
    notice = settle(expires_at, notice_of(expires_at, DAYS_OF[relationship.next_notice]), now)
    patron = session.get(Organization, relationship.patron_id)
    vendor = session.get(Organization, relationship.vendor_id)
    assert patron is not None and vendor is not None
    context = relationship_context(relationship, patron, vendor)
    if notice.days_before is None:
        move(session, relationship, RelationshipEvent.EXPIRED, actor="system")
        queue_email(
            session,
            key=f"relationship:{relationship.id}:expired",
            template="relacion_no_vigente",
            to=[patron.email],
            context={**context, "fin_vigencia": relationship.ends_on},
        )
        summary.expired.append(relationship.folio)
        return
    queue_email(
        session,
        key=f"relationship:{relationship.id}:notice:{notice.days_before}",
        template="relacion_por_vencer",
        to=[patron.email],
        context={
            **context,
            "fin_vigencia": relationship.ends_on,
            "dias": _days_left(relationship, now),
        },
    )
    summary.reminders.append({"no_de_caso": relationship.folio, "dias": notice.days_before})
    _owe(relationship, following(expires_at, notice))
    session.add(relationship)
