"""Append events to the hash-chained audit log and verify the chain.

Each event's hash covers its own fields and the previous event's hash, so changing, removing or
re-ordering any stored event breaks every later link; the chain head (a single locked row) also
covers the tail, so dropping the newest events is caught too.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from core.clock import utcnow
from schema import GENESIS_HASH, AuditEvent, AuditHead


def event_hash(prev_hash: str, fields: dict[str, Any]) -> str:
    body = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(prev_hash.encode() + b"\n" + body.encode()).hexdigest()


def _hashed_fields(event: AuditEvent) -> dict[str, Any]:
    return {
        "id": event.id,
        "occurred_at": event.occurred_at.isoformat(),
        "actor": event.actor,
        "action": event.action,
        "entity_type": event.entity_type,
        "entity_id": event.entity_id,
        "from_state": event.from_state,
        "to_state": event.to_state,
        "reason": event.reason,
        "data": event.data,
    }


def record_event(
    session: Session,
    *,
    actor: str,
    action: str,
    entity_type: str,
    entity_id: int,
    from_state: str | None = None,
    to_state: str | None = None,
    reason: str | None = None,
    data: dict[str, Any] | None = None,
    occurred_at: datetime | None = None,
) -> AuditEvent:
    """Append one event in the caller's transaction (it commits or rolls back with it)."""
    head = session.exec(select(AuditHead).where(AuditHead.id == 1).with_for_update()).one()
    # Microseconds survive both databases, so the hash recomputes identically after a reload.
    event = AuditEvent(
        id=head.last_event_id + 1,
        occurred_at=occurred_at or utcnow(),
        actor=actor,
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        from_state=from_state,
        to_state=to_state,
        reason=reason,
        data=data or {},
        prev_hash=head.last_hash,
        hash="",
    )
    event.hash = event_hash(head.last_hash, _hashed_fields(event))
    head.last_event_id = event.id
    head.last_hash = event.hash
    session.add(event)
    session.add(head)
    session.flush()
    return event


@dataclass(frozen=True)
class ChainReport:
    events_checked: int
    broken_at: int | None = None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.broken_at is None


def verify_events(events: Iterable[AuditEvent], head: AuditHead) -> ChainReport:
    """Walk the chain from the genesis and report the first broken link (Spanish text)."""
    prev_hash, expected_id, count = GENESIS_HASH, 1, 0
    for event in events:
        if event.id != expected_id:
            return ChainReport(
                count, expected_id, f"falta el evento {expected_id} (sigue el {event.id})"
            )
        if event.prev_hash != prev_hash:
            return ChainReport(count, event.id, "no enlaza con el hash del evento anterior")
        if event_hash(prev_hash, _hashed_fields(event)) != event.hash:
            return ChainReport(count, event.id, "su contenido no corresponde a su hash")
        prev_hash, expected_id, count = event.hash, expected_id + 1, count + 1
    if head.last_event_id != count or head.last_hash != prev_hash:
        return ChainReport(
            count,
            count + 1,
            f"la cabeza de la cadena indica {head.last_event_id} eventos y hay {count}",
        )
    return ChainReport(count)


def verify_chain(session: Session, batch_size: int = 1000) -> ChainReport:
    head = session.exec(select(AuditHead).where(AuditHead.id == 1)).one()
    events = session.exec(
        select(AuditEvent).order_by(col(AuditEvent.id)).execution_options(yield_per=batch_size)
    )
    return verify_events(events, head)
