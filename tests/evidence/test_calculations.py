"""Tab 2: sections and columns found by their text, values typed, bad cells reported."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from evidence.findings import Code
from evidence.formats.cells import CellValue
from evidence.reading import read_workbook
from evidence.tabs.calculations import (
    CalculationsTab,
    EvaluacionRow,
    MuestraRow,
    normalize,
    parse_amount,
    read_calculations_tab,
)
from rules.workbook_template import HEADERS_EVALUACION, HEADERS_MUESTRAS
from tests.evidence.workbooks import xlsx_with

MUESTRA: list[CellValue] = [
    "M01",
    "12345678901",
    "01/01/2026",
    "15/01/2026",
    2,
    2450.0,
    59,
    15,
    83.05,
    1245.76,
    "",
    1200.0,
    15.0,
    1215.0,
]


def sheet(
    muestras: list[list[CellValue]],
    evaluacion: list[list[CellValue]],
    muestra_headers: list[str] | None = None,
    evaluacion_headers: list[str] | None = None,
) -> list[list[CellValue]]:
    return [
        ["MUESTRAS DEL CÁLCULO DE RETENCIONES"],
        list(muestra_headers or HEADERS_MUESTRAS),
        *muestras,
        [""],
        ["EVALUACIÓN PARA EL CÁLCULO DE RETENCIONES"],
        list(evaluacion_headers or HEADERS_EVALUACION),
        *evaluacion,
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1540.42", Decimal("1540.42")),
        ("1,540.42", Decimal("1540.42")),
        ("$ 1540.42", Decimal("1540.42")),
        ("$1,234,567.8", Decimal("1234567.8")),
        (" -$12.00 ", Decimal("-12.00")),
        ("$-12", Decimal("-12")),
        ("0", Decimal("0")),
        (".5", Decimal(".5")),
        ("12 345.6", Decimal("12345.6")),
        ("1,540", None),  # 1540 in es-MX, 1.54 where the comma is decimal: ambiguous
        ("1.540,42", None),
        ("1540,42", None),
        ("12,34.5", None),
        ("abc", None),
        ("", None),
        ("1e5", None),
        ("NaN", None),
        ("20%", None),
    ],
)
def test_parse_amount_accepts_only_unambiguous_text(text: str, expected: Decimal | None) -> None:
    assert parse_amount(text) == expected


def test_normalize_ignores_case_accents_punctuation_and_units() -> None:
    assert normalize("  Días  del BIMESTRE: ") == "dias del bimestre"
    assert normalize("Importe diario ($)") == "importe diario"
    assert normalize("Amortización*") == "amortizacion"


def test_rows_are_typed_from_text_and_number_cells() -> None:
    tab, findings = read_calculations_tab(sheet([MUESTRA], [["E01", 12345678902.0, "$ 2,000.00"]]))
    assert findings == []
    (row,) = tab.muestras
    assert row.row == 3
    assert row.desde == datetime.date(2026, 1, 1)
    assert row.hasta == datetime.date(2026, 1, 15)
    assert row.valor_descuento == Decimal("2450.0")
    assert row.importe_diario == Decimal("83.05")  # not 83.0499999999999971578…
    assert row.tope is None
    assert row.dias_descontados == 15
    (evaluation,) = tab.evaluacion
    assert evaluation.nss == "12345678902"
    assert evaluation.total_a_retener == Decimal("2000.00")


def test_numeric_nss_gets_its_leading_zero_back() -> None:
    tab, _ = read_calculations_tab(sheet([], [["E01", 4567890123, 1.0]]))
    assert tab.evaluacion[0].nss == "04567890123"


def test_date_cells_serials_and_iso_text_are_dates() -> None:
    row = list(MUESTRA)
    row[2] = datetime.datetime(2026, 2, 1, 0, 0)
    row[3] = 46067.0  # Excel serial of 2026-02-14
    tab, findings = read_calculations_tab(sheet([row], []))
    assert findings == []
    assert (tab.muestras[0].desde, tab.muestras[0].hasta) == (
        datetime.date(2026, 2, 1),
        datetime.date(2026, 2, 14),
    )
    row[3] = "2026-02-14"
    tab, _ = read_calculations_tab(sheet([row], []))
    assert tab.muestras[0].hasta == datetime.date(2026, 2, 14)


def test_tipo_de_descuento_accepts_its_names() -> None:
    rows = []
    for tipo in ("Porcentaje", "Cuota fija en pesos", "Cuota fija en VSM", "2 - Cuota fija", "3"):
        row = list(MUESTRA)
        row[4] = tipo
        rows.append(row)
    tab, findings = read_calculations_tab(sheet(rows, []))
    assert findings == []
    assert [m.tipo_descuento for m in tab.muestras] == [1, 2, 3, 2, 3]


def test_tipo_de_descuento_that_is_neither_number_nor_name_is_reported() -> None:
    rows = []
    for tipo in ("1.5", "fijo"):
        row = list(MUESTRA)
        row[4] = tipo
        rows.append(row)
    tab, findings = read_calculations_tab(sheet(rows, []))
    assert [m.tipo_descuento for m in tab.muestras] == [None, None]
    assert [f.message for f in findings] == [
        "Celda E3 (Tipo de descuento): «1.5» no es un número entero.",
        "Celda E4 (Tipo de descuento): «fijo» no es un tipo de descuento (1, 2 o 3).",
    ]


def test_unreadable_cells_are_not_number_findings_with_their_cell() -> None:
    row = list(MUESTRA)
    row[8] = "ochenta"
    row[9] = "1,540"
    row[7] = 15.5
    row[2] = "31/02/2026"
    tab, findings = read_calculations_tab(sheet([row], [["E01", "12345678902", "N/A"]]))
    assert {f.code for f in findings} == {Code.T2_NOT_NUMBER}
    messages = [f.message for f in findings]
    assert messages == [
        "Celda C3 (Desde): «31/02/2026» no es una fecha (dd/mm/aaaa).",
        "Celda H3 (Días descontados): «15.5» no es un número entero.",
        "Celda I3 (Importe diario): «ochenta» no es un número.",
        "Celda J3 (Importe sin tope): «1,540» no es un número.",
        "Celda C7 (Total a retener): «N/A» no es un número.",
    ]
    assert [f.case for f in findings] == ["M01", "M01", "M01", "M01", "E01"]
    assert tab.muestras[0].importe_diario is None
    assert not any(f.blocking for f in findings)


def test_bad_cells_in_long_columns_are_each_reported_in_reading_order() -> None:
    rows = []
    for i in range(300):
        row = list(MUESTRA)
        row[0] = f"M{i:03d}"
        row[13] = 1215.0 + i % 7  # repeated amounts share one conversion
        rows.append(row)
    rows[250][13] = float("nan")
    rows[40][8] = "ochenta"
    rows[250][9] = "n/a"
    tab, findings = read_calculations_tab(sheet(rows, []))
    assert [f.message for f in findings] == [
        "Celda I43 (Importe diario): «ochenta» no es un número.",
        "Celda J253 (Importe sin tope): «n/a» no es un número.",
        "Celda N253 (Total): «nan» no es un número.",
    ]
    assert [f.case for f in findings] == ["M040", "M250", "M250"]
    assert [m.total for m in tab.muestras[:8]] == [Decimal(str(1215.0 + i % 7)) for i in range(8)]
    assert tab.muestras[250].total is None and tab.muestras[251].total == Decimal("1221.0")
    assert tab.muestras[40].importe_diario is None
    assert tab.muestras[41].importe_diario == Decimal("83.05")


def test_continuation_rows_inherit_caso_and_nss() -> None:
    second: list[CellValue] = ["", "", "01/03/2026", "08/03/2026", 1, 20, 61, 8, 10, 80, "", 80]
    second += [15, 95]
    tab, _ = read_calculations_tab(sheet([MUESTRA, second], []))
    assert [(m.caso, m.nss) for m in tab.muestras] == [("M01", "12345678901")] * 2


def test_notes_and_blank_rows_are_not_records() -> None:
    tab, _ = read_calculations_tab(
        sheet([MUESTRA, [""] * 14, ["Nota: montos en pesos"]], [["E01", "12345678902", 1]])
    )
    assert len(tab.muestras) == 1
    assert len(tab.evaluacion) == 1


def test_columns_are_found_by_header_in_any_order_and_position() -> None:
    headers: list[CellValue] = ["", *reversed(HEADERS_MUESTRAS)]
    row: list[CellValue] = ["", *reversed(MUESTRA)]
    rows: list[list[CellValue]] = [[""], ["", "Muestras del calculo de retenciones"], headers, row]
    rows += [
        ["", "EVALUACION PARA EL CALCULO DE RETENCIONES"],
        ["", "Total a retener (MXN)", "NSS", "Caso"],
    ]
    rows += [["", 7, "12345678902", "E01"]]
    tab, findings = read_calculations_tab(rows)
    assert findings == []
    assert tab.muestras[0].caso == "M01"
    assert tab.muestras[0].total == Decimal("1215.0")
    assert tab.evaluacion[0].total_a_retener == Decimal("7")


def test_headings_may_carry_a_label_but_sentences_mentioning_them_are_not_headings() -> None:
    rows = sheet([MUESTRA], [["E01", "12345678902", 5]])
    rows[0] = ["Sección a) Muestras del cálculo de retenciones:"]
    instructions: list[list[CellValue]] = [
        ["Llene MUESTRAS DEL CÁLCULO DE RETENCIONES con una fila por subperiodo del caso."],
        ["Caso", "NSS"],
    ]
    tab, findings = read_calculations_tab(instructions + rows)
    assert findings == []
    assert [m.caso for m in tab.muestras] == ["M01"]
    assert [e.caso for e in tab.evaluacion] == ["E01"]


def test_missing_section_is_unreadable() -> None:
    tab, findings = read_calculations_tab(
        [["MUESTRAS DEL CÁLCULO DE RETENCIONES"], list(HEADERS_MUESTRAS), MUESTRA]
    )
    assert [f.code for f in findings] == [Code.T2_UNREADABLE]
    assert "EVALUACIÓN PARA EL CÁLCULO DE RETENCIONES" in findings[0].message
    assert len(tab.muestras) == 1
    assert findings[0].blocking


def test_missing_columns_are_named() -> None:
    headers = [h for h in HEADERS_MUESTRAS if h not in ("Tope", "Seguro de daños")]
    _, findings = read_calculations_tab(sheet([], [], muestra_headers=headers))
    assert [f.code for f in findings] == [Code.T2_UNREADABLE]
    assert findings[0].message.endswith("faltan las columnas: Tope, Seguro de daños.")


def test_header_row_far_below_its_heading_is_not_found() -> None:
    rows: list[list[CellValue]] = [["MUESTRAS DEL CÁLCULO DE RETENCIONES"]]
    rows += [[""] for _ in range(6)]
    rows.append(list(HEADERS_MUESTRAS))
    _, findings = read_calculations_tab(rows)
    assert "fila de encabezados" in findings[0].message


def test_not_number_in_a_workbook_is_a_content_finding_that_does_not_block() -> None:
    rows = sheet([MUESTRA], [["E01", "12345678902", "pendiente"]])
    reading = read_workbook(xlsx_with(2, rows=rows))
    assert [f.code for f in reading.findings] == [Code.T2_NOT_NUMBER]
    assert not reading.ilegible


def test_the_stored_form_keeps_amounts_exact_and_dates_iso() -> None:
    row = MuestraRow(
        5,
        "M01",
        "12345678901",
        datetime.date(2026, 1, 1),
        None,
        2,
        Decimal("2450.0"),
        59,
        15,
        Decimal("83.05"),
        Decimal("1245.76"),
        None,
        Decimal("1E+3"),
        Decimal("15.00"),
        Decimal("-0.0"),
    )
    tab = CalculationsTab((row,), (EvaluacionRow(9, "E01", None, Decimal("1215.50")),))
    stored = tab.to_json()
    assert stored == {
        "muestras": [
            {
                "row": 5,
                "caso": "M01",
                "nss": "12345678901",
                "desde": "2026-01-01",
                "hasta": None,
                "tipo_descuento": 2,
                "valor_descuento": "2450.0",
                "dias_bimestre": 59,
                "dias_descontados": 15,
                "importe_diario": "83.05",
                "importe_sin_tope": "1245.76",
                "tope": None,
                "amortizacion": "1E+3",
                "seguro_danos": "15.00",
                "total": "-0.0",
            }
        ],
        "evaluacion": [{"row": 9, "caso": "E01", "nss": None, "total_a_retener": "1215.50"}],
    }
    back = CalculationsTab.from_json(stored)
    assert back == tab and hash(back) == hash(tab)
    # Equal is not enough for amounts: their written precision comes back too.
    assert [str(value) for value in back.muestras[0]] == [str(value) for value in row]
    assert CalculationsTab.from_json(CalculationsTab((), ()).to_json()) == CalculationsTab((), ())


def test_a_stored_tab_types_its_rows_when_they_are_asked_for() -> None:
    tab = CalculationsTab.from_json({"muestras": [{"row": 4}], "evaluacion": []})
    with pytest.raises(KeyError):  # a row without its fields is found when the rows are typed
        _ = tab.muestras
    with pytest.raises(TypeError):
        CalculationsTab.from_json({"muestras": {}, "evaluacion": []})
