"""`sia efirma verify`: check an e.firma (``.cer``, ``.key`` and password) as the portal does, and
show whose it is."""

from __future__ import annotations

from pathlib import Path

import click

from cli import params
from cli.params import EntradaInvalida, SpanishGroup

_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


@click.group("efirma", cls=SpanishGroup)
def efirma_group() -> None:
    """e.firma (FIEL) del SAT."""


@efirma_group.command("verify")
@click.option("--cer", "cer_path", type=_FILE, required=True, help="Certificado (.cer), DER o PEM.")
@click.option(
    "--key",
    "key_path",
    type=_FILE,
    required=True,
    help="Clave privada (.key): PKCS#8 cifrado, DER o PEM.",
)
@click.option("--rfc", metavar="RFC", help="RFC que debe tener la e.firma (el de la cuenta).")
@click.option(
    "--trust",
    "trust_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help=(
        "Carpeta con los certificados de las autoridades certificadoras reconocidas (DER o PEM). "
        "Si se omite, la de SIA_EFIRMA_TRUST_DIR."
    ),
)
@click.pass_context
def verify(
    ctx: click.Context, cer_path: Path, key_path: Path, rfc: str | None, trust_dir: Path | None
) -> None:
    """Valida una e.firma y muestra sus datos (código 1 si no es válida).

    La contraseña de la clave privada se pide sin mostrarla; si la entrada estándar no es una
    terminal, se lee de su primera línea.
    """
    from core.clock import utcnow
    from core.config import get_settings
    from efirma.certificate import MAX_CER_BYTES
    from efirma.errors import EFirmaError
    from efirma.key import MAX_KEY_BYTES
    from efirma.trust import TrustStoreError, load_trust_store
    from efirma.validation import validate_efirma
    from rules.formatting import fecha

    settings = get_settings()
    trust_dir = trust_dir or settings.efirma_trust_dir
    if trust_dir is None:
        raise EntradaInvalida(
            "falta la carpeta de certificados de confianza: use --trust o configure "
            "SIA_EFIRMA_TRUST_DIR.",
            ctx,
        )
    try:
        trust = load_trust_store(trust_dir)
    except TrustStoreError as exc:
        raise click.ClickException(str(exc)) from None
    # One byte past the limit is enough for efirma to refuse a file that is too large.
    cer = _head(cer_path, MAX_CER_BYTES + 1)
    key = _head(key_path, MAX_KEY_BYTES + 1)
    try:
        found = validate_efirma(
            cer, key, _password(ctx), trust=trust, expected_rfc=rfc, now=utcnow()
        )
    except EFirmaError as exc:
        raise click.ClickException(str(exc)) from None
    lines = [
        "La e.firma es válida.",
        f"RFC: {found.rfc}",
        f"RFC del representante legal: {found.representative_rfc}"
        if found.representative_rfc
        else None,
        f"CURP: {found.curp}" if found.curp else None,
        f"Nombre: {found.name}",
        f"Número de certificado: {found.certificate_number}",
        f"Vigencia: del {fecha(found.not_before, settings.tz)} "
        f"al {fecha(found.not_after, settings.tz)}",
    ]
    click.echo("\n".join(line for line in lines if line is not None))


def _head(path: Path, limit: int) -> bytes:
    with path.open("rb") as stream:
        return stream.read(limit)


def _password(ctx: click.Context) -> str:
    """Asked once without echo on a terminal; else the first line of standard input."""
    if params.stdin_is_terminal():
        try:
            answer: str = click.prompt("Contraseña de la clave privada", hide_input=True)
        except click.Abort:
            raise click.ClickException("Cancelado; no se validó la e.firma.") from None
        return answer
    password = params.stdin_line()
    if not password:
        raise EntradaInvalida(
            "falta la contraseña de la clave privada: escríbala en la primera línea de la "
            "entrada estándar o ejecute el comando en una terminal para que se la pida.",
            ctx,
        )
    return password
