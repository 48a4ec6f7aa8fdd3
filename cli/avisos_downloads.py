"""`sia avisos descargas`: who downloaded which avisos and when (issue 16), for operators: JSON
Lines (one download per line) or an .xlsx, over every patrón or one, one desarrollador or all.

Registered into the `sia avisos` group (cli/avisos.py) with ``avisos_group.add_command(descargas)``.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from cli.params import DateParam, EntradaInvalida, SpanishCommand

if TYPE_CHECKING:
    from collections.abc import Iterator
    from zoneinfo import ZoneInfo

    from workflow.avisos.downloads import DownloadRow


@click.command(name="descargas", cls=SpanishCommand)
@click.option("--nrp", help="Solo las descargas de los avisos de este patrón (su NRP).")
@click.option(
    "--rfc",
    "rfc",
    metavar="RFC_DESARROLLADOR",
    help="Solo las descargas de este desarrollador (su RFC).",
)
@click.option("--desde", type=DateParam(), help="Desde este día (AAAA-MM-DD, hora del centro).")
@click.option("--hasta", type=DateParam(), help="Hasta este día, incluido (AAAA-MM-DD).")
@click.option(
    "--formato",
    type=click.Choice(["json", "xlsx"]),
    default="json",
    show_default=True,
    help="json: una línea JSON por descarga (JSON Lines); xlsx: un libro de Excel.",
)
@click.option(
    "--salida",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Archivo donde escribir (obligatorio con --formato xlsx; si no, la salida estándar).",
)
@click.pass_context
def descargas(
    ctx: click.Context,
    nrp: str | None,
    rfc: str | None,
    desde: date | None,
    hasta: date | None,
    formato: str,
    salida: Path | None,
) -> None:
    """Las descargas de avisos del servicio de producción (quién, de qué patrón, cuáles avisos y
    cuándo), la más reciente primero."""
    from workflow.avisos.downloads import BadFilter, check_period, normal_rfc

    try:
        check_period(desde, hasta)
        vendor_rfc = normal_rfc(rfc)
    except BadFilter as problem:
        raise EntradaInvalida(str(problem), ctx) from None
    if formato == "xlsx" and salida is None:
        raise EntradaInvalida("con --formato xlsx indique el archivo con --salida ARCHIVO.", ctx)

    from cli.database import prepare_database
    from core.clock import utcnow
    from core.config import get_settings
    from core.db import session_scope
    from workflow.avisos.downloads import downloads_for_export, downloads_workbook, vendor_by_rfc
    from workflow.relationships.table import normalized_nrp, patron_by_nrp

    prepare_database()
    tz = get_settings().tz
    count = 0
    with session_scope() as session:
        patron = None
        if nrp is not None:
            patron = patron_by_nrp(session, nrp)
            if patron is None:
                raise click.ClickException(
                    f"No hay un patrón registrado con el NRP «{normalized_nrp(nrp)}»."
                )
        vendor = None
        if vendor_rfc is not None:
            vendor = vendor_by_rfc(session, vendor_rfc)
            if vendor is None:
                raise click.ClickException(f"No hay un desarrollador con el RFC «{vendor_rfc}».")
        rows = downloads_for_export(session, patron=patron, vendor=vendor, desde=desde, hasta=hasta)
        if formato == "xlsx":
            assert salida is not None

            def counted() -> Iterator[DownloadRow]:
                nonlocal count
                for row in rows:
                    count += 1
                    yield row

            content = downloads_workbook(
                counted(),
                generated_at=utcnow(),
                patron=patron,
                desde=desde,
                hasta=hasta,
                vendor_rfc=vendor_rfc,
            )
            salida.write_bytes(content)
        elif salida is not None:
            with salida.open("w", encoding="utf-8") as out:
                for row in rows:
                    out.write(_line(row, tz) + "\n")
                    count += 1
        else:
            for row in rows:
                click.echo(_line(row, tz))
                count += 1
    if salida is not None:
        click.echo(f"{count} descargas escritas en {salida}.", err=True)


def _line(row: DownloadRow, tz: ZoneInfo) -> str:
    document: dict[str, Any] = {
        "fecha_hora": row.at.astimezone(tz).isoformat(timespec="seconds"),
        "nrp_patron": row.patron_nrp,
        "razon_social_patron": row.patron_razon_social,
        "rfc_desarrollador": row.vendor_rfc,
        "razon_social_desarrollador": row.vendor_razon_social,
        "folio_consulta": row.folio_consulta,
        "avisos_descargados": row.count,
        "folios": list(row.folios),
        "consulta": {"desde": row.desde, "hasta": row.hasta, "nss": row.nss, "clase": row.clase},
    }
    return json.dumps(document, ensure_ascii=False)
