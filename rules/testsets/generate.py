"""A round's test set (DOMAIN §7): generated from a recorded seed, different for every request.

:func:`generate_test_set` is pure: the same seed and inputs give the same documents, byte for
byte once written (Ed25519 signatures are deterministic). The answers are computed from the
documents a vendor receives, through the §6 calculator, and never leave the back office.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from rules.calendar import MEXICO_CITY
from rules.identities import fake_empresa, fake_nrp, is_valid_rfc
from rules.parameters import default_parameters
from rules.signing import PUBLIC_KEY_FILE, public_key_pem, sign_document, verify_document
from rules.testsets.answers import compute_answers
from rules.testsets.avisos import avisos_response
from rules.testsets.cases import IdSource, build_case, case_window, plan_cases
from rules.testsets.periods import GenerationError
from rules.workbook_template import build_template

__all__ = [
    "ANSWERS_FILE",
    "AVISOS_DIR",
    "TEMPLATE_FILE",
    "TEST_SET_FILE",
    "GeneratedTestSet",
    "GenerationError",
    "SandboxPatron",
    "generate_test_set",
    "new_seed",
    "write_test_set",
]

TEST_SET_FILE = "set-de-pruebas.json"
ANSWERS_FILE = "respuestas.json"
AVISOS_DIR = "avisos"
TEMPLATE_FILE = "plantilla-evidencias.xlsx"

_FOLIO = re.compile(r"\d{10}")


@dataclass(frozen=True, slots=True)
class SandboxPatron:
    """The fictitious employer whose avisos the sandbox serves for this test set."""

    rfc: str
    nrp: str
    razon_social: str


@dataclass(frozen=True, slots=True)
class GeneratedTestSet:
    """Everything one round needs; treat the documents as read-only."""

    test_set: dict[str, Any]  # set-de-pruebas.json, sent to the vendor
    answers: dict[str, dict[str, Any]]  # respuestas.json: §6 output per case id, kept apart
    avisos: tuple[dict[str, Any], ...]  # signed §5 responses the sandbox serves
    patron: SandboxPatron


def new_seed() -> str:
    """A fresh, unguessable seed: every request gets a different test set."""
    return secrets.token_hex(16)


def _rng(seed: str) -> random.Random:
    # Reproducibility is the point here; unpredictability comes from the secret seed.
    return random.Random(  # noqa: S311
        int.from_bytes(hashlib.sha256(seed.encode("utf-8")).digest(), "big")
    )


def _check_inputs(seed: str, vendor_rfc: str, folio: str, round: int, emitido: datetime) -> None:
    if not seed:
        raise GenerationError("La semilla no puede estar vacía.")
    if not is_valid_rfc(vendor_rfc):
        raise GenerationError(
            f"El RFC del desarrollador «{vendor_rfc}» no es válido (formato, fecha o dígito "
            "verificador)."
        )
    if not _FOLIO.fullmatch(folio):
        raise GenerationError(f"El folio «{folio}» debe tener 10 dígitos.")
    if round < 1:
        raise GenerationError(f"La ronda debe ser 1 o mayor; se recibió {round}.")
    if emitido.tzinfo is None:
        raise GenerationError("La fecha de emisión debe llevar zona horaria.")


def generate_test_set(
    *,
    seed: str,
    vendor_rfc: str,
    folio: str,
    round: int,
    emitido: datetime,
    private_key: Ed25519PrivateKey,
    muestras: int = 6,
    evaluacion: int = 10,
) -> GeneratedTestSet:
    """The test set of one round of the certification ``folio`` (the folio the vendor uses
    everywhere); raises :class:`GenerationError` (Spanish) on bad inputs."""
    _check_inputs(seed, vendor_rfc, folio, round, emitido)
    emitido = emitido.astimezone(MEXICO_CITY)
    params = default_parameters()
    window = case_window(emitido.date(), params)
    rng = _rng(seed)
    plans = plan_cases(rng, muestras=muestras, evaluacion=evaluacion)
    empresa = fake_empresa(rng, founded_from=date(1970, 1, 1), founded_to=date(2015, 12, 31))
    patron = SandboxPatron(rfc=empresa.rfc, nrp=fake_nrp(rng), razon_social=empresa.razon_social)
    ids = IdSource(rng, reserved={folio})
    cases = [build_case(rng, plan, window, params, ids) for plan in plans]
    test_set = {
        "folio": folio,
        "ronda": round,
        "semilla": seed,
        "emitido": emitido.isoformat(timespec="seconds"),
        "desarrollador": {"rfc": vendor_rfc},
        "patron": {"rfc": patron.rfc, "nrp": patron.nrp, "razonSocial": patron.razon_social},
        "casos": [case.document for case in cases],
    }
    response = avisos_response(
        [aviso for case in cases for aviso in case.avisos],
        folio_consulta=ids.folio(),
        nrp=patron.nrp,
        generado=emitido,
    )
    avisos = (sign_document(response, private_key),)
    return GeneratedTestSet(
        test_set=test_set,
        answers=compute_answers(test_set, avisos),
        avisos=avisos,
        patron=patron,
    )


def _json_bytes(document: Any) -> bytes:
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def write_test_set(
    generated: GeneratedTestSet, out_dir: Path, public_key: Ed25519PublicKey
) -> list[Path]:
    """Write the round's files into ``out_dir``; returns their paths.

    ``respuestas.json`` is written beside the vendor's files for the back office's own use: it
    must never be attached to the email.
    """
    for response in generated.avisos:
        if not verify_document(response, public_key):
            raise GenerationError(
                "La llave pública no corresponde a la firma de los avisos del set de pruebas."
            )
    avisos_dir = out_dir / AVISOS_DIR
    avisos_dir.mkdir(parents=True, exist_ok=True)
    contents: dict[Path, bytes] = {
        out_dir / TEST_SET_FILE: _json_bytes(generated.test_set),
        out_dir / ANSWERS_FILE: _json_bytes(generated.answers),
        out_dir / PUBLIC_KEY_FILE: public_key_pem(public_key),
        out_dir / TEMPLATE_FILE: build_template(generated.test_set),
    }
    for response in generated.avisos:
        contents[avisos_dir / f"{response['folioConsulta']}.json"] = _json_bytes(response)
    for path, data in contents.items():
        path.write_bytes(data)
    return sorted(contents)
