"""`sia efirma verify`: the facts and exit 0, or the Spanish refusal and exit 1; the password
asked without echo on a terminal, or read from one line of standard input."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import params
from cli.main import sia
from core import config
from tests.efirma.factory import (
    BRANCH,
    CERTIFICATE_NUMBER,
    EXPIRED,
    PASSWORD,
    PERSON_RFC,
    Lab,
    company_subject,
    person_subject,
    serial_for,
)


@pytest.fixture(autouse=True)
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Settings from a clean environment, the clock stopped inside the e.firmas' validity."""
    for key in list(os.environ):
        if key.startswith("SIA_") and not key.startswith("SIA_TEST_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("SIA_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("SIA_NOW", "2026-03-02T12:00:00-06:00")
    config.get_settings.cache_clear()
    yield
    config.get_settings.cache_clear()


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(params, "stdin_is_terminal", lambda: True)


def _verify(cer: Path, key: Path, *extra: str, stdin: str | None = PASSWORD + "\n"):
    return CliRunner().invoke(
        sia, ["efirma", "verify", "--cer", str(cer), "--key", str(key), *extra], input=stdin
    )


def test_a_valid_company_efirma_prints_its_facts(lab: Lab, trust_dir: Path, tmp_path: Path):
    cer, key = lab.efirma(serial=serial_for(CERTIFICATE_NUMBER)).write(tmp_path)
    result = _verify(cer, key, "--rfc", "aaa010101aaa", "--trust", str(trust_dir))
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "La e.firma es válida.",
        "RFC: AAA010101AAA",
        "RFC del representante legal: HEGT7610034S2",
        "CURP: HEGT761003MDFRNN09",
        "Nombre: ACCEM SERVICIOS EMPRESARIALES SC",
        f"Número de certificado: {CERTIFICATE_NUMBER}",
        # 2025-01-15 17:30 UTC is 11:30 in Mexico City, the same day.
        "Vigencia: del 15/ene/2025 al 15/ene/2029",
    ]
    assert PASSWORD not in result.output


def test_a_person_efirma_has_no_representative(lab: Lab, trust_dir: Path, tmp_path: Path):
    cer, key = lab.efirma(person_subject(), key=lab.person_key).write(tmp_path)
    result = _verify(cer, key, "--rfc", PERSON_RFC, "--trust", str(trust_dir))
    assert result.exit_code == 0, result.output
    assert "representante" not in result.output
    assert "CURP: GOMA850101HDFMRR03" in result.output


def test_the_trust_directory_comes_from_the_setting(lab, trust_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("SIA_EFIRMA_TRUST_DIR", str(trust_dir))
    cer, key = lab.efirma().write(tmp_path)
    result = _verify(cer, key)
    assert result.exit_code == 0, result.output
    assert "RFC: AAA010101AAA" in result.output


def test_without_a_trust_directory_it_is_a_usage_error(lab: Lab, tmp_path: Path):
    cer, key = lab.efirma().write(tmp_path)
    result = _verify(cer, key)
    assert result.exit_code == 2
    assert result.output.startswith(
        "Error: falta la carpeta de certificados de confianza: use --trust o configure "
        "SIA_EFIRMA_TRUST_DIR."
    )


def test_a_trust_directory_without_certificates_is_an_error(lab: Lab, tmp_path: Path):
    cer, key = lab.efirma().write(tmp_path / "efirma")
    empty = tmp_path / "vacia"
    empty.mkdir()
    result = _verify(cer, key, "--trust", str(empty))
    assert result.exit_code == 1
    assert "no contiene certificados legibles" in result.output


@pytest.mark.parametrize(
    ("kwargs", "args", "message"),
    [
        (
            {"validity": EXPIRED},
            [],
            "El certificado de la e.firma está vencido; renuévelo ante el SAT.",
        ),
        (
            {"subject": company_subject(branch=BRANCH)},
            [],
            "El certificado es un Certificado de Sello Digital (CSD), no una e.firma. Use el "
            "certificado de su e.firma.",
        ),
        ({}, ["--rfc", "XYZ991231AB1"], "La e.firma corresponde a otro RFC, no al de la cuenta."),
    ],
    ids=["expired", "csd", "other-rfc"],
)
def test_a_refused_efirma_prints_the_spanish_error_and_exits_one(
    lab, trust_dir, tmp_path, kwargs, args, message
):
    cer, key = lab.efirma(**kwargs).write(tmp_path)
    result = _verify(cer, key, *args, "--trust", str(trust_dir))
    assert result.exit_code == 1
    assert result.output == f"Error: {message}\n"


def test_a_wrong_password_from_stdin_exits_one(lab: Lab, trust_dir: Path, tmp_path: Path):
    cer, key = lab.efirma().write(tmp_path)
    result = _verify(cer, key, "--trust", str(trust_dir), stdin="otra\n")
    assert result.exit_code == 1
    assert result.output.startswith("Error: No se pudo abrir la clave privada (.key)")


def test_the_password_is_one_whole_line_of_stdin(lab: Lab, trust_dir: Path, tmp_path: Path):
    spaced = "con espacios al final  "
    files = lab.efirma(password=spaced)
    cer, key = files.write(tmp_path)
    result = _verify(cer, key, "--trust", str(trust_dir), stdin=f"{spaced}\r\notra línea\n")
    assert result.exit_code == 0, result.output
    assert "Contraseña" not in result.output  # nothing was asked


@pytest.mark.parametrize("stdin", ["", "\n"])
def test_a_missing_password_is_a_usage_error(lab, trust_dir, tmp_path, stdin):
    cer, key = lab.efirma().write(tmp_path)
    result = _verify(cer, key, "--trust", str(trust_dir), stdin=stdin)
    assert result.exit_code == 2
    assert result.output.startswith("Error: falta la contraseña de la clave privada")


@pytest.mark.usefixtures("terminal")
def test_on_a_terminal_the_password_is_asked_once_without_echo(lab, trust_dir, tmp_path):
    cer, key = lab.efirma().write(tmp_path)
    result = _verify(cer, key, "--trust", str(trust_dir))
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Contraseña de la clave privada: \n")
    assert PASSWORD not in result.output
    assert "RFC: AAA010101AAA" in result.output


@pytest.mark.usefixtures("terminal")
def test_a_cancelled_prompt_says_so_in_spanish(lab, trust_dir, tmp_path):
    cer, key = lab.efirma().write(tmp_path)
    result = _verify(cer, key, "--trust", str(trust_dir), stdin="")
    assert result.exit_code == 1
    assert "Error: Cancelado; no se validó la e.firma." in result.output


def test_a_missing_file_is_a_spanish_usage_error(lab: Lab, trust_dir: Path, tmp_path: Path):
    cer, _key = lab.efirma().write(tmp_path)
    result = _verify(cer, tmp_path / "no-existe.key", "--trust", str(trust_dir))
    assert result.exit_code == 2
    assert "'--key'" in result.output and "la ruta no existe" in result.output


def test_an_unreadable_certificate_file(lab: Lab, trust_dir: Path, tmp_path: Path):
    _cer, key = lab.efirma().write(tmp_path)
    bogus = tmp_path / "foto.cer"
    bogus.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 100)
    result = _verify(bogus, key, "--trust", str(trust_dir), stdin="otra\n")
    assert result.exit_code == 1
    # The certificate is checked first, even though the password is wrong too.
    assert result.output.startswith("Error: No se pudo leer el certificado (.cer).")
