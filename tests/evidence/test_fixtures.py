"""Every committed fixture reads to the values its builder wrote, whatever produced the file."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from evidence.formats.detect import WorkbookFormat
from evidence.reading import WorkbookReading, read_workbook
from tests.evidence.fixtures.build import CFDI_EMBEDDED, CFDI_PASTED, RESPONSES
from tests.evidence.workbooks import FIXTURES, fixture

D = Decimal
d = datetime.date

# (row, caso, nss, desde, hasta, tipo, valor, días bimestre, días descontados, importe diario,
#  importe sin tope, tope, amortización, seguro de daños, total)
EXPECTED_MUESTRAS = [
    (
        5,
        "M01",
        "12345678901",
        d(2026, 1, 1),
        d(2026, 1, 15),
        2,
        D("2450"),
        59,
        15,
        D("83.05"),
        D("1245.76"),
        D("1200"),
        D("1200"),
        D("15"),
        D("1215"),
    ),
    (
        6,
        "M02",
        "04567890123",
        d(2026, 2, 23),
        d(2026, 2, 28),
        1,
        D("20"),
        59,
        6,
        D("1540.42"),
        D("9242.52"),
        None,
        D("9242.52"),
        None,
        None,
    ),
    (
        7,
        "M02",
        "04567890123",
        d(2026, 3, 1),
        d(2026, 3, 8),
        1,
        D("20"),
        61,
        8,
        D("1540.42"),
        D("12323.36"),
        None,
        D("12323.36"),
        D("15"),
        D("21580.88"),
    ),
    (
        8,
        "M03",
        "12345678904",
        d(2026, 1, 1),
        d(2026, 1, 31),
        3,
        D("25.5"),
        59,
        31,
        D("49.70"),
        D("1540.42"),
        None,
        D("1540.42"),
        D("15"),
        D("1555.42"),
    ),
]
EXPECTED_EVALUACION = [
    (12, "E01", "12345678902", D("1540.42")),
    (13, "E02", "12345678903", D("2000")),
    (14, "E03", "12345678905", D("0")),
]

CASES = {
    # name: (format, screenshot formats, name of the embedded zip)
    "excel_package.xlsx": (WorkbookFormat.XLSX, ["png", "jpeg"], "respuestas.zip"),
    "excel_raw.xlsx": (WorkbookFormat.XLSX, ["jpeg"], "respuestas.zip"),
    # Pictures placed in cells (Excel 365), found through the rich-value parts.
    "excel365_in_cells.xlsx": (WorkbookFormat.XLSX, ["png", "jpeg"], "respuestas.zip"),
    "libreoffice_package.xlsx": (WorkbookFormat.XLSX, ["png", "jpeg"], "respuestas.zip"),
    "libreoffice_package.xls": (WorkbookFormat.XLS, ["png", "jpeg"], "respuestas.zip"),
    # A bare Ole10Native stream carries no file name: the storage names the zip.
    "libreoffice_raw.xls": (WorkbookFormat.XLS, ["png"], "MBD"),
}


@pytest.fixture(scope="module", params=sorted(CASES))
def case(request: pytest.FixtureRequest) -> tuple[str, WorkbookReading]:
    name = request.param
    return name, read_workbook(fixture(name), filename=name)


def test_fixture_is_legible_with_no_findings(case: tuple[str, WorkbookReading]) -> None:
    name, reading = case
    assert reading.findings == ()
    assert not reading.ilegible
    assert reading.verdict_if_blocked is None
    assert reading.format is CASES[name][0]
    assert reading.sheets == ("1 JSON", "2 Calculos", "3 Pantallas", "4 CFDI")


def test_fixture_json_documents(case: tuple[str, WorkbookReading]) -> None:
    name, reading = case
    assert reading.json_tab is not None
    assert len(reading.json_tab.zip_names) == 1
    assert reading.json_tab.zip_names[0].startswith(CASES[name][2])
    assert {doc.path: doc.document for doc in reading.json_tab.documents} == RESPONSES


def test_fixture_calculation_records(case: tuple[str, WorkbookReading]) -> None:
    _, reading = case
    assert reading.calculations is not None
    muestras = [
        (
            m.row,
            m.caso,
            m.nss,
            m.desde,
            m.hasta,
            m.tipo_descuento,
            m.valor_descuento,
            m.dias_bimestre,
            m.dias_descontados,
            m.importe_diario,
            m.importe_sin_tope,
            m.tope,
            m.amortizacion,
            m.seguro_danos,
            m.total,
        )
        for m in reading.calculations.muestras
    ]
    assert muestras == EXPECTED_MUESTRAS
    evaluacion = [
        (e.row, e.caso, e.nss, e.total_a_retener) for e in reading.calculations.evaluacion
    ]
    assert evaluacion == EXPECTED_EVALUACION
    amounts = [m.total for m in reading.calculations.muestras if m.total is not None]
    assert all(isinstance(amount, Decimal) for amount in amounts)


def test_fixture_screenshots(case: tuple[str, WorkbookReading]) -> None:
    name, reading = case
    assert reading.screenshots is not None
    images = reading.screenshots.images
    assert [image.format for image in images] == CASES[name][1]
    assert all((image.width, image.height) == (320, 200) for image in images)
    assert all(image.data[:4] in (b"\x89PNG", b"\xff\xd8\xff\xe0") for image in images)


def test_fixture_cfdi_documents(case: tuple[str, WorkbookReading]) -> None:
    _, reading = case
    assert reading.cfdi is not None
    documents = reading.cfdi.documents
    assert len(documents) == 2
    assert documents[0].xml == CFDI_EMBEDDED
    assert documents[0].source.startswith("el objeto")
    assert documents[1].xml == CFDI_PASTED.encode("utf-8")
    assert documents[1].source == "la celda A2"


def test_fixture_reading_serialises_to_json(case: tuple[str, WorkbookReading]) -> None:
    _, reading = case
    data = reading.to_json()
    assert data["ilegible"] is False
    assert data["tabs"]["2"]["muestras"][0]["importe_diario"] == "83.05"
    assert data["tabs"]["2"]["muestras"][0]["desde"] == "2026-01-01"
    assert len(data["tabs"]["3"]["images"][0]["sha256"]) == 64


def test_committed_fixtures_stay_small() -> None:
    assert sum(path.stat().st_size for path in FIXTURES.glob("*.xls*")) < 512 * 1024
