import io
import zipfile
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from openpyxl import load_workbook
from python_calamine import CalamineWorkbook

from rules.testsets.generate import GeneratedTestSet, generate_test_set
from rules.workbook_template import (
    HEADERS_EVALUACION,
    HEADERS_MUESTRAS,
    HEADING_EVALUACION,
    HEADING_MUESTRAS,
    SHEET_NAMES,
    build_template,
)


@pytest.fixture(scope="module")
def generated() -> GeneratedTestSet:
    return generate_test_set(
        seed="plantilla",
        vendor_rfc="CAC840428RH1",
        folio="0501423523",
        round=2,
        emitido=datetime(2026, 3, 2, 10, 0, tzinfo=ZoneInfo("America/Mexico_City")),
        private_key=Ed25519PrivateKey.from_private_bytes(bytes(range(32))),
    )


@pytest.fixture(scope="module")
def template(generated: GeneratedTestSet) -> bytes:
    return build_template(generated.test_set)


def _rows(template: bytes, sheet: str) -> list[list[Any]]:
    workbook = load_workbook(io.BytesIO(template))
    return [list(row) for row in workbook[sheet].iter_rows(values_only=True)]


def _row_of(rows: list[list[Any]], text: str) -> int:
    (index,) = [i for i, row in enumerate(rows) if row and row[0] == text]
    return index


def _cases(generated: GeneratedTestSet, seccion: str) -> list[list[str]]:
    return [
        [case["caso"], case["nss"]]
        for case in generated.test_set["casos"]
        if case["seccion"] == seccion
    ]


def test_sheets_are_the_four_of_section_8_in_order(template: bytes) -> None:
    assert load_workbook(io.BytesIO(template)).sheetnames == list(SHEET_NAMES)
    assert SHEET_NAMES == ("1 JSON", "2 Calculos", "3 Pantallas", "4 CFDI")


def test_every_sheet_starts_with_spanish_instructions(template: bytes) -> None:
    for sheet in SHEET_NAMES:
        rows = _rows(template, sheet)
        text = " ".join(str(row[0]) for row in rows[:8] if row and row[0])
        assert len(text) > 80, sheet
        assert any(word in text for word in ("Inserte", "Pegue", "escriba", "Incluya")), sheet


def test_muestras_section_has_its_heading_headers_and_one_row_per_muestra(
    template: bytes, generated: GeneratedTestSet
) -> None:
    assert HEADING_MUESTRAS == "MUESTRAS DEL CÁLCULO DE RETENCIONES"
    rows = _rows(template, "2 Calculos")
    heading = _row_of(rows, HEADING_MUESTRAS)
    assert rows[heading + 1][: len(HEADERS_MUESTRAS)] == [
        "Caso",
        "NSS",
        "Desde",
        "Hasta",
        "Tipo de descuento",
        "Valor de descuento",
        "Días del bimestre",
        "Días descontados",
        "Importe diario",
        "Importe sin tope",
        "Tope",
        "Amortización",
        "Seguro de daños",
        "Total",
    ]
    muestras = _cases(generated, "muestra")
    body = rows[heading + 2 : heading + 2 + len(muestras)]
    assert [row[:2] for row in body] == muestras
    assert all(value is None for row in body for value in row[2:])


def test_evaluacion_section_has_its_heading_headers_and_one_row_per_case(
    template: bytes, generated: GeneratedTestSet
) -> None:
    assert HEADING_EVALUACION == "EVALUACIÓN PARA EL CÁLCULO DE RETENCIONES"
    rows = _rows(template, "2 Calculos")
    heading = _row_of(rows, HEADING_EVALUACION)
    assert heading > _row_of(rows, HEADING_MUESTRAS)
    assert rows[heading + 1][:3] == list(HEADERS_EVALUACION) == ["Caso", "NSS", "Total a retener"]
    evaluacion = _cases(generated, "evaluacion")
    body = rows[heading + 2 :]
    assert [row[:2] for row in body] == evaluacion
    assert all(row[2] is None for row in body)


def test_nss_cells_are_text_so_leading_zeros_survive(
    template: bytes, generated: GeneratedTestSet
) -> None:
    sheet = load_workbook(io.BytesIO(template))["2 Calculos"]
    nss = {case["nss"] for case in generated.test_set["casos"]}
    cells = [row[1] for row in sheet.iter_rows() if row[1].value in nss]
    assert len(cells) == len(nss)
    assert all(cell.data_type == "s" and cell.number_format == "@" for cell in cells)


def test_cfdi_sheet_names_the_marked_case(template: bytes, generated: GeneratedTestSet) -> None:
    (marked,) = [case for case in generated.test_set["casos"] if case["cfdi"]]
    text = " ".join(str(row[0]) for row in _rows(template, "4 CFDI") if row and row[0])
    assert marked["caso"] in text and marked["nss"] in text


def test_template_holds_no_answer(template: bytes, generated: GeneratedTestSet) -> None:
    figures = {
        answer[key] for answer in generated.answers.values() for key in ("total", "amortizacion")
    }
    for sheet in SHEET_NAMES:
        values = {str(value) for row in _rows(template, sheet) for value in row if value}
        assert not values & figures, sheet


def test_template_is_reproducible_and_dated_by_the_test_set(
    template: bytes, generated: GeneratedTestSet
) -> None:
    assert build_template(generated.test_set) == template
    workbook = load_workbook(io.BytesIO(template))
    assert workbook.properties.created == datetime(2026, 3, 2, 16, 0)
    assert workbook.properties.modified == datetime(2026, 3, 2, 16, 0)
    times = {info.date_time for info in zipfile.ZipFile(io.BytesIO(template)).infolist()}
    assert times == {(1980, 1, 1, 0, 0, 0)}


def test_template_reads_with_calamine_too(template: bytes) -> None:
    workbook = CalamineWorkbook.from_filelike(io.BytesIO(template))
    assert workbook.sheet_names == list(SHEET_NAMES)
    cells = [value for row in workbook.get_sheet_by_name("2 Calculos").to_python() for value in row]
    assert HEADING_MUESTRAS in cells and HEADING_EVALUACION in cells
