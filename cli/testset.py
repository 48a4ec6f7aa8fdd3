"""``sia testset``: generate a vendor's test set from the command line (DOMAIN §7)."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from cli.params import EntradaInvalida, MomentParam, PositiveIntParam, SpanishGroup

_FOLIO = re.compile(r"\d{10}")


class _Rfc(click.ParamType[str]):
    name = "rfc"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        from rules.identities import is_valid_rfc

        rfc = str(value).strip().upper()
        if not is_valid_rfc(rfc):
            raise EntradaInvalida(
                f"el RFC «{value}» no es válido: revise sus letras, su fecha y su dígito "
                "verificador.",
                ctx,
            )
        return rfc


class _Folio(click.ParamType[str]):
    name = "folio"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        if not _FOLIO.fullmatch(str(value)):
            raise EntradaInvalida(f"el folio «{value}» debe tener exactamente 10 dígitos.", ctx)
        return str(value)


@click.group(name="testset", cls=SpanishGroup)
def testset_group() -> None:
    """Sets de pruebas de la certificación de desarrolladores."""


@testset_group.command(name="generate")
@click.option("--seed", help="Semilla del set; sin ella se usa una nueva al azar.")
@click.option("--rfc", "vendor_rfc", type=_Rfc(), required=True, help="RFC del desarrollador.")
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Carpeta donde se escriben los archivos.",
)
@click.option(
    "--folio",
    type=_Folio(),
    required=True,
    help="Folio de 10 dígitos de la solicitud.",
)
@click.option(
    "--ronda", type=PositiveIntParam("ronda"), default=1, show_default=True, help="Número de ronda."
)
@click.option(
    "--emitido",
    type=MomentParam(),
    help="Fecha y hora de emisión ISO 8601; por omisión, ahora en la Ciudad de México.",
)
@click.option(
    "--llaves",
    type=click.Path(file_okay=False, path_type=Path),
    help="Carpeta de un par de llaves propio; por omisión, la llave configurada del back office.",
)
@click.pass_context
def generate_command(
    ctx: click.Context,
    seed: str | None,
    vendor_rfc: str,
    out_dir: Path,
    folio: str,
    ronda: int,
    emitido: datetime | None,
    llaves: Path | None,
) -> None:
    """Genera el set de pruebas, sus respuestas, los avisos firmados y la plantilla."""
    from core.keys import avisos_keypair
    from rules.calendar import MEXICO_CITY
    from rules.signing import KeyFormatError, load_or_create_keypair
    from rules.testsets.generate import (
        ANSWERS_FILE,
        GenerationError,
        generate_test_set,
        new_seed,
        write_test_set,
    )

    seed = seed or new_seed()
    try:
        private_key, public_key = load_or_create_keypair(llaves) if llaves else avisos_keypair()
    except KeyFormatError as exc:
        raise click.ClickException(str(exc)) from None
    try:
        generated = generate_test_set(
            seed=seed,
            vendor_rfc=vendor_rfc,
            folio=folio,
            round=ronda,
            emitido=emitido or datetime.now(MEXICO_CITY),
            private_key=private_key,
        )
    except GenerationError as exc:
        raise EntradaInvalida(str(exc), ctx) from None
    paths = write_test_set(generated, out_dir, public_key)
    patron = generated.patron
    click.echo(f"Set de pruebas generado en {out_dir}")
    click.echo(f"  semilla: {seed}")
    click.echo(f"  folio: {folio}, ronda {ronda}")
    click.echo(f"  patrón: {patron.razon_social} (RFC {patron.rfc}, NRP {patron.nrp})")
    for path in paths:
        note = "  (solo para el back office; no se envía)" if path.name == ANSWERS_FILE else ""
        click.echo(f"  {path.relative_to(out_dir)}{note}")
