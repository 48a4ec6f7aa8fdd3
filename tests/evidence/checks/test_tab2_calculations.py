"""Tab 2: muestras compared step by step, evaluación totals, missing and unknown cases."""

from __future__ import annotations

import datetime
from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest

from evidence.checks import CheckResult
from evidence.checks.calculations import STEPS, filled
from evidence.tabs.calculations import MuestraRow
from rules.testsets.generate import GeneratedTestSet
from rules.workbook_template import HEADERS_EVALUACION, HEADERS_MUESTRAS
from tests.evidence.checks.builder import (
    calculation_rows,
    check_spec,
    codes,
    evidence_spec,
    generated,
)
from tests.evidence.fixtures.build import Cell

COLUMN = {header: index for index, header in enumerate(HEADERS_MUESTRAS)}
TOTAL_A_RETENER = HEADERS_EVALUACION.index("Total a retener")
TOPE_SEED = "tope-0"


def _check_rows(rows: list[list[Cell]], gen: GeneratedTestSet | None = None) -> CheckResult:
    gen = gen or generated()
    spec = evidence_spec(gen)
    spec[1] = replace(spec[1], rows=rows)
    return check_spec(spec, gen)


def _rows() -> list[list[Cell]]:
    gen = generated()
    return calculation_rows(gen.test_set, gen.answers)


def _case_rows(rows: list[list[Cell]], caso: str) -> list[list[Cell]]:
    return [row for row in rows if row and row[0] == caso]


def _case(caso: str) -> dict[str, Any]:
    case: dict[str, Any] = next(c for c in generated().test_set["casos"] if c["caso"] == caso)
    return case


def _multi_subperiod_muestra() -> str:
    gen = generated()
    caso: str = next(
        c["caso"]
        for c in gen.test_set["casos"]
        if c["seccion"] == "muestra" and len(gen.answers[c["caso"]]["subperiodos"]) > 1
    )
    return caso


@pytest.mark.parametrize(
    ("step", "delta"),
    [
        ("Importe diario", Decimal("0.02")),
        ("Importe sin tope", Decimal("-1.00")),
        ("Amortización", Decimal("0.05")),
        ("Valor de descuento", Decimal("0.01")),
        ("Días del bimestre", 1),
        ("Días descontados", -1),
        ("Tipo de descuento", 1),
    ],
)
def test_a_wrong_step_is_named_with_expected_and_given(step: str, delta: Decimal | int) -> None:
    rows = _rows()
    row = _case_rows(rows, "M01")[0]
    expected = row[COLUMN[step]]
    assert isinstance(expected, Decimal | int)
    row[COLUMN[step]] = expected + delta
    result = _check_rows(rows)
    assert codes(result) == ["T2-STEP-MISMATCH"]
    found = result.findings[0]
    assert (found.case, found.expected, found.actual) == (
        "M01",
        str(expected),
        str(expected + delta),
    )
    assert f"«{step}»" in found.message and "subperiodo 1" in found.message


def test_amounts_within_a_cent_pass() -> None:
    rows = _rows()
    for row in _case_rows(rows, "M01"):
        for step in ("Importe diario", "Importe sin tope", "Amortización"):
            value = row[COLUMN[step]]
            assert isinstance(value, Decimal)
            row[COLUMN[step]] = value + Decimal("0.01")
    assert _check_rows(rows).findings == ()


def test_dates_as_text_and_a_wrong_date() -> None:
    rows = _rows()
    first = _case_rows(rows, "M01")[0]
    desde = first[COLUMN["Desde"]]
    assert isinstance(desde, datetime.date)
    first[COLUMN["Desde"]] = desde.strftime("%d/%m/%Y")
    assert _check_rows(rows).findings == ()
    first[COLUMN["Hasta"]] = "01/01/2020"
    result = _check_rows(rows)
    assert codes(result) == ["T2-STEP-MISMATCH"]
    assert result.findings[0].actual == "2020-01-01"


def test_a_tope_where_none_applies_and_an_empty_one_where_it_does() -> None:
    gen = generated(TOPE_SEED)  # a seed whose minimum-wage case is a muestra
    capped = next(
        caso
        for caso, answer in gen.answers.items()
        if caso.startswith("M") and any(s["tope"] for s in answer["subperiodos"])
    )
    uncapped = next(
        caso
        for caso, answer in gen.answers.items()
        if caso.startswith("M") and not any(s["tope"] for s in answer["subperiodos"])
    )
    rows = calculation_rows(gen.test_set, gen.answers)
    capped_row = next(r for r in _case_rows(rows, capped) if r[COLUMN["Tope"]] is not None)
    tope = capped_row[COLUMN["Tope"]]
    capped_row[COLUMN["Tope"]] = None
    _case_rows(rows, uncapped)[0][COLUMN["Tope"]] = Decimal("100.00")
    result = _check_rows(rows, gen)
    assert codes(result) == ["T2-STEP-MISMATCH", "T2-STEP-MISMATCH"]
    assert {(f.case, f.expected, f.actual) for f in result.findings} == {
        (capped, str(tope), "(vacío)"),
        (uncapped, "(vacío)", "100.00"),
    }


def test_wrong_seguro_is_a_step_and_wrong_total_a_total_mismatch() -> None:
    rows = _rows()
    last = _case_rows(rows, "M02")[-1]
    seguro, total = last[COLUMN["Seguro de daños"]], last[COLUMN["Total"]]
    assert isinstance(seguro, Decimal) and isinstance(total, Decimal)
    last[COLUMN["Seguro de daños"]] = seguro + 15
    last[COLUMN["Total"]] = total + 15
    result = _check_rows(rows)
    assert codes(result) == ["T2-STEP-MISMATCH", "T2-TOTAL-MISMATCH"]
    assert [f.actual for f in result.findings] == [str(seguro + 15), str(total + 15)]


def test_period_figures_may_be_repeated_on_every_row_but_must_be_present() -> None:
    caso = _multi_subperiod_muestra()
    rows = _rows()
    case_rows = _case_rows(rows, caso)
    for row in case_rows[:-1]:
        row[COLUMN["Seguro de daños"]] = case_rows[-1][COLUMN["Seguro de daños"]]
        row[COLUMN["Total"]] = case_rows[-1][COLUMN["Total"]]
    assert _check_rows(rows).findings == ()
    for row in case_rows:
        row[COLUMN["Total"]] = None
    result = _check_rows(rows)
    assert codes(result) == ["T2-TOTAL-MISMATCH"]
    assert result.findings[0].actual == "(vacío)"


def test_continuation_rows_may_leave_case_and_nss_blank() -> None:
    caso = _multi_subperiod_muestra()
    rows = _rows()
    for row in _case_rows(rows, caso)[1:]:
        row[0] = row[1] = None
    assert _check_rows(rows).findings == ()


def test_wrong_number_of_subperiods_is_one_finding() -> None:
    caso = _multi_subperiod_muestra()
    rows = _rows()
    extra = _case_rows(rows, caso)[-1]
    rows.remove(extra)
    result = _check_rows(rows)
    # The period's seguro and total were on the removed row.
    assert codes(result) == ["T2-STEP-MISMATCH", "T2-STEP-MISMATCH", "T2-TOTAL-MISMATCH"]
    count = result.findings[0]
    assert "«Número de subperiodos»" in count.message
    assert int(count.expected or 0) == int(count.actual or 0) + 1


def test_missing_muestra_and_missing_evaluacion() -> None:
    rows = [row for row in _rows() if not row or row[0] not in ("M03", "E04")]
    result = _check_rows(rows)
    assert codes(result) == ["T2-MISSING-CASE", "T2-MISSING-CASE"]
    assert [f.case for f in result.findings] == ["M03", "E04"]


def test_template_row_left_empty_is_a_missing_case() -> None:
    rows = _rows()
    first, *others = _case_rows(rows, "M04")
    first[2:] = [None] * (len(first) - 2)  # as the template leaves it: Caso and NSS only
    rows = [row for row in rows if not any(row is other for other in others)]
    result = _check_rows(rows)
    assert codes(result) == ["T2-MISSING-CASE"]
    assert result.findings[0].case == "M04"


def test_unknown_case_extra_case_and_case_in_the_wrong_section() -> None:
    rows = _rows()
    unknown = list(_case_rows(rows, "M01")[0])
    unknown[0] = "M99"
    rows.insert(rows.index(_case_rows(rows, "M01")[0]), unknown)
    rows.append(["E99", "12345678901", Decimal("10.00")])
    rows.append(["M01", _case("M01")["nss"], Decimal("10.00")])
    result = _check_rows(rows)
    assert codes(result) == ["T2-UNKNOWN-CASE"] * 3
    assert [f.case for f in result.findings] == ["M99", "E99", "M01"]
    assert "es de muestras, no de evaluación" in result.findings[2].message


def test_nss_that_is_not_the_cases_worker() -> None:
    rows = _rows()
    _case_rows(rows, "M02")[0][1] = _case("M03")["nss"]
    next(row for row in rows if row[:1] == ["E02"])[1] = "00000000000"
    result = _check_rows(rows)
    assert codes(result) == ["T2-UNKNOWN-CASE", "T2-UNKNOWN-CASE"]
    assert [(f.case, f.expected) for f in result.findings] == [
        ("M02", _case("M02")["nss"]),
        ("E02", _case("E02")["nss"]),
    ]


def test_case_ids_are_compared_without_regard_to_letter_case() -> None:
    rows = _rows()
    for row in rows:
        if row and isinstance(row[0], str) and row[0][:1] in "ME" and row[0][1:].isdigit():
            row[0] = f" {row[0].lower()} "
    assert _check_rows(rows).findings == ()


def test_evaluacion_total_off_by_more_than_a_cent() -> None:
    rows = _rows()
    row = next(row for row in rows if row[:1] == ["E05"])
    total = row[TOTAL_A_RETENER]
    assert isinstance(total, Decimal)
    row[TOTAL_A_RETENER] = total - Decimal("0.02")
    result = _check_rows(rows)
    assert codes(result) == ["T2-TOTAL-MISMATCH"]
    assert (result.findings[0].case, result.findings[0].expected) == ("E05", str(total))


def test_unreadable_cells_are_reported_once_by_the_reader() -> None:
    rows = _rows()
    _case_rows(rows, "M01")[0][COLUMN["Importe diario"]] = "ochenta"
    next(row for row in rows if row[:1] == ["E03"])[TOTAL_A_RETENER] = "mil"
    result = _check_rows(rows)
    assert codes(result) == ["T2-NOT-NUMBER", "T2-NOT-NUMBER"]
    assert result.verdict == "con_inconsistencias"


def test_unreadable_section_blocks_and_stops_the_tab_checks() -> None:
    rows = [row for row in _rows() if row != list(HEADERS_MUESTRAS)]
    result = _check_rows(rows)
    assert codes(result) == ["T2-UNREADABLE"]
    assert result.verdict == "ilegible"


def test_a_muestra_row_with_any_one_figure_is_filled_and_one_with_none_is_not() -> None:
    figures = len(MuestraRow._fields) - 3  # all but row, caso and nss
    assert not filled(MuestraRow._make([7, "M01", "12345678901", *[None] * figures]))
    given = [step.given for step in STEPS] + [lambda r: r.seguro_danos, lambda r: r.total]
    for position in range(figures):
        values: list[Any] = [None] * figures
        values[position] = Decimal(1)
        row = MuestraRow._make([7, "M01", "12345678901", *values])
        assert filled(row), MuestraRow._fields[3 + position]
        assert sum(read(row) is not None for read in given) == 1  # each figure is one of those
