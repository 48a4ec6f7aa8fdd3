"""Evidence intake: receive a vendor's workbook, then act on its reading (DOMAIN §3, §8, §9).

Receiving stores the original bytes (immutable, content-addressed) and a submission row, and
queues the reading; the reading then either refuses the upload (`ilegible`: state and clock
unchanged, vendor told why) or accepts it (`En análisis`, review SLA starts).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from fastapi import status
from sqlmodel import Session, col, delete, select

from core.config import get_settings
from core.formatting import fecha
from core.security import verify_password
from core.storage import store_blob
from evidence.checks import CheckResult
from evidence.findings import Finding as ReadFinding
from evidence.images import DecodedImage, ImageRejected, thumbnail
from evidence.reading import WorkbookReading
from mailer.outbox import queue_email
from rules.calendar import add_business_days
from schema import (
    Certification,
    CertificationState,
    EvidenceSubmission,
    Finding,
    FindingSource,
    Organization,
    OrganizationKind,
    Severity,
    SubmissionStatus,
    TestSet,
    Verdict,
)
from schema.base import utcnow
from workflow.audit import record_event
from workflow.calendar import load_calendar
from workflow.state_machine import Event, transition
from workflow.throttle import Attempt

S = CertificationState
REVIEW_SLA_DAYS = 5  # business days (DOMAIN §3)
THUMBNAIL_PX = 320

logger = logging.getLogger(__name__)


class UploadRefused(Exception):
    """Why an upload is not taken; `status_code` for HTTP, the message in Spanish."""

    def __init__(self, status_code: int, message: str) -> None:
        super().__init__(message)
        self.status_code = status_code


@dataclass(frozen=True)
class Received:
    submission: EvidenceSubmission
    duplicate: bool


def vendor_attempt(rfc: str, address: str) -> Attempt:
    """A vendor's sign-in attempt, for throttling: its RFC as authenticate_vendor reads it."""
    return Attempt(f"desarrollador:{rfc.strip().upper()}", address)


def authenticate_vendor(session: Session, rfc: str, password: str) -> Organization | None:
    vendor = session.exec(
        select(Organization).where(
            Organization.kind == OrganizationKind.DESARROLLADOR,
            Organization.rfc == rfc.strip().upper(),
        )
    ).first()
    if vendor is None or vendor.sia_password_hash is None:
        return None
    return vendor if verify_password(password, vendor.sia_password_hash) else None


def _refusal_for_state(certification: Certification, now: datetime) -> UploadRefused | None:
    if certification.state is S.EN_ANALISIS:
        return UploadRefused(
            status.HTTP_409_CONFLICT,
            f"La certificación {certification.folio} ya tiene evidencia en análisis; "
            "espera el resultado de la revisión.",
        )
    if certification.state is not S.EN_ESPERA_DE_DOCUMENTOS:
        return UploadRefused(
            status.HTTP_409_CONFLICT,
            f"La certificación {certification.folio} está en «{certification.state.label}» "
            "y no recibe evidencias.",
        )
    due = certification.evidence_due_at
    if due is not None and now > due:
        return UploadRefused(
            status.HTTP_409_CONFLICT,
            f"El plazo para entregar evidencias de la certificación {certification.folio} "
            f"venció el {fecha(due, get_settings().tz)}.",
        )
    return None


def receive_evidence(
    session: Session,
    vendor: Organization,
    folio: str,
    *,
    filename: str,
    data: bytes,
    now: datetime | None = None,
) -> Received:
    """Store the upload and its submission row; the caller queues the reading after commit."""
    now = now or utcnow()
    certification = session.exec(
        select(Certification)
        .where(Certification.folio == folio, Certification.vendor_id == vendor.id)
        .with_for_update()
    ).first()
    if certification is None:
        raise UploadRefused(
            status.HTTP_404_NOT_FOUND,
            f"No existe la certificación {folio} para el RFC {vendor.rfc}.",
        )
    refusal = _refusal_for_state(certification, now)
    if refusal:
        raise refusal
    assert certification.id is not None
    digest = hashlib.sha256(data).hexdigest()
    same_round = select(EvidenceSubmission).where(
        EvidenceSubmission.certification_id == certification.id,
        EvidenceSubmission.round == certification.round,
    )
    duplicate = session.exec(same_round.where(EvidenceSubmission.sha256 == digest)).first()
    if duplicate is not None:
        return Received(duplicate, duplicate=True)
    if session.exec(
        same_round.where(EvidenceSubmission.status == SubmissionStatus.RECIBIDA)
    ).first():
        raise UploadRefused(
            status.HTTP_409_CONFLICT,
            "Ya hay una evidencia de esta ronda en lectura; espera su resultado antes de "
            "subir otra.",
        )
    test_set = session.exec(
        select(TestSet).where(
            TestSet.certification_id == certification.id, TestSet.round == certification.round
        )
    ).one()
    assert test_set.id is not None
    store_blob(data, "evidencias")
    submission = EvidenceSubmission(
        certification_id=certification.id,
        test_set_id=test_set.id,
        round=certification.round,
        uploaded_by=f"vendor:{vendor.rfc}",
        uploaded_at=now,
        size_bytes=len(data),
        sha256=digest,
        original_name=filename[:255] or "evidencia",
        status=SubmissionStatus.RECIBIDA,
    )
    session.add(submission)
    session.flush()
    assert submission.id is not None
    record_event(
        session,
        actor=f"vendor:{vendor.rfc}",
        action="evidence.uploaded",
        entity_type="certification",
        entity_id=certification.id,
        data={"submission": submission.id, "sha256": digest, "size": len(data), "name": filename},
        occurred_at=now,
    )
    return Received(submission, duplicate=False)


def submission_blob(submission: EvidenceSubmission) -> str:
    return f"evidencias/{submission.sha256[:2]}/{submission.sha256}"


def _store_screenshot(image: DecodedImage) -> dict[str, str | None]:
    """The screenshot and its thumbnail in the blob store, as the reading document names them."""
    try:
        miniatura: str | None = store_blob(
            thumbnail(image.data, THUMBNAIL_PX), "miniaturas", f".{image.format}"
        )
    except ImageRejected:
        # The reading proved the pixels decode; a picture Pillow still cannot scale (an odd
        # animated PNG) is shown full size rather than failing the whole upload.
        logger.warning("no thumbnail for screenshot %s", image.name, exc_info=True)
        miniatura = None
    return {
        "archivo": store_blob(image.data, "capturas", f".{image.format}"),
        "miniatura": miniatura,
        "nombre": image.name,
    }


def apply_reading(
    session: Session, submission_id: int, reading: WorkbookReading, *, now: datetime | None = None
) -> EvidenceSubmission | None:
    """Record the reading and refuse or accept the upload; None if already done (idempotent)."""
    now = now or utcnow()
    submission = session.exec(
        select(EvidenceSubmission).where(EvidenceSubmission.id == submission_id).with_for_update()
    ).one()
    if submission.status is not SubmissionStatus.RECIBIDA:
        return None
    certification = session.exec(
        select(Certification).where(Certification.id == submission.certification_id)
    ).one()
    vendor = session.get(Organization, certification.vendor_id)
    assert vendor is not None and certification.id is not None
    document = reading.to_json()
    if reading.screenshots is not None:
        document["capturas"] = [_store_screenshot(image) for image in reading.screenshots.images]
    submission.reading = document
    submission.checked_at = now
    _replace_automatic_findings(session, submission_id, reading.findings)

    base = {
        "folio": certification.folio,
        "ronda": submission.round,
        "razon_social": vendor.razon_social,
        "archivo": submission.original_name,
        "recibida": submission.uploaded_at.isoformat(),
    }
    if reading.ilegible:
        submission.status = SubmissionStatus.ILEGIBLE
        submission.verdict = Verdict.ILEGIBLE
        session.add(submission)
        record_event(
            session,
            actor="system",
            action="evidence.refused",
            entity_type="certification",
            entity_id=certification.id,
            occurred_at=now,
            data={
                "submission": submission_id,
                "codes": sorted({f.code.value for f in reading.blocking_findings}),
            },
        )
        queue_email(
            session,
            key=f"submission:{submission_id}:refused",
            template="evidencia_rechazada",
            to=[vendor.email],
            context={
                **base,
                "fecha_limite": (certification.evidence_due_at or now).isoformat(),
                "hallazgos": [
                    {"codigo": f.code.value, "mensaje": f.message}
                    for f in reading.blocking_findings
                ],
            },
        )
        return submission

    if certification.state is not S.EN_ESPERA_DE_DOCUMENTOS:
        # Cancelled while the file was being read: keep the reading, change nothing else.
        submission.status = SubmissionStatus.DESCARTADA
        session.add(submission)
        return submission
    submission.status = SubmissionStatus.ACEPTADA
    session.add(submission)
    review_due = add_business_days(now, REVIEW_SLA_DAYS, load_calendar(session), get_settings().tz)
    transition(
        session,
        certification,
        Event.EVIDENCE_ACCEPTED,
        actor="system",
        deadline=review_due,
        data={"submission": submission_id},
    )
    queue_email(
        session,
        key=f"submission:{submission_id}:accepted",
        template="evidencia_recibida",
        to=[vendor.email],
        context=base,
    )
    return submission


def _replace_automatic_findings(
    session: Session, submission_id: int, findings: Sequence[ReadFinding]
) -> None:
    session.exec(
        delete(Finding).where(
            col(Finding.submission_id) == submission_id,
            col(Finding.source) == FindingSource.AUTOMATICO,
        )
    )
    session.add_all(
        Finding(
            submission_id=submission_id,
            source=FindingSource.AUTOMATICO,
            code=f.code.value,
            severity=Severity(f.severity),
            tab=f.tab,
            case=f.case,
            message=f.message,
            expected=f.expected,
            actual=f.actual,
        )
        for f in findings
    )


def apply_checks(
    session: Session, submission_id: int, result: CheckResult, *, now: datetime | None = None
) -> EvidenceSubmission | None:
    """Store the automatic checks' verdict and findings (advice for the reviewer, DOMAIN §3).

    Re-running replaces the automatic findings, never adds to them; None when the submission
    is not an accepted one (refused uploads keep their reading's findings).
    """
    now = now or utcnow()
    submission = session.exec(
        select(EvidenceSubmission).where(EvidenceSubmission.id == submission_id).with_for_update()
    ).one()
    if submission.status is not SubmissionStatus.ACEPTADA:
        return None
    _replace_automatic_findings(session, submission_id, result.findings)
    submission.verdict = Verdict(result.verdict)
    submission.checked_at = now
    session.add(submission)
    record_event(
        session,
        actor="system",
        action="evidence.checked",
        entity_type="certification",
        entity_id=submission.certification_id,
        occurred_at=now,
        data={
            "submission": submission_id,
            "verdict": result.verdict,
            "errors": sum(1 for f in result.findings if f.severity == "error"),
            "warnings": sum(1 for f in result.findings if f.severity == "warning"),
        },
    )
    return submission
