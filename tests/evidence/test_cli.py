"""``sia evidence read``: the reading as JSON; exit 2 when the workbook is ilegible."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.evidence import evidence
from tests.evidence.workbooks import FIXTURES


@pytest.mark.parametrize("guard", ["--guard", "--no-guard"])
def test_read_prints_the_reading_and_exits_zero(guard: str) -> None:
    result = CliRunner().invoke(
        evidence, ["read", guard, str(FIXTURES / "libreoffice_package.xls")]
    )
    assert result.exit_code == 0, result.output
    reading = json.loads(result.output)
    assert reading["format"] == "xls"
    assert reading["ilegible"] is False
    assert len(reading["tabs"]["1"]["documents"]) == 2
    assert reading["tabs"]["2"]["evaluacion"][0]["total_a_retener"] == "1540.42"


def test_read_exits_two_on_an_ilegible_file(tmp_path: Path) -> None:
    pdf = tmp_path / "evidencias.xls"
    pdf.write_bytes(b"%PDF-1.7\n")
    result = CliRunner().invoke(evidence, ["read", str(pdf)])
    assert result.exit_code == 2
    reading = json.loads(result.output)
    assert reading["verdict_if_blocked"] == "ilegible"
    assert reading["findings"][0]["code"] == "WB-FORMAT"
    assert "un PDF" in reading["findings"][0]["message"]


def test_read_refuses_an_oversized_file_without_loading_it(tmp_path: Path) -> None:
    big = tmp_path / "grande.xlsx"
    with big.open("wb") as stream:
        stream.truncate(50 * 1024 * 1024)
    result = CliRunner().invoke(evidence, ["read", str(big)])
    assert result.exit_code == 2
    assert json.loads(result.output)["findings"][0]["code"] == "WB-SIZE"
