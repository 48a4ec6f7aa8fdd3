"""The certification state machine (DOMAIN §3): the one place that changes a certification's state.

Every allowed move is a row of ``TRANSITIONS``; ``transition`` checks it under a row lock,
applies it and appends the audit event, all in the caller's transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlmodel import Session

from core.clock import utcnow
from schema import AuditEvent, Certification, CertificationState, ClockKind, Organization
from workflow.audit import record_event
from workflow.calendar import load_calendar
from workflow.clocks import start_clock, stop_clock
from workflow.folios import issue_folio

S = CertificationState


class Event(StrEnum):
    TEST_SET_SENT = "test_set_sent"
    EVIDENCE_ACCEPTED = "evidence_accepted"
    APPROVED = "approved"
    REJECTED = "rejected"
    TERMS_SIGNED = "terms_signed"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class Move:
    sources: frozenset[CertificationState]
    target: CertificationState


TRANSITIONS: dict[Event, Move] = {
    Event.TEST_SET_SENT: Move(
        frozenset({S.SOLICITADA, S.CON_INCONSISTENCIAS}), S.EN_ESPERA_DE_DOCUMENTOS
    ),
    Event.EVIDENCE_ACCEPTED: Move(frozenset({S.EN_ESPERA_DE_DOCUMENTOS}), S.EN_ANALISIS),
    Event.APPROVED: Move(frozenset({S.EN_ANALISIS}), S.APROBADA_PENDIENTE_DE_FIRMA),
    Event.REJECTED: Move(frozenset({S.EN_ANALISIS}), S.CON_INCONSISTENCIAS),
    Event.TERMS_SIGNED: Move(frozenset({S.APROBADA_PENDIENTE_DE_FIRMA}), S.CERTIFICADA),
    Event.EXPIRED: Move(frozenset({S.EN_ESPERA_DE_DOCUMENTOS}), S.VENCIDA),
    Event.CANCELLED: Move(frozenset({S.EN_ESPERA_DE_DOCUMENTOS, S.CERTIFICADA}), S.CANCELADA),
}

# Timed states: entering one starts its clock, leaving it stops it (the evidence term, the
# review SLA).
CLOCKS = {
    S.EN_ESPERA_DE_DOCUMENTOS: ClockKind.EVIDENCIA,
    S.EN_ANALISIS: ClockKind.REVISION,
}


class IllegalTransition(Exception):
    """Raised when an event does not apply to the certification's current state."""

    def __init__(self, certification: Certification, event: Event) -> None:
        self.certification_id = certification.id
        self.state = certification.state
        self.event = event
        super().__init__(
            f"La certificación {certification.folio} está en «{certification.state.label}»; "
            f"no admite el evento «{event.value}»."
        )


def allowed_events(state: CertificationState) -> list[Event]:
    return [event for event, move in TRANSITIONS.items() if state in move.sources]


def open_certification(session: Session, vendor: Organization, *, actor: str) -> Certification:
    """Create a certification in `Solicitada` with a fresh folio and its audit event."""
    assert vendor.id is not None
    certification = Certification(
        folio=issue_folio(session, "certificacion"),
        vendor_id=vendor.id,
        state=S.SOLICITADA,
    )
    session.add(certification)
    session.flush()
    assert certification.id is not None
    record_event(
        session,
        actor=actor,
        action="certification.requested",
        entity_type="certification",
        entity_id=certification.id,
        to_state=S.SOLICITADA.value,
        data={"folio": certification.folio, "vendor_rfc": vendor.rfc},
    )
    return certification


def transition(
    session: Session,
    certification: Certification,
    event: Event,
    *,
    actor: str,
    reason: str | None = None,
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Apply `event` to `certification` in the caller's transaction.

    The row is re-read under a lock first, so of two racing transitions the second sees the
    first one's state and fails with IllegalTransition instead of both winning. The clock of the
    state left is stopped and the clock of the state entered is started (``CLOCKS``).
    """
    session.refresh(certification, with_for_update=True)
    move = TRANSITIONS[event]
    if certification.state not in move.sources:
        raise IllegalTransition(certification, event)

    source = certification.state
    now = utcnow()
    if source in CLOCKS:
        stop_clock(session, certification, CLOCKS[source], now)
    if source is S.CON_INCONSISTENCIAS and move.target is S.EN_ESPERA_DE_DOCUMENTOS:
        certification.round += 1
    certification.state = move.target
    certification.state_changed_at = now
    if move.target is S.CERTIFICADA:
        certification.certified_at = now
    certification.version += 1
    session.add(certification)

    assert certification.id is not None
    details = {"folio": certification.folio, "round": certification.round, **(data or {})}
    if move.target in CLOCKS:
        clock = start_clock(
            session, certification, CLOCKS[move.target], now, load_calendar(session)
        )
        details["deadline"] = clock.due_at.isoformat()
    return record_event(
        session,
        actor=actor,
        action=f"certification.{event.value}",
        entity_type="certification",
        entity_id=certification.id,
        from_state=source.value,
        to_state=move.target.value,
        reason=reason,
        data=details,
        occurred_at=now,
    )
