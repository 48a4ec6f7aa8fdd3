"""Evidence upload and its status, for the vendor's systems (HTTP Basic: RFC + SIA password)."""

from __future__ import annotations

import binascii
from base64 import b64decode
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.responses import JSONResponse
from fastapi.security import HTTPBasic, HTTPBasicCredentials
from fastapi.security.utils import get_authorization_scheme_param
from sqlmodel import col, select
from starlette.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection

from evidence.limits import WORKBOOK_MAX_BYTES
from review.deps import DbSession, client_address
from review.intake import store_upload, submission_status
from review.uploads import read_upload
from schema import Certification, EvidenceSubmission, Organization
from workflow.evidence import authenticate_vendor, vendor_attempt
from workflow.throttle import throttled

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


def current_vendor(
    request: Request,
    session: DbSession,
    credentials: Annotated[HTTPBasicCredentials | None, Depends(_basic)],
) -> Organization:
    vendor = None
    if credentials is not None:  # no credentials at all is no guess: nothing to count
        vendor = throttled(
            session,
            vendor_attempt(credentials.username, client_address(request)),
            lambda: authenticate_vendor(session, credentials.username, credentials.password),
        )
    if vendor is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            detail="RFC o contraseña SIA incorrectos.",
            headers={"WWW-Authenticate": 'Basic realm="SIA"'},
        )
    return vendor


Vendor = Annotated[Organization, Depends(current_vendor)]


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
