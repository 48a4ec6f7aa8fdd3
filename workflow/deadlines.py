"""The deadline scan: reminders, expiries and review-SLA alerts, each exactly once (DOMAIN §3),
and the ends of relationships' vigencias (``workflow.relationships.expiry``).

Beat runs ``scan`` every few minutes (``SIA_DEADLINE_SCAN_SECONDS``); ``sia deadlines scan``
runs it by hand. Per clock kind one indexed query finds the clocks whose next moment has come
(``clocks.next_at``), so a scan costs what is due, not what exists. Every action is recorded in
``clock_actions`` under a unique (certification, round, kind, threshold) key inside the same
transaction as its email and state change: two scans at once, or a scan retried after a crash,
act once. Evidence clocks are handled one transaction each, so a crash loses at most the one in
hand, which the next scan redoes.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from core.clock import utcnow
from core.config import get_settings
from core.db import SessionFactory
from mailer.outbox import queue_email
from rules.calendar import BusinessCalendar
from schema import (
    ActionOutcome,
    Certification,
    CertificationState,
    Clock,
    ClockActionRecord,
    ClockKind,
    ClockState,
    DeadlineAction,
    EvidenceSubmission,
    Organization,
    StaffRole,
    StaffUser,
    SubmissionStatus,
)
from workflow.audit import record_event
from workflow.calendar import load_calendar
from workflow.clocks import Moment, business_days_left, done_actions, pending, reschedule
from workflow.relationships.expiry import RelationshipScan, scan_relationships
from workflow.state_machine import Event, transition

S = CertificationState
DEADLINES_TASK = "sia.deadlines.scan"
# A reminder whose moment passed longer ago than this (the system was down) is not sent late.
STALE_AFTER = timedelta(days=1)
BATCH = 5000  # clocks per kind per scan; the rest wait for the next scan
ALERT_CHUNK = 100  # breached review SLAs per transaction, and per alert email
# How long an expiry held by an upload in examination waits before it is looked at again.
EXAMINATION_RECHECK = timedelta(minutes=1)

logger = logging.getLogger(__name__)


@dataclass
class ScanSummary:
    now: datetime
    reminders: list[dict[str, Any]] = field(default_factory=list)
    skipped_reminders: list[dict[str, Any]] = field(default_factory=list)
    expired: list[str] = field(default_factory=list)
    waiting_for_examination: list[str] = field(default_factory=list)
    sla_alerts: list[str] = field(default_factory=list)
    relationships: RelationshipScan = field(default_factory=RelationshipScan)

    def to_json(self) -> dict[str, Any]:
        """What the scan did, for operators (Spanish keys, like every JSON people read)."""
        return {
            "ahora": self.now.astimezone(get_settings().tz).isoformat(),
            "recordatorios": self.reminders,
            "recordatorios_omitidos": self.skipped_reminders,
            "vencidas": self.expired,
            "vencimiento_en_espera_de_lectura": self.waiting_for_examination,
            "alertas_sla_revision": self.sla_alerts,
            "relaciones_recordatorios": self.relationships.reminders,
            "relaciones_no_vigentes": self.relationships.expired,
        }


def due_clock_ids(session: Session, kind: ClockKind, now: datetime, limit: int) -> list[int]:
    """The clocks of ``kind`` with a moment due, oldest first (index ``ix_clocks_kind_next_at``)."""
    ids = session.exec(
        select(Clock.id)
        .where(Clock.kind == kind, col(Clock.next_at).is_not(None), col(Clock.next_at) <= now)
        .order_by(col(Clock.next_at))
        .limit(limit)
    ).all()
    return [i for i in ids if i is not None]


def scan(transaction: SessionFactory) -> ScanSummary:
    """Act on every clock whose moment has come by ``utcnow()`` (``travel_to`` moves it)."""
    now = utcnow()
    summary = ScanSummary(now)
    with transaction() as session:
        calendar = load_calendar(session)
        evidence = due_clock_ids(session, ClockKind.EVIDENCIA, now, BATCH)
    for clock_id in evidence:
        with transaction() as session:
            _evidence_clock(session, clock_id, now, calendar, summary)
    with transaction() as session:
        review = due_clock_ids(session, ClockKind.REVISION, now, BATCH)
    for start in range(0, len(review), ALERT_CHUNK):
        # A chunk per transaction: the audit chain's head stays locked only briefly.
        with transaction() as session:
            _review_clocks(session, review[start : start + ALERT_CHUNK], now, calendar, summary)
    summary.relationships = scan_relationships(transaction, now)
    return summary


def _locked(session: Session, clock_id: int, now: datetime) -> Clock | None:
    """The clock, locked, if it is still due and no other scan holds it (PostgreSQL skips a
    locked row; SQLite serializes writers, and the unique action key guards both)."""
    return session.exec(
        select(Clock)
        .where(Clock.id == clock_id, col(Clock.next_at).is_not(None), col(Clock.next_at) <= now)
        .with_for_update(skip_locked=True)
    ).first()


def _claim(
    session: Session, clock: Clock, moment: Moment, outcome: ActionOutcome, now: datetime
) -> bool:
    """Record that the scan acts on ``moment``; False if a scan already has."""
    assert clock.id is not None
    try:
        with session.begin_nested():
            session.add(
                ClockActionRecord(
                    clock_id=clock.id,
                    certification_id=clock.certification_id,
                    round=clock.round,
                    kind=moment.action,
                    threshold=moment.threshold,
                    outcome=outcome,
                    meant_for=moment.at,
                    acted_at=now,
                )
            )
    except IntegrityError:
        return False
    return True


def _evidence_clock(
    session: Session,
    clock_id: int,
    now: datetime,
    calendar: BusinessCalendar,
    summary: ScanSummary,
) -> None:
    clock = _locked(session, clock_id, now)
    if clock is None:
        return
    certification = session.get(Certification, clock.certification_id)
    assert certification is not None
    if _stale(session, clock, certification, S.EN_ESPERA_DE_DOCUMENTOS, now):
        return
    for moment in pending(clock, calendar, get_settings().tz, done_actions(session, clock)):
        if moment.at > now:
            break
        if moment.action is DeadlineAction.RECORDATORIO:
            _remind(session, clock, certification, moment, calendar, now, summary)
        elif _has_upload_in_examination(session, certification):
            # Received in time and still being read: its outcome decides, not the clock. It
            # steps aside meanwhile, so that it does not stand before newer due clocks.
            clock.next_at = now + EXAMINATION_RECHECK
            session.add(clock)
            summary.waiting_for_examination.append(certification.folio)
            return
        elif _claim(session, clock, moment, ActionOutcome.HECHO, now):
            _expire(session, clock, certification, now)
            summary.expired.append(certification.folio)
            return
    reschedule(session, clock, calendar)


def _stale(
    session: Session,
    clock: Clock,
    certification: Certification,
    timed: CertificationState,
    now: datetime,
) -> bool:
    """Stop a clock whose state was left without it (the state machine stops the clocks it
    starts, so this is a leftover, e.g. of data migrated from before clocks)."""
    if certification.state is timed and certification.round == clock.round:
        return False
    logger.warning("clock %s of %s left running; stopping it", clock.id, certification.folio)
    clock.state, clock.stopped_at, clock.next_at = ClockState.DETENIDO, now, None
    session.add(clock)
    return True


def _remind(
    session: Session,
    clock: Clock,
    certification: Certification,
    moment: Moment,
    calendar: BusinessCalendar,
    now: datetime,
    summary: ScanSummary,
) -> None:
    assert certification.id is not None
    late = now - moment.at > STALE_AFTER or now > clock.due_at
    outcome = ActionOutcome.OMITIDO if late else ActionOutcome.HECHO
    if not _claim(session, clock, moment, outcome, now):
        return
    entry = {"folio": certification.folio, "ronda": clock.round, "dias": moment.threshold}
    if late:
        logger.warning(
            "reminder %s of %s not sent: it was due %s, the scan ran only at %s",
            moment.threshold,
            certification.folio,
            moment.at.isoformat(),
            now.astimezone(moment.at.tzinfo).isoformat(),
        )
        summary.skipped_reminders.append(entry)
    else:
        _email_vendor(
            session,
            certification,
            clock,
            f"reminder:{moment.threshold}",
            "recordatorio_plazo",
            dias_restantes=business_days_left(clock, now, calendar),
        )
        summary.reminders.append(entry)
    record_event(
        session,
        actor="system",
        action="deadline.reminder_skipped" if late else "deadline.reminder_sent",
        entity_type="certification",
        entity_id=certification.id,
        occurred_at=now,
        data={"round": clock.round, "threshold": moment.threshold, "due": moment.at.isoformat()},
    )


def _has_upload_in_examination(session: Session, certification: Certification) -> bool:
    return (
        session.exec(
            select(EvidenceSubmission.id).where(
                EvidenceSubmission.certification_id == certification.id,
                EvidenceSubmission.round == certification.round,
                EvidenceSubmission.status == SubmissionStatus.RECIBIDA,
            )
        ).first()
        is not None
    )


def _expire(session: Session, clock: Clock, certification: Certification, now: datetime) -> None:
    clock.state, clock.next_at = ClockState.VENCIDO, None
    session.add(clock)
    transition(
        session,
        certification,
        Event.EXPIRED,
        actor="system",
        reason="Venció el plazo de entrega de evidencias sin un libro aceptado.",
        data={"deadline": clock.due_at.isoformat()},
    )
    _email_vendor(session, certification, clock, "expired", "vencimiento")


def _email_vendor(
    session: Session,
    certification: Certification,
    clock: Clock,
    event: str,
    template: str,
    **extra: Any,
) -> None:
    """One email per (certification, round, event) to the vendor, stating the deadline."""
    vendor = session.get(Organization, certification.vendor_id)
    assert vendor is not None and certification.id is not None
    queue_email(
        session,
        key=f"certification:{certification.id}:round:{clock.round}:{event}",
        template=template,
        to=[vendor.email],
        context={
            "folio": certification.folio,
            "ronda": clock.round,
            "razon_social": vendor.razon_social,
            "fecha_limite": clock.due_at.isoformat(),
            **extra,
        },
    )


def _review_clocks(
    session: Session,
    clock_ids: Sequence[int],
    now: datetime,
    calendar: BusinessCalendar,
    summary: ScanSummary,
) -> None:
    """Breached review SLAs: one alert listing them to the supervisors; never a decision.

    With nobody to alert nothing is recorded, so the alert goes out once somebody can read it.
    """
    recipients = _supervisors(session)
    if not recipients:
        logger.error(
            "%d review SLAs may be breached but no active supervisor or administrator exists "
            "to alert; they stay due",
            len(clock_ids),
        )
        return
    alerts: list[dict[str, Any]] = []
    claimed: list[int] = []
    tz = get_settings().tz
    for clock_id in clock_ids:
        clock = _locked(session, clock_id, now)
        if clock is None:
            continue
        certification = session.get(Certification, clock.certification_id)
        assert certification is not None and certification.id is not None
        if _stale(session, clock, certification, S.EN_ANALISIS, now):
            continue
        left = pending(clock, calendar, tz, done_actions(session, clock))
        if not left or left[0].at > now:
            reschedule(session, clock, calendar)
            continue
        moment = left[0]
        clock.state, clock.next_at = ClockState.VENCIDO, None
        session.add(clock)
        if not _claim(session, clock, moment, ActionOutcome.HECHO, now):
            continue
        assert clock.id is not None
        claimed.append(clock.id)
        vendor = session.get(Organization, certification.vendor_id)
        assert vendor is not None
        reviewer = (
            session.get(StaffUser, certification.reviewer_id) if certification.reviewer_id else None
        )
        alerts.append(
            {
                "folio": certification.folio,
                "ronda": clock.round,
                "razon_social": vendor.razon_social,
                "evidencia_recibida": clock.started_at.isoformat(),
                "fecha_limite_revision": clock.due_at.isoformat(),
                "revisor": reviewer.full_name if reviewer is not None else None,
            }
        )
        record_event(
            session,
            actor="system",
            action="review.sla_breached",
            entity_type="certification",
            entity_id=certification.id,
            occurred_at=now,
            data={"round": clock.round, "due": clock.due_at.isoformat()},
        )
        summary.sla_alerts.append(certification.folio)
    if not alerts:
        return
    digest = hashlib.sha256(",".join(map(str, sorted(claimed))).encode()).hexdigest()[:32]
    queue_email(
        session,
        key=f"review_sla:{digest}",
        template="alerta_sla_revision",
        to=recipients,
        context={"certificaciones": alerts},
    )


def _supervisors(session: Session) -> list[str]:
    """Active supervisors; administrators when there is none."""
    for role in (StaffRole.SUPERVISOR, StaffRole.ADMINISTRADOR):
        emails = session.exec(
            select(StaffUser.email)
            .where(StaffUser.role == role, col(StaffUser.is_active).is_(True))
            .order_by(col(StaffUser.id))
        ).all()
        if emails:
            return list(emails)
    return []
