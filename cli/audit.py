"""`sia audit verify`."""

from __future__ import annotations

import click

from cli.database import prepare_database
from cli.params import SpanishGroup


@click.group(cls=SpanishGroup)
def audit() -> None:
    """Bitácora de auditoría."""


@audit.command()
def verify() -> None:
    """Recorre la cadena de hashes e informa el primer eslabón roto (código 1 si lo hay)."""
    from core.db import session_scope
    from workflow.audit import verify_chain

    prepare_database()
    with session_scope() as session:
        report = verify_chain(session)
    if report.ok:
        click.echo(f"Cadena de auditoría íntegra (eventos verificados: {report.events_checked}).")
        return
    click.echo(
        f"Cadena de auditoría ROTA en el evento {report.broken_at}: {report.problem} "
        f"({report.events_checked} eventos anteriores verificados).",
        err=True,
    )
    raise SystemExit(1)
