"""`sia certification request`: open a request on a vendor's behalf (until the vendor portal);
`sia certification show`: a certification and its deadlines as JSON."""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

import click

from cli.database import prepare_database
from cli.params import MomentParam, SpanishGroup

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from workflow.clocks import Deadline


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


@certification_group.command(name="show")
@click.argument("folio")
@click.option(
    "--now",
    "now",
    type=MomentParam(),
    help="Contar los días hábiles restantes desde este momento (AAAA-MM-DD o ISO 8601).",
)
def show_command(folio: str, now: datetime | None) -> None:
    """Imprime en JSON la certificación FOLIO: estado, ronda y plazos (hora de la Ciudad de
    México) con los días hábiles restantes."""
    from sqlmodel import select

    from core.clock import utcnow
    from core.config import get_settings
    from core.db import session_scope
    from schema import Certification, Organization
    from workflow.calendar import load_calendar
    from workflow.clocks import deadlines

    prepare_database()
    now = now or utcnow()
    tz = get_settings().tz
    with session_scope() as session:
        certification = session.exec(
            select(Certification).where(Certification.folio == folio.strip())
        ).first()
        if certification is None:
            raise click.ClickException(f"No existe la certificación con folio «{folio}».")
        vendor = session.get(Organization, certification.vendor_id)
        assert vendor is not None
        shown = deadlines(session, certification, now, load_calendar(session))
        document: dict[str, Any] = {
            "folio": certification.folio,
            "estado": certification.state.label,
            "ronda": certification.round,
            "desarrollador": {"rfc": vendor.rfc, "razon_social": vendor.razon_social},
            "solicitada": certification.requested_at.astimezone(tz).isoformat(),
            "consultada": now.astimezone(tz).isoformat(),
            "plazos": [_deadline(d, tz) for d in shown],
        }
    click.echo(json.dumps(document, ensure_ascii=False, indent=2))


_KINDS = {"evidencia": "entrega de evidencias", "revision": "revisión (nivel de servicio)"}


def _deadline(deadline: Deadline, tz: ZoneInfo) -> dict[str, Any]:
    return {
        "plazo": _KINDS[deadline.kind.value],
        "ronda": deadline.round,
        "estado": deadline.state.value,
        "inicio": deadline.started_at.astimezone(tz).isoformat(),
        "dias_habiles": deadline.term_days,
        "fecha_limite": deadline.due_at.astimezone(tz).isoformat(),
        "dias_habiles_restantes": deadline.days_left,
    }
