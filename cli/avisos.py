"""`sia avisos`: the production avisos service's data from the command line.

`import` loads JSON Lines (``workflow.avisos.imports``) and prints its report as JSON; `synth`
writes realistic synthetic avisos to load (``rules.synthetic``). The group is meant to grow
(downloads and other operations on the production avisos join it as subcommands).
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import click

from cli.avisos_downloads import descargas
from cli.params import EntradaInvalida, PositiveIntParam, SpanishGroup

if TYPE_CHECKING:
    from workflow.avisos.imports import ImportReport, Readable

UNREADABLE = 2  # exit status when the file cannot be read
_GZIP_MAGIC = b"\x1f\x8b"
_WRITE_CHUNK = 1000  # lines per write


@click.group(name="avisos", cls=SpanishGroup)
def avisos_group() -> None:
    """Avisos del servicio de producción: carga, avisos sintéticos y quién los descargó."""


def _reason(exc: BaseException) -> str:
    import gzip
    import zlib

    if isinstance(exc, FileNotFoundError):
        return "no existe"
    if isinstance(exc, IsADirectoryError):
        return "es una carpeta"
    if isinstance(exc, PermissionError):
        return "no hay permiso para leerlo"
    if isinstance(exc, EOFError | gzip.BadGzipFile | zlib.error):
        return "no es un gzip válido o está truncado"
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__


def _unreadable(ctx: click.Context, archivo: str, exc: BaseException, *, partial: bool) -> None:
    where = "la entrada estándar" if archivo == "-" else f"«{archivo}»"
    what = "no se pudo leer completo" if partial else "no se pudo leer"
    click.echo(f"Error: {where} {what}: {_reason(exc)}.", err=True)
    ctx.exit(UNREADABLE)


@contextmanager
def _opened(archivo: str) -> Iterator[Readable]:
    """The file (or standard input) as bytes, decompressed when it is gzip (by content)."""
    import gzip
    import io
    from pathlib import Path

    stream: Any
    if archivo == "-":
        stream = sys.stdin.buffer
        if not hasattr(stream, "peek"):
            stream = io.BufferedReader(stream)
        owned = None
    else:
        stream = owned = Path(archivo).open("rb")  # noqa: SIM115 (closed below)
    try:
        if stream.peek(2)[:2] == _GZIP_MAGIC:
            yield gzip.GzipFile(fileobj=stream, mode="rb")
        else:
            yield stream
    finally:
        if owned is not None:
            owned.close()


class _Lines:
    """The file's lines; a read error ends them and is kept, so that what came before is
    imported and reported."""

    def __init__(self, stream: Readable) -> None:
        self.stream = stream
        self.problem: BaseException | None = None

    def __iter__(self) -> Iterator[bytes]:
        import zlib

        from workflow.avisos.imports import read_lines

        try:
            yield from read_lines(self.stream)
        except (OSError, EOFError, zlib.error) as exc:
            self.problem = exc


def _document(report: ImportReport) -> dict[str, Any]:
    return {
        "leidas": report.leidas,
        "importadas": report.importadas,
        "repetidas": report.repetidas,
        "errores": [{"linea": line, "mensaje": message} for line, message in report.errores],
        "errores_total": report.errores_total,
        "segundos": round(report.segundos, 3),
        "avisos_por_segundo": round(report.avisos_por_segundo),
    }


@avisos_group.command(name="import")
@click.argument("archivo", metavar="ARCHIVO")
@click.option(
    "--lote",
    type=PositiveIntParam("avisos por lote"),
    metavar="N",
    default=5000,
    show_default=True,
    help="Avisos por transacción.",
)
@click.pass_context
def import_command(ctx: click.Context, archivo: str, lote: int) -> None:
    """Importa avisos de producción desde ARCHIVO en JSON Lines: una línea por aviso, el objeto
    del aviso (DOMAIN §5) con «registroPatronal», el NRP del patrón. «-» lee la entrada
    estándar; un archivo gzip (p. ej. .gz) se descomprime al leerlo.

    Un folio ya importado (o repetido en el archivo) se omite y se cuenta en «repetidas»; una
    línea mal formada se informa con su número y su motivo, y el resto se importa. Imprime el
    reporte en JSON (leidas, importadas, repetidas, errores, errores_total, segundos,
    avisos_por_segundo).

    Código de salida: 0 si no hubo errores; 1 si se rechazaron líneas (las demás quedan
    importadas) o falló la base de datos; 2 si el archivo no se pudo leer (lo leído antes del
    fallo queda importado y se informa).
    """
    from sqlalchemy.exc import SQLAlchemyError

    from cli.database import prepare_database
    from core.db import get_engine
    from workflow.avisos.imports import import_lines

    try:
        with _opened(archivo) as stream:
            prepare_database()  # once the file is there
            lines = _Lines(stream)
            report = import_lines(get_engine(), lines, batch=lote)
    except SQLAlchemyError as exc:
        cause = getattr(exc, "orig", None) or exc
        first = str(cause).strip().splitlines()[0] if str(cause).strip() else type(cause).__name__
        raise click.ClickException(
            f"No se pudo importar: {first}. Los lotes anteriores al fallo quedaron importados; "
            "al ejecutar de nuevo el comando se omiten y se importa el resto."
        ) from None
    except OSError as exc:
        _unreadable(ctx, archivo, exc, partial=False)
        return
    click.echo(json.dumps(_document(report), ensure_ascii=False, indent=2))
    if lines.problem is not None:
        _unreadable(ctx, archivo, lines.problem, partial=True)
    if report.errores_total:
        ctx.exit(1)


@avisos_group.command(name="synth")
@click.option(
    "--patrones",
    type=PositiveIntParam("patrones"),
    required=True,
    metavar="N",
    help="Número de patrones.",
)
@click.option(
    "--avisos",
    type=PositiveIntParam("avisos"),
    required=True,
    metavar="N",
    help="Número de avisos (al menos uno por patrón).",
)
@click.option(
    "--semilla",
    default="0",
    show_default=True,
    metavar="TEXTO",
    help="La misma semilla da los mismos avisos.",
)
@click.option(
    "--salida",
    default="-",
    show_default=True,
    metavar="ARCHIVO",
    help="Dónde escribir; «-» es la salida estándar y un nombre terminado en .gz se comprime.",
)
@click.pass_context
def synth_command(
    ctx: click.Context, patrones: int, avisos: int, semilla: str, salida: str
) -> None:
    """Escribe avisos sintéticos realistas en JSON Lines, listos para `sia avisos import`: NRP,
    NSS, RFC y CURP con dígitos verificadores válidos; pocos patrones con hasta 50,000
    trabajadores y la mayoría con pocos; fechas, tipos del catálogo y descuentos plausibles;
    folios únicos. Deterministas para una semilla."""
    from rules.synthetic import SyntheticError, synthetic_lines

    try:
        lines = synthetic_lines(patrones=patrones, avisos=avisos, seed=semilla)
    except SyntheticError as exc:
        raise EntradaInvalida(str(exc), ctx) from None
    started = time.perf_counter()
    try:
        with _output(salida) as out:
            chunk: list[str] = []
            for line in lines:
                chunk.append(line)
                if len(chunk) == _WRITE_CHUNK:
                    out.write("".join(chunk).encode("utf-8"))
                    chunk = []
            out.write("".join(chunk).encode("utf-8"))
    except BrokenPipeError:
        # The reader stopped early (e.g. `| head`): not an error of ours. Standard output goes
        # to /dev/null so that its last flush at exit does not complain again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return
    except OSError as exc:
        raise click.ClickException(
            f"No se pudo escribir «{salida}»: {getattr(exc, 'strerror', None) or exc}."
        ) from None
    seconds = time.perf_counter() - started
    click.echo(
        f"{avisos} avisos de {patrones} patrones en {seconds:.1f} s "
        f"({avisos / seconds if seconds else 0:,.0f} avisos/s).",
        err=True,
    )


@contextmanager
def _output(salida: str) -> Iterator[Any]:
    """Where synthetic lines go (bytes)."""
    import gzip
    from pathlib import Path

    if salida == "-":
        yield sys.stdout.buffer
        sys.stdout.buffer.flush()
    elif salida.endswith(".gz"):
        with gzip.open(salida, "wb", compresslevel=6) as compressed:
            yield compressed
    else:
        with Path(salida).open("wb") as plain:
            yield plain


avisos_group.add_command(descargas)  # operators' reports, in a module of their own
