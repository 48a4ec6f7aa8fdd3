"""Jinja2 environment of the web pages, with the es-MX formatting filters, and ``render``, which
every page uses so that its forms carry the CSRF token (review.deps)."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.responses import HTMLResponse

from core.config import get_settings
from review.deps import CSRF_FIELD, CSRF_HEADER, PRE_SESSION_COOKIE, cookie_options, csrf_token_of
from rules.formatting import dinero, fecha, fecha_hora

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")


def _local_date(value: date | datetime | None) -> str:
    return fecha(value, get_settings().tz) if value else "—"


def _local_datetime(value: datetime | None) -> str:
    return fecha_hora(value, get_settings().tz) if value else "—"


def _local_time(value: datetime) -> str:
    return f"{value.astimezone(get_settings().tz):%H:%M:%S}"


templates.env.filters.update(
    fecha=_local_date, fecha_hora=_local_datetime, hora=_local_time, dinero=dinero
)
templates.env.globals.update(csrf_field=CSRF_FIELD, csrf_header=CSRF_HEADER)


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, status_code: int = 200
) -> HTMLResponse:
    token = csrf_token_of(request)
    response = templates.TemplateResponse(
        request, name, {"csrf_token": token, **(context or {})}, status_code=status_code
    )
    fresh = getattr(request.state, "new_pre_session_token", None)
    if fresh is not None:
        response.set_cookie(PRE_SESSION_COOKIE, fresh, **cookie_options())
    return response
