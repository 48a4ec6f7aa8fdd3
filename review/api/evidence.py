"""Evidence upload and its status, for the vendor's systems (HTTP Basic: RFC + SIA password)."""

from __future__ import annotations

import binascii
from base64 import b64decode
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Path, Request, Response, status
from fastapi.security import HTTPBasic, HTTPBasicCredentials
from fastapi.security.utils import get_authorization_scheme_param
from sqlmodel import col, select
from starlette.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection

from evidence.limits import WORKBOOK_MAX_BYTES
from review import routing
from review.api.models.errors import INVALID, THROTTLED, error_responses
from review.api.models.evidence import EstadoEvidencia, EvidenciaRecibida
from review.deps import DbSession, client_address
from review.inputs import DbId, Text, refuse_control_characters
from review.intake import WITHOUT_READING, store_upload, submission_status
from review.uploads import read_upload
from schema import Certification, EvidenceSubmission, Organization
from workflow.throttle import Door, throttled
from workflow.vendors import authenticate_vendor, vendor_attempt

router = routing.router(tags=["evidencias"])


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
UPLOAD_PATH = "/certificaciones/{folio}/evidencias"


def current_vendor(
    request: Request,
    session: DbSession,
    credentials: Annotated[HTTPBasicCredentials | None, Depends(_basic)],
) -> Organization:
    vendor = None
    if credentials is not None:  # no credentials at all is no guess: nothing to count
        # Both reach the database (the RFC in a query and the throttling key).
        refuse_control_characters(
            {"usuario": credentials.username, "contraseña": credentials.password}, "header"
        )
        vendor = throttled(
            session,
            vendor_attempt(Door.API, credentials.username, client_address(request)),
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

_LOCATION: dict[str, Any] = {
    "Location": {
        "description": "URL del estado de la evidencia (GET /api/v1/evidencias/{id})",
        "schema": {"type": "string"},
    }
}
# The body is parsed by hand as it streams (review.uploads), so FastAPI cannot infer it.
_UPLOAD_BODY: dict[str, Any] = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": [UPLOAD_FIELD],
                "properties": {
                    UPLOAD_FIELD: {
                        "type": "string",
                        "format": "binary",
                        "description": "Libro de evidencias .xls o .xlsx, máximo 5 MiB.",
                    }
                },
            }
        }
    },
}


@router.post(
    UPLOAD_PATH,
    status_code=status.HTTP_202_ACCEPTED,
    summary="Sube el libro de evidencias (multipart/form-data, campo «archivo», máx. 5 MiB)",
    response_model=EvidenciaRecibida,
    response_model_exclude_unset=True,  # «hallazgos» appears only when the file is unreadable
    responses={
        202: {
            "description": "Recibida; la lectura del libro queda en curso",
            "headers": _LOCATION,
        },
        200: {
            "model": EvidenciaRecibida,
            "description": "El mismo archivo ya se había recibido en esta ronda",
            "headers": _LOCATION,
        },
        **error_responses(
            {
                400: "Falta el archivo en el campo «archivo» o el multipart está mal formado",
                401: "RFC o contraseña SIA incorrectos",
                404: "No existe la certificación con ese folio para este RFC",
                409: "La certificación no recibe evidencias en su estado actual o ya venció "
                "el plazo",
                413: "El archivo excede 5 MiB",
                415: "El cuerpo no es multipart/form-data",
                422: INVALID,
                429: THROTTLED,
            }
        ),
    },
    openapi_extra={"requestBody": _UPLOAD_BODY},
)
async def post_evidence(
    request: Request,
    response: Response,
    session: DbSession,
    vendor: Vendor,
    folio: Annotated[Text, Path(description="Folio de la solicitud de certificación")],
) -> EvidenciaRecibida:
    uploaded = await read_upload(request, field=UPLOAD_FIELD, limit=WORKBOOK_MAX_BYTES)
    body, code = await run_in_threadpool(store_upload, session, vendor, folio, uploaded)
    response.status_code = code
    response.headers["Location"] = body.url
    return body


@router.get(
    "/evidencias/{submission_id}",
    summary="Estado de una evidencia subida",
    response_description="Estado de la evidencia",
    response_model=EstadoEvidencia,
    response_model_exclude_unset=True,  # «hallazgos» appears only when the file is unreadable
    responses=error_responses(
        {
            401: "RFC o contraseña SIA incorrectos",
            404: "No existe esa evidencia (o es de otro desarrollador)",
            422: INVALID,
            429: THROTTLED,
        }
    ),
)
def get_evidence(
    session: DbSession,
    vendor: Vendor,
    submission_id: Annotated[DbId, Path(description="Identificador de la evidencia")],
) -> EstadoEvidencia:
    submission = session.exec(
        select(EvidenceSubmission)
        .options(WITHOUT_READING)
        .join(Certification, col(Certification.id) == EvidenceSubmission.certification_id)
        .where(EvidenceSubmission.id == submission_id, Certification.vendor_id == vendor.id)
    ).first()
    if submission is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="No existe esa evidencia.")
    return submission_status(session, submission)
