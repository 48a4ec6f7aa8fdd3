"""Turn a template and its context into an email's subject, plain text and HTML.

Templates live in ``mailer/templates/<name>/{subject.txt,body.txt,body.html}`` and extend one
layout (``base.txt`` / ``base.html``). HTML is autoescaped, text is not; an undefined name is
an error, never an empty string.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from core.config import get_settings
from mailer.catalog import validate_context
from rules.formatting import dinero, fecha, fecha_hora

TEMPLATES_DIR = Path(__file__).parent / "templates"


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


def _local_date(value: date | datetime) -> str:
    return fecha(value, get_settings().tz)


def _local_datetime(value: datetime) -> str:
    return fecha_hora(value, get_settings().tz)


@cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,  # templates ship with the code: no stat of each file per render
    )
    env.filters.update(fecha=_local_date, fecha_hora=_local_datetime, dinero=dinero)
    return env


def render(template: str, context: Mapping[str, Any]) -> RenderedEmail:
    """Render ``template`` after validating ``context`` (typed values or their stored JSON form)."""
    settings = get_settings()
    values = {
        **validate_context(template, context),
        "portal_url": settings.portal_url,
        "panel_url": settings.panel_url,
    }
    env = environment()
    subject = env.get_template(f"{template}/subject.txt").render(values)
    return RenderedEmail(
        subject=" ".join(subject.split()),  # one header line whatever the template's layout
        text=env.get_template(f"{template}/body.txt").render(values),
        html=env.get_template(f"{template}/body.html").render(values),
    )
