"""Jinja2 environment of the web pages, with the es-MX formatting filters."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from fastapi.templating import Jinja2Templates

from core.config import get_settings
from rules.formatting import dinero, fecha, fecha_hora

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")


def _local_date(value: date | datetime | None) -> str:
    return fecha(value, get_settings().tz) if value else "—"


def _local_datetime(value: datetime | None) -> str:
    return fecha_hora(value, get_settings().tz) if value else "—"


templates.env.filters.update(fecha=_local_date, fecha_hora=_local_datetime, dinero=dinero)
