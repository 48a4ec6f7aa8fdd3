"""``sia evidence check``: read an evidence workbook and check it against its test set's folder."""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from cli.params import EntradaInvalida, SpanishCommand

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


class SetDirectoryError(Exception):
    """The folder is not a test set as ``sia testset generate`` writes it; Spanish message."""


@dataclass(frozen=True)
class SetDirectory:
    test_set: dict[str, Any]
    answers: dict[str, dict[str, Any]]
    avisos: tuple[dict[str, Any], ...]
    public_key: Ed25519PublicKey


def _json_file(path: Path, shown: str) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SetDirectoryError(f"falta el archivo {shown}.") from None
    except (UnicodeDecodeError, ValueError):
        raise SetDirectoryError(f"el archivo {shown} no es un JSON válido.") from None


def load_set_directory(folder: Path) -> SetDirectory:
    """The round's documents from a folder written by ``sia testset generate``."""
    from evidence.checks.round import build_round
    from rules.signing import PUBLIC_KEY_FILE, KeyFormatError, load_public_key_pem, verify_document
    from rules.testsets.generate import ANSWERS_FILE, AVISOS_DIR, TEST_SET_FILE

    if not folder.is_dir():
        raise SetDirectoryError(f"«{folder}» no es una carpeta.")
    try:
        public_key = load_public_key_pem((folder / PUBLIC_KEY_FILE).read_bytes())
    except FileNotFoundError:
        raise SetDirectoryError(f"falta el archivo {PUBLIC_KEY_FILE}.") from None
    except KeyFormatError as exc:
        raise SetDirectoryError(f"{PUBLIC_KEY_FILE}: {exc}") from None
    test_set = _json_file(folder / TEST_SET_FILE, TEST_SET_FILE)
    answers = _json_file(folder / ANSWERS_FILE, ANSWERS_FILE)
    avisos_paths = sorted((folder / AVISOS_DIR).glob("*.json"))
    if not avisos_paths:
        raise SetDirectoryError(f"la carpeta {AVISOS_DIR}/ no tiene respuestas JSON.")
    avisos = tuple(_json_file(path, f"{AVISOS_DIR}/{path.name}") for path in avisos_paths)
    for path, response in zip(avisos_paths, avisos, strict=True):
        if not isinstance(response, dict) or not verify_document(response, public_key):
            raise SetDirectoryError(
                f"la respuesta {AVISOS_DIR}/{path.name} no está firmada con {PUBLIC_KEY_FILE}."
            )
    try:
        build_round(test_set, answers, avisos)
    except (KeyError, TypeError, ValueError, InvalidOperation):
        raise SetDirectoryError(
            f"{TEST_SET_FILE} y {ANSWERS_FILE} no tienen la forma de un set de pruebas "
            "(¿faltan casos o respuestas?)."
        ) from None
    return SetDirectory(test_set, answers, avisos, public_key)


@click.command("check", cls=SpanishCommand)
@click.argument("workbook", type=click.Path(path_type=Path))
@click.option(
    "--set-de-pruebas",
    "set_dir",
    required=True,
    type=click.Path(path_type=Path),
    metavar="CARPETA",
    help="Carpeta del set de pruebas, como la escribe «sia testset generate».",
)
@click.option(
    "--guard/--no-guard",
    default=True,
    show_default=True,
    help="Leer en un proceso aparte con límite de tiempo y memoria.",
)
@click.pass_context
def check(ctx: click.Context, workbook: Path, set_dir: Path, guard: bool) -> None:
    """Revisa WORKBOOK contra su set de pruebas e imprime el veredicto y los hallazgos en JSON.

    Termina con 0 (sin inconsistencias), 1 (con inconsistencias) o 2 (ilegible).
    """
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    from evidence.examination import RoundDocuments, examine
    from evidence.guard import examine_guarded
    from evidence.limits import WORKBOOK_MAX_BYTES
    from evidence.verdict import Verdict

    exit_codes = {
        Verdict.SIN_INCONSISTENCIAS: 0,
        Verdict.CON_INCONSISTENCIAS: 1,
        Verdict.ILEGIBLE: 2,
    }
    if not workbook.is_file():
        raise EntradaInvalida(f"el libro «{workbook}» no existe o no es un archivo.", ctx)
    try:
        documents = load_set_directory(set_dir)
    except SetDirectoryError as exc:
        raise EntradaInvalida(f"--set-de-pruebas {set_dir}: {exc}", ctx) from None
    with workbook.open("rb") as stream:
        # One byte past the limit is enough to refuse the file; the rest need not be loaded.
        data = stream.read(WORKBOOK_MAX_BYTES + 1)
    against = RoundDocuments(
        documents.test_set,
        documents.answers,
        documents.avisos,
        documents.public_key.public_bytes(Encoding.Raw, PublicFormat.Raw),
    )
    examine_ = examine_guarded if guard else examine
    result = examine_(data, filename=workbook.name, against=against).checks
    if result is None:
        raise click.ClickException("las revisiones automáticas fallaron; vea la bitácora.")
    click.echo(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
    raise SystemExit(exit_codes[result.verdict])
