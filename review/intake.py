"""Evidence intake shared by the vendor page and the JSON API: store an upload, describe it."""

from __future__ import annotations

from typing import Any

from fastapi import HTTPException, status
from sqlmodel import Session, col, select

from evidence.findings import BLOCKING_CODES
from review.uploads import UploadedFile
from schema import Certification, EvidenceSubmission, Finding, Organization, SubmissionStatus
from workers.enqueue import enqueue_after_commit
from workers.tasks.evidence import read_submission
from workflow.evidence import UploadRefused, receive_evidence

BLOCKING = frozenset(code.value for code in BLOCKING_CODES)


def submission_status(session: Session, submission: EvidenceSubmission) -> dict[str, Any]:
    certification = session.get(Certification, submission.certification_id)
    assert certification is not None
    body: dict[str, Any] = {
        "id": submission.id,
        "estado": submission.status.value,
        "archivo": submission.original_name,
        "sha256": submission.sha256,
        "tamano": submission.size_bytes,
        "recibida": submission.uploaded_at.isoformat(),
        "ronda": submission.round,
        "certificacion": {"folio": certification.folio, "estado": certification.state.label},
        "url": f"/api/v1/evidencias/{submission.id}",
    }
    if submission.status is SubmissionStatus.ILEGIBLE:
        # Only the blocking findings: content findings would leak the evaluation answers.
        body["hallazgos"] = [
            {"codigo": f.code, "mensaje": f.message}
            for f in session.exec(
                select(Finding)
                .where(Finding.submission_id == submission.id)
                .order_by(col(Finding.id))
            )
            if f.code in BLOCKING
        ]
    return body


def store_upload(
    session: Session, vendor: Organization, folio: str, uploaded: UploadedFile
) -> tuple[dict[str, Any], int]:
    """Receive, commit, and queue the reading; the JSON status and the HTTP status code."""
    try:
        received = receive_evidence(
            session, vendor, folio, filename=uploaded.filename, data=uploaded.data
        )
    except UploadRefused as exc:
        session.rollback()
        raise HTTPException(exc.status_code, detail=str(exc)) from None
    submission = received.submission
    if not received.duplicate:
        enqueue_after_commit(session, read_submission.s(submission.id))
    session.commit()
    body = submission_status(session, submission)
    body["duplicada"] = received.duplicate
    return body, status.HTTP_200_OK if received.duplicate else status.HTTP_202_ACCEPTED
