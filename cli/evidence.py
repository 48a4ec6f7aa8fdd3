"""``sia evidence``: read an evidence workbook, or check it against its test set, from the
command line."""

from __future__ import annotations

import json
from pathlib import Path

import click

from cli.evidence_check import check
from cli.params import EntradaInvalida, SpanishGroup

EXIT_ILEGIBLE = 2
# evidence.guard's defaults, written out so that `sia --help` loads no workbook reader
# (tests/cli keeps them equal).
DEFAULT_TIMEOUT_S = 20.0
DEFAULT_MEMORY_MIB = 1024


@click.group("evidence", cls=SpanishGroup)
def evidence() -> None:
    """Libros de evidencias de los desarrolladores."""


@evidence.command("read")
@click.argument("workbook", type=click.Path(path_type=Path))
@click.option(
    "--guard/--no-guard",
    default=True,
    show_default=True,
    help="Leer en un proceso aparte con límite de tiempo y memoria.",
)
@click.option(
    "--timeout",
    "timeout_s",
    type=float,
    default=DEFAULT_TIMEOUT_S,
    show_default=True,
    help="Segundos que puede durar la lectura con --guard.",
)
@click.option(
    "--memory-mib",
    type=int,
    default=DEFAULT_MEMORY_MIB,
    show_default=True,
    help="Memoria máxima, en MiB, de la lectura con --guard.",
)
@click.pass_context
def read(
    ctx: click.Context, workbook: Path, guard: bool, timeout_s: float, memory_mib: int
) -> None:
    """Imprime en JSON lo que contiene WORKBOOK; termina con código 2 si es ilegible."""
    if not workbook.is_file():
        raise EntradaInvalida(f"el libro «{workbook}» no existe o no es un archivo.", ctx)
    from evidence.guard import examine_guarded
    from evidence.limits import MIB, WORKBOOK_MAX_BYTES
    from evidence.reading import read_workbook

    with workbook.open("rb") as stream:
        # One byte past the limit is enough to refuse the file; the rest need not be loaded.
        data = stream.read(WORKBOOK_MAX_BYTES + 1)
    if guard:
        reading = examine_guarded(
            data, filename=workbook.name, timeout_s=timeout_s, memory_bytes=memory_mib * MIB
        ).reading
    else:
        reading = read_workbook(data, filename=workbook.name)
    click.echo(json.dumps(reading.to_json(), ensure_ascii=False, indent=2))
    if reading.ilegible:
        raise SystemExit(EXIT_ILEGIBLE)


evidence.add_command(check)
