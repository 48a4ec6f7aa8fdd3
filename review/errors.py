"""Error responses in Spanish, for people and for the vendors' systems alike.

Every error leaves through :func:`error_response`: the API (``/api/…``, ``/healthz``,
``/openapi.json``) answers ``{"detail": "…"}``, every other path a small Spanish page. A redirect
raised as an exception (a page that needs sign-in) stays a bare redirect.

:class:`RequestGuard` gives each request a short id (header ``X-Request-Id``) and answers an
exception that escapes the application with a Spanish 500 that names the id, which the log line
of the exception names too. It sits inside Starlette's ServerErrorMiddleware on purpose: that one
re-raises after answering, and the server then closes the connection; here the exception ends
with the response, so the client's keep-alive connection serves its next request.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

import sqlalchemy.exc
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from python_multipart.exceptions import FormParserError
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from review.inputs import CONTROL_CHARACTERS
from review.templating import templates
from workflow.throttle import Throttled

logger = logging.getLogger(__name__)

REQUEST_ID_HEADER = "X-Request-Id"
UNAVAILABLE_RETRY_SECONDS = 5
_REQUEST_ID_KEY = "request_id"  # in the request's state

_DEFAULT_DETAILS = {
    400: "Solicitud incorrecta.",
    401: "No autorizado.",
    403: "Prohibido.",
    404: "No encontrado.",
    405: "Método no permitido.",
    413: "El contenido es demasiado grande.",
    415: "Tipo de contenido no admitido.",
    422: "Solicitud inválida.",
    429: "Demasiados intentos.",
    500: "Error interno.",
    503: "Servicio no disponible.",
}
MALFORMED_BODY = "El cuerpo de la solicitud está mal formado."
# What the framework says in English with no other sign of what it is; ours are Spanish.
_FRAMEWORK_DETAILS = {"There was an error parsing the body": MALFORMED_BODY}

_FIELD_PROBLEMS = {
    "missing": "es obligatorio",
    "string_too_short": "es demasiado corto",
    "string_too_long": "es demasiado largo",
    "date_from_datetime_parsing": "no es una fecha AAAA-MM-DD",
    "date_parsing": "no es una fecha AAAA-MM-DD",
    "date_type": "no es una fecha AAAA-MM-DD",
    "model_attributes_type": "debe ser un objeto JSON",
    "dict_type": "debe ser un objeto JSON",
    "string_type": "debe ser texto",
    "string_unicode": "no es texto Unicode válido",
    "int_parsing": "debe ser un número entero",
    "int_type": "debe ser un número entero",
    "greater_than_equal": "debe ser al menos {ge}",
    "less_than_equal": "no puede ser mayor que {le}",
    CONTROL_CHARACTERS: "contiene caracteres de control, que no se admiten",
}
_WHERE = ("body", "query", "header", "path", "cookie")  # not part of the field's name


def route_path(scope: Scope) -> str:
    """The path the routes see (without the prefix of a proxy that mounts the app)."""
    path, root = str(scope.get("path", "")), str(scope.get("root_path", ""))
    return path[len(root) :] if root and path.startswith(root) else path


def wants_json(scope: Scope) -> bool:
    path = route_path(scope)
    return path.startswith("/api/") or path in ("/healthz", "/openapi.json")


def request_id(connection: HTTPConnection) -> str:
    state = connection.scope.get("state") or {}
    return str(state.get(_REQUEST_ID_KEY, ""))


def error_response(
    request: Request, status_code: int, detail: str, headers: Mapping[str, str] | None = None
) -> Response:
    """The one shape of an error: JSON for the API, a Spanish page for people."""
    if wants_json(request.scope):
        return JSONResponse({"detail": detail}, status_code=status_code, headers=headers)
    title = _DEFAULT_DETAILS.get(status_code, "Error en la solicitud.").rstrip(".")
    context = {"title": title, "detail": detail, "request_id": None}
    if status_code >= 500:
        context["request_id"] = request_id(request)
    try:
        page: HTMLResponse = templates.TemplateResponse(
            request, "error.html", context, status_code=status_code, headers=headers
        )
    except Exception:
        # The page of a 500 must not fail in turn; the text alone says enough.
        logger.exception("error page could not be rendered")
        return PlainTextResponse(detail, status_code=status_code, headers=headers)
    return page


def _problem(error: Mapping[str, Any]) -> str:
    template = _FIELD_PROBLEMS.get(str(error.get("type")), "no es válido")
    ctx = error.get("ctx")
    try:
        return template.format(**ctx) if isinstance(ctx, dict) else template.format()
    except (KeyError, IndexError, ValueError):
        return "no es válido"


def _describe(error: Mapping[str, Any]) -> str:
    if error.get("type") == "json_invalid":
        return "el cuerpo no es JSON válido"  # its «loc» is a character offset, not a field
    loc = error.get("loc")
    parts = loc if isinstance(loc, list | tuple) else ()
    field = ".".join(str(p) for p in parts if p not in _WHERE) or "la solicitud"
    return f"«{field}» {_problem(error)}"


def validation_detail(errors: Sequence[Mapping[str, Any]]) -> str:
    """The Spanish ``detail`` of a 422, one clause per problem."""
    problems = "; ".join(_describe(e) for e in errors)
    return f"Solicitud inválida: {problems}."


def _http_detail(exc: HTTPException) -> str:
    cause = exc.__cause__ if exc.__suppress_context__ else exc.__context__
    if isinstance(cause, MultiPartException | FormParserError):
        # Starlette's form parser passes on python-multipart's English message.
        return MALFORMED_BODY
    detail = str(exc.detail)
    if detail in _FRAMEWORK_DETAILS:
        return _FRAMEWORK_DETAILS[detail]
    try:
        phrase = HTTPStatus(exc.status_code).phrase
    except ValueError:
        phrase = None
    if detail == phrase:
        return _DEFAULT_DETAILS.get(exc.status_code, "Error en la solicitud.")
    return detail


def unexpected_response(request: Request) -> Response:
    ref = request_id(request)
    detail = (
        f"Error interno; se registró con la referencia {ref} para su atención. Intente de nuevo."
    )
    return error_response(request, 500, detail, headers={REQUEST_ID_HEADER: ref})


class RequestGuard:
    """Pure ASGI, outermost of the app's own middleware: a request id for every response, and
    the Spanish 500 for whatever escapes (see the module's docstring)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        ref = uuid.uuid4().hex[:12]
        scope.setdefault("state", {})[_REQUEST_ID_KEY] = ref
        started = False

        async def send_with_id(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = ref
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            logger.exception(
                "unhandled error on %s %s (request %s)", scope["method"], scope["path"], ref
            )
            if started:
                raise  # half a response went out: only closing the connection can end it
            await unexpected_response(Request(scope, receive))(scope, receive, send_with_id)


def install(app: FastAPI) -> None:
    """The exception handlers; ``review.app`` adds :class:`RequestGuard` with the middleware."""

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        return error_response(request, 422, validation_detail(exc.errors()))

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> Response:
        if 300 <= exc.status_code < 400:
            # A page that sends the visitor elsewhere (sign-in first): Location, no body.
            return Response(status_code=exc.status_code, headers=exc.headers)
        return error_response(request, exc.status_code, _http_detail(exc), headers=exc.headers)

    @app.exception_handler(sqlalchemy.exc.TimeoutError)
    @app.exception_handler(sqlalchemy.exc.OperationalError)
    @app.exception_handler(sqlalchemy.exc.InterfaceError)
    async def _database_unavailable(request: Request, exc: Exception) -> Response:
        # Every connection busy, or the database restarting: the request did nothing (its
        # transaction never committed), so the client may simply try again.
        logger.warning("database unavailable on %s %s: %s", request.method, request.url.path, exc)
        return error_response(
            request,
            503,
            "El servicio no está disponible por el momento. Intente de nuevo en unos segundos.",
            headers={"Retry-After": str(UNAVAILABLE_RETRY_SECONDS)},
        )

    @app.exception_handler(Throttled)
    async def _throttled(request: Request, exc: Throttled) -> Response:
        return error_response(request, 429, str(exc), headers={"Retry-After": str(exc.seconds)})

    @app.exception_handler(Exception)
    async def _last_resort(request: Request, _exc: Exception) -> Response:
        # Reached only if RequestGuard itself fails (Starlette's ServerErrorMiddleware calls
        # it); its default answer would be English.
        return unexpected_response(request)
