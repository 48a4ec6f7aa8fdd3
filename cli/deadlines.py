"""``sia deadlines scan``: run the deadline scan now, or as if it were another moment."""

from __future__ import annotations

import json
from datetime import datetime

import click

from cli.database import prepare_database
from cli.params import MomentParam, SpanishGroup


@click.group(name="deadlines", cls=SpanishGroup)
def deadlines_group() -> None:
    """Plazos: recordatorios, vencimientos y alertas del plazo de revisión."""


@deadlines_group.command(name="scan")
@click.option(
    "--now",
    "now",
    type=MomentParam(),
    help="Actuar como si fuera este momento (AAAA-MM-DD o ISO 8601; sin zona: Ciudad de México).",
)
def scan_command(now: datetime | None) -> None:
    """Envía los recordatorios, vence las solicitudes y alerta a los supervisores que toque, e
    imprime en JSON lo que hizo. Cada acción ocurre una sola vez aunque se ejecute de nuevo."""
    from functools import partial

    from core.clock import travel_to, utcnow
    from core.db import session_scope
    from workflow.deadlines import scan

    prepare_database()
    with travel_to(now or utcnow()):
        summary = scan(partial(session_scope))
    click.echo(json.dumps(summary.to_json(), ensure_ascii=False, indent=2))
