"""`sia relationships list`: a patrón's relaciones de confianza as JSON, as its table shows them."""

from __future__ import annotations

import json
from datetime import date
from typing import TYPE_CHECKING, Any

import click

from cli.database import prepare_database
from cli.params import SpanishGroup

if TYPE_CHECKING:
    from workflow.relationships.table import RelationshipRow


@click.group(name="relationships", cls=SpanishGroup)
def relationships_group() -> None:
    """Relaciones de confianza de los patrones con los desarrolladores certificados."""


@relationships_group.command(name="list")
@click.option("--nrp", required=True, help="Número de Registro Patronal (NRP) del patrón.")
def list_command(nrp: str) -> None:
    """Imprime en JSON las relaciones de confianza del patrón, la más reciente primero, con las
    columnas de su tabla (fechas AAAA-MM-DD)."""
    from core.db import session_scope
    from workflow.relationships.table import normalized_nrp, patron_by_nrp, patron_relationships

    prepare_database()
    with session_scope() as session:
        patron = patron_by_nrp(session, nrp)
        if patron is None:
            raise click.ClickException(
                f"No hay un patrón registrado con el NRP «{normalized_nrp(nrp)}»."
            )
        document = {
            "patron": {"nrp": patron.nrp, "rfc": patron.rfc, "razon_social": patron.razon_social},
            "relaciones": [_row(row) for row in patron_relationships(session, patron)],
        }
    click.echo(json.dumps(document, ensure_ascii=False, indent=2))


def _day(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _row(row: RelationshipRow) -> dict[str, Any]:
    relationship = row.relationship
    return {
        "no_de_caso": row.folio,
        "rfc": row.vendor_rfc,
        "razon_social": row.vendor_razon_social,
        "servicio": row.service,
        "vigencia_meses": relationship.vigencia_months,
        "inicio_vigencia": _day(row.starts_on),
        "fin_vigencia": _day(row.ends_on),
        "cancelacion_anticipada": _day(row.cancelled_on),
        "estatus": row.status,
        "estatus_codigo": relationship.status.value,
        "motivo": relationship.status_reason,
        "acuse": row.acuse.folio if row.acuse else None,
        "acuse_cancelacion": row.cancellation_acuse.folio if row.cancellation_acuse else None,
        "cancelable": row.cancellable,
    }
