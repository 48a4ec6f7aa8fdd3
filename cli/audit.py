"""`sia audit verify`."""

from __future__ import annotations

import click

from core.db import session_scope
from workflow.audit import verify_chain


@click.group()
def audit() -> None:
    """Audit log tools."""


@audit.command()
def verify() -> None:
    """Walk the hash chain and report the first broken link (exit 1 if any)."""
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
