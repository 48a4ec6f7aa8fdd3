"""Evidence intake shared by the vendor page and the JSON API: store an upload, describe it."""

from __future__ import annotations

from typing import Any, cast

from fastapi import HTTPException, status
from sqlalchemy.orm import QueryableAttribute, defer
from sqlmodel import Session, col, select

from evidence.findings import BLOCKING_CODES
from review.api.models.evidence import (
    CertificacionResumen,
    EstadoEvidencia,
    EvidenciaRecibida,
    HallazgoBloqueante,
)
from review.refusals import http_status
from review.uploads import UploadedFile
from schema import Certification, EvidenceSubmission, Finding, Organization, SubmissionStatus
from workflow.evidence import receive_evidence
from workflow.refusals import UploadRefused

BLOCKING = frozenset(code.value for code in BLOCKING_CODES)
# Loads a submission without its reading: megabytes of JSON that neither a status nor a review's
# findings show, read again on every poll.
WITHOUT_READING = defer(cast("QueryableAttribute[Any]", EvidenceSubmission.reading))


def submission_status(session: Session, submission: EvidenceSubmission) -> EstadoEvidencia:
    certification = session.get(Certification, submission.certification_id)
    assert certification is not None and submission.id is not None
    extra: dict[str, Any] = {}
    if submission.status is SubmissionStatus.ILEGIBLE:
        # Only the blocking findings: content findings would leak the evaluation answers.
        extra["hallazgos"] = [
            HallazgoBloqueante(codigo=f.code, mensaje=f.message)
            for f in session.exec(
                select(Finding)
                .where(Finding.submission_id == submission.id)
                .order_by(col(Finding.id))
            )
            if f.code in BLOCKING
        ]
    return EstadoEvidencia(
        id=submission.id,
        estado=submission.status,
        archivo=submission.original_name,
        sha256=submission.sha256,
        tamano=submission.size_bytes,
        recibida=submission.uploaded_at.isoformat(),
        ronda=submission.round,
        certificacion=CertificacionResumen(
            folio=certification.folio, estado=certification.state.label
        ),
        url=f"/api/v1/evidencias/{submission.id}",
        **extra,
    )


def store_upload(
    session: Session, vendor: Organization, folio: str, uploaded: UploadedFile
) -> tuple[EvidenciaRecibida, int]:
    """Receive and commit (the examination is queued after it); the body and its HTTP status."""
    try:
        received = receive_evidence(
            session, vendor, folio, filename=uploaded.filename, data=uploaded.data
        )
    except UploadRefused as exc:
        session.rollback()
        raise HTTPException(http_status(exc), detail=str(exc)) from None
    session.commit()
    current = submission_status(session, received.submission)
    body = EvidenciaRecibida(**current.model_dump(exclude_unset=True), duplicada=received.duplicate)
    return body, status.HTTP_200_OK if received.duplicate else status.HTTP_202_ACCEPTED
