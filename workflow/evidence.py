"""Evidence intake: receive a vendor's workbook, examine it, act on the outcome (DOMAIN §3, §8, §9).

Receiving stores the original bytes (immutable, content-addressed) and a submission row, and
queues the examination. The examination reads the workbook and, when it is readable, checks it
against the round's test set, both in one guarded child process (``evidence.guard``); its
outcome is then applied in one transaction: the upload is refused (``ilegible``: state and
clock unchanged, vendor told why) or accepted (``En análisis``, review SLA starts) with the
automatic verdict and findings that advise the reviewer.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from sqlalchemy import insert
from sqlmodel import Session, col, delete, select

from core.clock import utcnow
from core.config import get_settings
from core.db import SessionFactory
from core.enqueue import enqueue_after_commit
from core.keys import avisos_keypair
from core.storage import BlobTooLarge, blob_key, read_blob, store_blob
from evidence.examination import Examination, RoundDocuments
from evidence.findings import Finding as ReadFinding
from evidence.formats.images import DecodedImage, ImageRejected, thumbnail
from evidence.guard import examine_guarded
from evidence.verdict import Verdict
from mailer.outbox import queue_email
from rules.formatting import fecha_hora
from schema import (
    Certification,
    CertificationState,
    ClockKind,
    EvidenceSubmission,
    Finding,
    FindingSource,
    Organization,
    Severity,
    SubmissionStatus,
    TestSet,
)
from workflow.assignment import assign_reviewer
from workflow.audit import record_event
from workflow.calendar import load_calendar
from workflow.clocks import business_days_left, current_clock
from workflow.refusals import UploadReason, UploadRefused
from workflow.state_machine import Event, transition

S = CertificationState
THUMBNAIL_PX = 320
EXAMINE_TASK = "sia.evidence.examine_submission"
# An upload waits this long for its own after-commit task before the sweep queues it again.
SWEEP_GRACE = timedelta(minutes=3)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Received:
    submission: EvidenceSubmission
    duplicate: bool


def _refusal_for_state(
    session: Session, certification: Certification, now: datetime
) -> UploadRefused | None:
    if certification.state is S.EN_ANALISIS:
        return UploadRefused(
            UploadReason.UNDER_REVIEW,
            f"La certificación {certification.folio} ya tiene evidencia en análisis; "
            "espere el resultado de la revisión.",
        )
    if certification.state is not S.EN_ESPERA_DE_DOCUMENTOS:
        return UploadRefused(
            UploadReason.NOT_RECEIVING,
            f"La certificación {certification.folio} está en «{certification.state.label}» "
            "y no recibe evidencias.",
        )
    clock = current_clock(session, certification, ClockKind.EVIDENCIA)
    if clock is not None and now > clock.due_at:
        return UploadRefused(
            UploadReason.DEADLINE_PASSED,
            f"El plazo para entregar evidencias de la certificación {certification.folio} "
            f"venció el {fecha_hora(clock.due_at, get_settings().tz)}.",
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
    """Store the upload and its submission row; its examination is queued after the commit."""
    now = now or utcnow()
    certification = session.exec(
        select(Certification)
        .where(Certification.folio == folio, Certification.vendor_id == vendor.id)
        .with_for_update()
    ).first()
    if certification is None:
        raise UploadRefused(
            UploadReason.NO_SUCH_CERTIFICATION,
            f"No existe la certificación {folio} para el RFC {vendor.rfc}.",
        )
    refusal = _refusal_for_state(session, certification, now)
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
            UploadReason.STILL_EXAMINING,
            "Ya hay una evidencia de esta ronda en lectura; espere su resultado antes de "
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
    enqueue_after_commit(session, EXAMINE_TASK, submission.id)
    return Received(submission, duplicate=False)


def submission_blob(submission: EvidenceSubmission) -> str:
    return blob_key("evidencias", submission.sha256)


@dataclass(frozen=True)
class _Job:
    data: bytes
    filename: str
    against: RoundDocuments


def _job(session: Session, submission_id: int) -> _Job | None:
    submission = session.get(EvidenceSubmission, submission_id)
    if submission is None or submission.status is not SubmissionStatus.RECIBIDA:
        return None
    test_set = session.get(TestSet, submission.test_set_id)
    assert test_set is not None
    public_key = avisos_keypair()[1].public_bytes(Encoding.Raw, PublicFormat.Raw)
    against = RoundDocuments(
        test_set.document, test_set.answers, test_set.avisos_responses, public_key
    )
    return _Job(read_blob(submission_blob(submission)), submission.original_name, against)


def examine_submission(
    transaction: SessionFactory, submission_id: int
) -> EvidenceSubmission | None:
    """Examine a received upload and apply the outcome; None if there was nothing to do.

    Idempotent: a submission is examined while it is ``recibida`` and the outcome is applied
    under its row lock, so a duplicated or retried task finds it done and changes nothing.
    """
    with transaction() as session:
        job = _job(session, submission_id)
    if job is None:
        return None
    # Outside any transaction: parsing hostile bytes in a child process must not hold locks.
    examination = examine_guarded(job.data, filename=job.filename, against=job.against)
    with transaction() as session:
        return apply_examination(session, submission_id, examination)


def sweep_unexamined(session: Session, *, now: datetime | None = None) -> list[int]:
    """Queue again the uploads whose examination never reached the broker or died with its
    worker (after commit); their ids."""
    cutoff = (now or utcnow()) - SWEEP_GRACE
    ids = session.exec(
        select(EvidenceSubmission.id).where(
            EvidenceSubmission.status == SubmissionStatus.RECIBIDA,
            EvidenceSubmission.uploaded_at < cutoff,
        )
    ).all()
    stuck = [i for i in ids if i is not None]
    for submission_id in stuck:
        enqueue_after_commit(session, EXAMINE_TASK, submission_id)
    return stuck


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
    try:
        archivo: str | None = store_blob(image.data, "capturas", f".{image.format}")
    except BlobTooLarge:
        # Pixels stored with little compression can outgrow the blob store inside a workbook
        # that fits the upload limit; the reviewer is then shown the thumbnail at full view.
        logger.warning("screenshot %s too large to keep; thumbnail only", image.name)
        archivo = miniatura
    return {"archivo": archivo, "miniatura": miniatura, "nombre": image.name}


def apply_examination(
    session: Session,
    submission_id: int,
    examination: Examination,
    *,
    now: datetime | None = None,
) -> EvidenceSubmission | None:
    """Record the examination and refuse or accept the upload; None if already done."""
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
    reading, checks = examination.reading, examination.checks
    document = reading.to_json()
    if reading.screenshots is not None:
        document["capturas"] = [_store_screenshot(image) for image in reading.screenshots.images]
    if reading.cfdi is not None:
        # The reading keeps only each CFDI's hash; the reviewer reads the XML as it came.
        document["cfdi"] = [
            {"archivo": store_blob(doc.xml, "cfdi", ".xml"), "origen": doc.source}
            for doc in reading.cfdi.documents
        ]
    submission.reading = document
    submission.checked_at = now
    # A refused upload keeps its reading's findings: the content of an unread workbook is not
    # judged (and the vendor sees only why it was refused).
    kept = reading.findings if reading.ilegible or checks is None else checks.findings
    _replace_automatic_findings(session, submission_id, kept)
    base = {
        "folio": certification.folio,
        "ronda": submission.round,
        "razon_social": vendor.razon_social,
        "archivo": submission.original_name,
        "recibida": submission.uploaded_at.isoformat(),
    }
    if reading.ilegible:
        _refuse(session, submission, certification, vendor, examination, base, now)
        return submission
    if certification.state is not S.EN_ESPERA_DE_DOCUMENTOS:
        # Cancelled while the file was being examined: keep the reading, change nothing else.
        submission.status = SubmissionStatus.DESCARTADA
        session.add(submission)
        return submission
    submission.status = SubmissionStatus.ACEPTADA
    submission.verdict = checks.verdict if checks else None
    session.add(submission)
    transition(
        session,
        certification,
        Event.EVIDENCE_ACCEPTED,
        actor="system",
        data={"submission": submission_id},
    )
    assign_reviewer(session, certification)
    data: dict[str, object] = {"submission": submission_id}
    if checks:
        severities = [f.severity for f in checks.findings]
        data |= {
            "verdict": str(checks.verdict),
            "errors": severities.count("error"),
            "warnings": severities.count("warning"),
        }
    record_event(
        session,
        actor="system",
        action="evidence.checked" if checks else "evidence.check_failed",
        entity_type="certification",
        entity_id=certification.id,
        occurred_at=now,
        data=data,
    )
    queue_email(
        session,
        key=f"submission:{submission_id}:accepted",
        template="evidencia_recibida",
        to=[vendor.email],
        context=base,
    )
    return submission


def _refuse(
    session: Session,
    submission: EvidenceSubmission,
    certification: Certification,
    vendor: Organization,
    examination: Examination,
    base: dict[str, object],
    now: datetime,
) -> None:
    blocking = examination.reading.blocking_findings
    submission.status = SubmissionStatus.ILEGIBLE
    submission.verdict = Verdict.ILEGIBLE
    session.add(submission)
    assert certification.id is not None
    record_event(
        session,
        actor="system",
        action="evidence.refused",
        entity_type="certification",
        entity_id=certification.id,
        occurred_at=now,
        data={"submission": submission.id, "codes": sorted({f.code.value for f in blocking})},
    )
    clock = current_clock(session, certification, ClockKind.EVIDENCIA)
    assert clock is not None  # the upload was received while the evidence term ran
    queue_email(
        session,
        key=f"submission:{submission.id}:refused",
        template="evidencia_rechazada",
        to=[vendor.email],
        context={
            **base,
            "fecha_limite": clock.due_at.isoformat(),
            "dias_restantes": business_days_left(clock, now, load_calendar(session)),
            "hallazgos": [{"codigo": f.code.value, "mensaje": f.message} for f in blocking],
        },
    )


def _replace_automatic_findings(
    session: Session, submission_id: int, findings: Sequence[ReadFinding]
) -> None:
    session.exec(
        delete(Finding).where(
            col(Finding.submission_id) == submission_id,
            col(Finding.source) == FindingSource.AUTOMATICO,
        )
    )
    if not findings:
        return
    # A Core insert of plain rows: a workbook can carry thousands of findings, and ORM objects
    # for rows nobody reads back here cost most of the time of storing them.
    created = utcnow()
    session.execute(
        insert(Finding),
        [
            {
                "submission_id": submission_id,
                "source": FindingSource.AUTOMATICO,
                "code": f.code.value,
                "severity": Severity(f.severity),
                "tab": f.tab,
                "case": f.case,
                "message": f.message,
                "expected": f.expected,
                "actual": f.actual,
                "created_at": created,
            }
            for f in findings
        ],
    )
