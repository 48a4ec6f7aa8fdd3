"""Loading production avisos for INFONAVIT's own systems: ``POST /api/v1/interno/avisos``.

The body is JSON Lines (``application/x-ndjson``, or ``text/plain``), one aviso a line as
`sia avisos import` reads them (``workflow.avisos.imports``). Only administrators (a bearer
token from `sia staff-token` acting for one, or an administrator's panel session with its CSRF
header) may load avisos.

The body is streamed to a spooled temporary file and cut off at :data:`BODY_MAX_BYTES`; nothing
is imported before the whole body has arrived within the limit, so a 413 leaves the avisos as
they were. The import then runs on a worker thread and its report is the answer.
"""

from __future__ import annotations

import logging
import tempfile
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request, status
from starlette.concurrency import run_in_threadpool

from core.db import get_engine
from review import routing
from review.api.models.avisos_import import ReporteImportacion
from review.api.models.errors import error_responses
from review.deps import ADMINISTRATORS, api_staff
from schema import StaffUser
from workflow.avisos.imports import import_lines, read_lines

logger = logging.getLogger(__name__)
router = routing.router(tags=["interno"])

IMPORT_PATH = "/interno/avisos"
BODY_MAX_BYTES = 20 * 1024 * 1024
# JSON Lines has no registered media type: the usual names, and plain text (curl, scripts).
MEDIA_TYPES = frozenset(
    {"application/x-ndjson", "application/jsonl", "application/json-lines", "text/plain"}
)
_IN_MEMORY = 1024 * 1024  # beyond this the body goes to a temporary file

AdministratorApi = Annotated[StaffUser, Depends(api_staff(ADMINISTRATORS))]


class BodyTooLarge(HTTPException):
    def __init__(self) -> None:
        super().__init__(
            status.HTTP_413_CONTENT_TOO_LARGE,
            detail=f"El cuerpo excede el máximo de {BODY_MAX_BYTES // (1024 * 1024)} MiB; "
            "divida los avisos en varias solicitudes. No se importó ninguno.",
            headers={"Connection": "close"},
        )


_LINES_SCHEMA = {
    "schema": {
        "type": "string",
        "description": "Una línea por aviso: el objeto del aviso (DOMAIN §5) con "
        "«registroPatronal». Máximo 20 MiB.",
    }
}
_BODY: dict[str, Any] = {
    "required": True,
    "content": {"application/x-ndjson": _LINES_SCHEMA, "text/plain": _LINES_SCHEMA},
}


def _declared_length(request: Request) -> int | None:
    value = request.headers.get("content-length", "")
    return int(value) if value.isdigit() else None


@router.post(
    IMPORT_PATH,
    summary="Importa avisos de producción (JSON Lines, máx. 20 MiB)",
    response_description="El reporte: leídas, importadas, repetidas y las líneas rechazadas",
    response_model=ReporteImportacion,
    responses=error_responses(
        {
            401: "Sin sesión ni token de personal",
            403: "Rol sin acceso (solo administración), o sesión sin token CSRF válido",
            413: "El cuerpo excede 20 MiB (no se importó nada)",
            415: "El cuerpo no es application/x-ndjson (ni text/plain)",
        }
    ),
    openapi_extra={"requestBody": _BODY},
)
async def import_avisos(request: Request, staff: AdministratorApi) -> ReporteImportacion:
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type not in MEDIA_TYPES:
        raise HTTPException(
            status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
            detail="Envíe los avisos como application/x-ndjson: un aviso JSON por línea.",
        )
    declared = _declared_length(request)
    if declared is not None and declared > BODY_MAX_BYTES:
        raise BodyTooLarge()
    with tempfile.SpooledTemporaryFile(max_size=_IN_MEMORY) as body:
        received = 0
        async for chunk in request.stream():
            received += len(chunk)
            if received > BODY_MAX_BYTES:
                raise BodyTooLarge()
            body.write(chunk)
        body.seek(0)
        report = await run_in_threadpool(import_lines, get_engine(), read_lines(body))
    logger.info(
        "avisos importados por %s: %d leídas, %d importadas, %d repetidas, %d rechazadas",
        staff.email,
        report.leidas,
        report.importadas,
        report.repetidas,
        report.errores_total,
    )
    return ReporteImportacion.of(report)
