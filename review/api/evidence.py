"""Evidence upload and its status, for the vendor's systems (HTTP Basic: RFC + SIA password)."""

from __future__ import annotations

import binascii
from base64 import b64decode
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.responses import JSONResponse
from fastapi.security import HTTPBasic, HTTPBasicCredentials
from fastapi.security.utils import get_authorization_scheme_param
from sqlmodel import Session, col, select
from starlette.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection

from evidence.findings import BLOCKING_CODES
from evidence.limits import WORKBOOK_MAX_BYTES
from review.deps import DbSession
from review.uploads import UploadedFile, read_upload
from schema import Certification, EvidenceSubmission, Finding, Organization, SubmissionStatus
from workers.enqueue import enqueue_after_commit
from workers.tasks.evidence import read_submission
from workflow.evidence import UploadRefused, authenticate_vendor, receive_evidence

router = APIRouter(tags=["evidencias"])


class _Utf8Basic(HTTPBasic):
    """HTTP Basic decoded as UTF-8 (RFC 7617), so a password with ñ works; FastAPI's own
    decodes ASCII and answers in English."""

    async def __call__(self, request: HTTPConnection) -> HTTPBasicCredentials | None:  # type: ignore[override]
        scheme, param = get_authorization_scheme_param(request.headers.get("Authorization"))
        if scheme.lower() != "basic":
            return None
        try:
            username, separator, password = b64decode(param).decode("utf-8").partition(":")
        except (ValueError, UnicodeDecodeError, binascii.Error):
            return None
        return HTTPBasicCredentials(username=username, password=password) if separator else None


_basic = _Utf8Basic(auto_error=False, description="RFC del desarrollador y su contraseña SIA")
UPLOAD_FIELD = "archivo"
BLOCKING = frozenset(code.value for code in BLOCKING_CODES)


def current_vendor(
    session: DbSession, credentials: Annotated[HTTPBasicCredentials | None, Depends(_basic)]
) -> Organization:
    vendor = (
        authenticate_vendor(session, credentials.username, credentials.password)
        if credentials
        else None
    )
    if vendor is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            detail="RFC o contraseña SIA incorrectos.",
            headers={"WWW-Authenticate": 'Basic realm="SIA"'},
        )
    return vendor


Vendor = Annotated[Organization, Depends(current_vendor)]


def submission_status(session: DbSession, submission: EvidenceSubmission) -> dict[str, Any]:
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


@router.post(
    "/certificaciones/{folio}/evidencias",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Sube el libro de evidencias (multipart/form-data, campo «archivo», máx. 5 MiB)",
    responses={
        200: {"description": "El mismo archivo ya se había recibido en esta ronda"},
        401: {"description": "RFC o contraseña SIA incorrectos"},
        409: {"description": "La certificación no recibe evidencias en su estado actual"},
        413: {"description": "Más de 5 MiB"},
    },
)
async def post_evidence(
    request: Request, session: DbSession, vendor: Vendor, folio: str
) -> JSONResponse:
    uploaded = await read_upload(request, field=UPLOAD_FIELD, limit=WORKBOOK_MAX_BYTES)
    body, code = await run_in_threadpool(store_upload, session, vendor, folio, uploaded)
    return JSONResponse(body, status_code=code, headers={"Location": body["url"]})


@router.get("/evidencias/{submission_id}", summary="Estado de una evidencia subida")
def get_evidence(session: DbSession, vendor: Vendor, submission_id: int) -> dict[str, Any]:
    submission = session.exec(
        select(EvidenceSubmission)
        .join(Certification, col(Certification.id) == EvidenceSubmission.certification_id)
        .where(EvidenceSubmission.id == submission_id, Certification.vendor_id == vendor.id)
    ).first()
    if submission is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="No existe esa evidencia.")
    return submission_status(session, submission)
