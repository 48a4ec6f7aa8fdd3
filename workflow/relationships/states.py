"""The statuses of a relación de confianza: the one place that changes them.

As for certifications (``workflow.state_machine``), every allowed move is a row of ``MOVES``;
``move`` re-reads the row under a lock, checks the move, applies it and appends the audit event,
all in the caller's transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlmodel import Session

from core.clock import utcnow
from schema import AuditEvent, RelationshipStatus, TrustRelationship
from workflow.audit import record_event

S = RelationshipStatus


class RelationshipEvent(StrEnum):
    REGISTERED = "registered"  # the worker registered the signed request
    DECLINED = "declined"  # ... or found the vendor no longer certified
    CANCELLED = "cancelled"  # «Borrar», signed by the patrón
    EXPIRED = "expired"  # its vigencia ended
    VOIDED = "voided"  # the vendor's certification was cancelled


@dataclass(frozen=True)
class Move:
    sources: frozenset[RelationshipStatus]
    target: RelationshipStatus


MOVES: dict[RelationshipEvent, Move] = {
    RelationshipEvent.REGISTERED: Move(frozenset({S.EN_PROCESO}), S.VIGENTE),
    RelationshipEvent.DECLINED: Move(frozenset({S.EN_PROCESO}), S.NO_PROCEDENTE),
    RelationshipEvent.CANCELLED: Move(frozenset({S.VIGENTE}), S.CANCELADA),
    RelationshipEvent.EXPIRED: Move(frozenset({S.VIGENTE}), S.NO_VIGENTE),
    RelationshipEvent.VOIDED: Move(frozenset({S.VIGENTE}), S.SIN_EFECTO),
}


class IllegalMove(Exception):
    """An event that does not apply to the relationship's current status."""

    def __init__(self, relationship: TrustRelationship, event: RelationshipEvent) -> None:
        self.status = relationship.status
        self.event = event
        super().__init__(
            f"La relación {relationship.folio} está en «{relationship.status.label}»; no admite "
            f"el evento «{event.value}»."
        )


def move(
    session: Session,
    relationship: TrustRelationship,
    event: RelationshipEvent,
    *,
    actor: str,
    reason: str | None = None,
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Apply ``event`` in the caller's transaction; IllegalMove if the status moved meanwhile."""
    session.refresh(relationship, with_for_update=True)
    rule = MOVES[event]
    if relationship.status not in rule.sources:
        raise IllegalMove(relationship, event)
    source = relationship.status
    now = utcnow()
    relationship.status = rule.target
    relationship.status_changed_at = now
    relationship.status_reason = reason
    if rule.target is not S.VIGENTE:
        # Nothing more is owed to a relationship that is over.
        relationship.next_notice = None
        relationship.next_at = None
    session.add(relationship)
    assert relationship.id is not None
    return record_event(
        session,
        actor=actor,
        action=f"relationship.{event.value}",
        entity_type="trust_relationship",
        entity_id=relationship.id,
        from_state=source.value,
        to_state=rule.target.value,
        reason=reason,
        data={"folio": relationship.folio, **(data or {})},
        occurred_at=now,
    )
