"""`sia certification request`: open a request on a vendor's behalf (until the vendor portal)."""

from __future__ import annotations

import click

from cli.database import prepare_database
from cli.params import SpanishGroup


@click.group(name="certification", cls=SpanishGroup)
def certification_group() -> None:
    """Solicitudes de certificación."""


@certification_group.command(name="request")
@click.option("--rfc", required=True, help="RFC del desarrollador.")
@click.option("--email", required=True, help="Correo al que se envía el set de pruebas.")
@click.option("--razon-social", "razon_social", help="Razón social del desarrollador.")
def request_command(rfc: str, email: str, razon_social: str | None) -> None:
    """Abre una solicitud; un worker envía el set de pruebas por correo."""
    from core.db import session_scope
    from workflow.certifications import request_certification
    from workflow.refusals import RequestRefused

    prepare_database()
    try:
        with session_scope() as session:
            certification = request_certification(
                session, rfc=rfc, email=email, razon_social=razon_social, actor="cli"
            )
    except RequestRefused as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(
        f"Solicitud {certification.folio} registrada; el set de pruebas se enviará a {email}."
    )
