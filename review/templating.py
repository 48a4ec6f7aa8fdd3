"""Jinja2 environment of the web pages, with the es-MX formatting filters."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from fastapi.templating import Jinja2Templates

from core.config import get_settings
from core.formatting import dinero, fecha, fecha_hora

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
templates.env.filters["fecha"] = lambda value: fecha(value, get_settings().tz) if value else "—"
templates.env.filters["fecha_hora"] = lambda value: (
    fecha_hora(value, get_settings().tz) if value else "—"
)
templates.env.filters["dinero"] = dinero
