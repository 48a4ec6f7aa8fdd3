"""Error responses in Spanish, for people and for the vendors' systems alike."""

from __future__ import annotations

import logging
from http import HTTPStatus

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from workflow.throttle import Throttled

logger = logging.getLogger(__name__)

_DEFAULT_DETAILS = {
    400: "Solicitud incorrecta.",
    401: "No autorizado.",
    403: "Prohibido.",
    404: "No encontrado.",
    405: "Método no permitido.",
    413: "El contenido es demasiado grande.",
    415: "Tipo de contenido no admitido.",
}

_FIELD_PROBLEMS = {
    "missing": "es obligatorio",
    "json_invalid": "no es JSON válido",
    "string_too_short": "es demasiado corto",
    "string_too_long": "es demasiado largo",
    "date_from_datetime_parsing": "no es una fecha AAAA-MM-DD",
    "date_parsing": "no es una fecha AAAA-MM-DD",
    "date_type": "no es una fecha AAAA-MM-DD",
    "model_attributes_type": "debe ser un objeto JSON",
    "dict_type": "debe ser un objeto JSON",
    "string_type": "debe ser texto",
}


def _describe(error: dict[str, object]) -> str:
    loc = error.get("loc")
    parts = loc if isinstance(loc, list | tuple) else ()
    field = (
        ".".join(str(p) for p in parts if p not in ("body", "query", "header")) or "la solicitud"
    )
    problem = _FIELD_PROBLEMS.get(str(error.get("type")), "no es válido")
    return f"«{field}» {problem}"


def install(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = "; ".join(_describe(e) for e in exc.errors())
        return JSONResponse({"detail": f"Solicitud inválida: {problems}."}, status_code=422)

    @app.exception_handler(HTTPException)
    async def _http(_request: Request, exc: HTTPException) -> JSONResponse:
        detail = exc.detail
        if detail == HTTPStatus(exc.status_code).phrase:
            detail = _DEFAULT_DETAILS.get(exc.status_code, "Error en la solicitud.")
        return JSONResponse({"detail": detail}, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(Throttled)
    async def _throttled(_request: Request, exc: Throttled) -> JSONResponse:
        return JSONResponse(
            {"detail": str(exc)},
            status_code=429,
            headers={"Retry-After": str(exc.seconds)},
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        logger.exception("unhandled error on %s %s", request.method, request.url.path)
        return JSONResponse(
            {"detail": "Error interno; se registró para su atención. Intente de nuevo."},
            status_code=500,
        )
