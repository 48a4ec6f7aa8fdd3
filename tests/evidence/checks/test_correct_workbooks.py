"""A workbook filled with the round's own answers passes every check, in each accepted form."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from cli.evidence_check import load_set_directory
from evidence.checks import check_evidence
from evidence.reading import read_workbook
from tests.evidence.checks.builder import (
    check_spec,
    evidence_spec,
    generated,
    nomina_cfdi,
)

FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.mark.parametrize("seed", ["pruebas-de-evidencias", "otra-semilla", "tercera"])
def test_xlsx_filled_from_the_answers_has_no_finding(seed: str) -> None:
    gen = generated(seed)
    result = check_spec(evidence_spec(gen), gen)
    assert result.verdict == "sin_inconsistencias"
    assert result.findings == ()


def test_cfdi_pasted_as_text_in_column_a_passes() -> None:
    gen = generated()
    spec = evidence_spec(gen)
    pasted = nomina_cfdi(gen).decode("utf-8")
    spec[3] = replace(spec[3], rows=[["CFDI de nómina"], [pasted]], objects=[])
    assert check_spec(spec, gen).findings == ()


def test_committed_xls_passes_against_its_committed_test_set() -> None:
    documents = load_set_directory(FIXTURES / "set-fijo")
    data = (FIXTURES / "evidencias-set-fijo.xls").read_bytes()
    reading = read_workbook(data, filename="evidencias-set-fijo.xls")
    assert reading.format is not None and reading.format.value == "xls"
    result = check_evidence(
        reading,
        test_set=documents.test_set,
        answers=documents.answers,
        avisos_responses=documents.avisos,
        public_key=documents.public_key,
    )
    assert result.verdict == "sin_inconsistencias"
    assert result.findings == ()
