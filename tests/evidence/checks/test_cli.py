"""``sia evidence check``: the verdict as JSON and as exit code 0 / 1 / 2."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from cli.evidence import evidence
from rules.signing import PUBLIC_KEY_FILE, public_key_pem
from rules.testsets.generate import write_test_set
from tests.evidence.checks.builder import (
    PUBLIC_KEY,
    calculation_rows,
    evidence_spec,
    generated,
)
from tests.evidence.fixtures.build import build_xlsx

FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture
def set_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "set"
    write_test_set(generated(), folder, PUBLIC_KEY)
    return folder


def _run(*args: str) -> Result:
    return CliRunner().invoke(evidence, ["check", *args])


def test_correct_workbook_exits_zero(set_dir: Path, tmp_path: Path) -> None:
    workbook = tmp_path / "evidencias.xlsx"
    workbook.write_bytes(build_xlsx(evidence_spec(generated())))
    result = _run("--no-guard", str(workbook), "--set-de-pruebas", str(set_dir))
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"verdict": "sin_inconsistencias", "findings": []}


def test_committed_xls_exits_zero_in_the_guarded_reader() -> None:
    result = _run(
        str(FIXTURES / "evidencias-set-fijo.xls"), "--set-de-pruebas", str(FIXTURES / "set-fijo")
    )
    assert result.exit_code == 0, result.output


def test_inconsistencies_exit_one(set_dir: Path, tmp_path: Path) -> None:
    gen = generated()
    spec = evidence_spec(gen)
    rows = calculation_rows(gen.test_set, gen.answers, lambda caso, total: total + 1)
    spec[1] = replace(spec[1], rows=rows)
    workbook = tmp_path / "evidencias.xlsx"
    workbook.write_bytes(build_xlsx(spec))
    result = _run("--no-guard", str(workbook), "--set-de-pruebas", str(set_dir))
    assert result.exit_code == 1, result.output
    output = json.loads(result.output)
    assert output["verdict"] == "con_inconsistencias"
    assert {f["code"] for f in output["findings"]} == {"T2-TOTAL-MISMATCH"}


def test_ilegible_workbook_exits_two(set_dir: Path, tmp_path: Path) -> None:
    workbook = tmp_path / "evidencias.xls"
    workbook.write_bytes(b"%PDF-1.7\n")
    result = _run("--no-guard", str(workbook), "--set-de-pruebas", str(set_dir))
    assert result.exit_code == 2
    assert json.loads(result.output)["verdict"] == "ilegible"


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        ("respuestas.json", "falta el archivo respuestas.json"),
        ("llave-publica.pem", "falta el archivo llave-publica.pem"),
        ("avisos", "no tiene respuestas JSON"),
    ],
)
def test_incomplete_set_folder_is_a_spanish_usage_error(
    set_dir: Path, tmp_path: Path, damage: str, message: str
) -> None:
    target = set_dir / damage
    if target.is_dir():
        shutil.rmtree(target)
    else:
        target.unlink()
    workbook = tmp_path / "evidencias.xlsx"
    workbook.write_bytes(b"x")
    result = _run(str(workbook), "--set-de-pruebas", str(set_dir))
    assert result.exit_code == 2
    assert message in result.output


def test_avisos_signed_with_another_key_are_refused(set_dir: Path, tmp_path: Path) -> None:
    other_key = Ed25519PrivateKey.generate().public_key()
    (set_dir / PUBLIC_KEY_FILE).write_bytes(public_key_pem(other_key))
    workbook = tmp_path / "evidencias.xlsx"
    workbook.write_bytes(b"x")
    result = _run(str(workbook), "--set-de-pruebas", str(set_dir))
    assert result.exit_code == 2
    assert "no está firmada con llave-publica.pem" in result.output


def test_bad_arguments_exit_two_in_spanish(set_dir: Path, tmp_path: Path) -> None:
    missing = _run(str(tmp_path / "no-existe.xlsx"), "--set-de-pruebas", str(set_dir))
    assert missing.exit_code == 2
    assert "no existe" in missing.output
    no_option = _run(str(tmp_path / "no-existe.xlsx"))
    assert no_option.exit_code == 2
    assert "falta la opción --set-de-pruebas" in no_option.output
    not_a_folder = _run(str(tmp_path / "no-existe.xlsx"), "--set-de-pruebas", str(tmp_path / "x"))
    assert not_a_folder.exit_code == 2
