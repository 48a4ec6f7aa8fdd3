"""Tab 2 side by side: what the reviewer sees next to each expected figure."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from evidence.checks.amounts import EMPTY
from evidence.checks.round import build_round
from evidence.checks.side_by_side import ABSENT, CaseSide, side_by_side
from evidence.reading import read_workbook
from evidence.tabs.calculations import CalculationsTab
from rules.workbook_template import HEADERS_MUESTRAS
from tests.evidence.checks.builder import calculation_rows, evidence_spec, generated
from tests.evidence.fixtures.build import Cell, build_xlsx

COLUMN = {header: index for index, header in enumerate(HEADERS_MUESTRAS)}


def _tab(rows: list[list[Cell]]) -> CalculationsTab:
    spec = evidence_spec(generated())
    spec[1] = replace(spec[1], rows=rows)
    reading = read_workbook(build_xlsx(spec), filename="evidencias.xlsx")
    assert reading.calculations is not None
    return reading.calculations


def _sides(rows: list[list[Cell]]) -> dict[str, CaseSide]:
    gen = generated()
    round_ = build_round(gen.test_set, gen.answers, gen.avisos)
    return {side.caso: side for side in side_by_side(round_, _tab(rows))}


def _rows() -> list[list[Cell]]:
    gen = generated()
    return calculation_rows(gen.test_set, gen.answers)


def test_a_correct_tab_matches_everywhere_in_the_test_sets_order() -> None:
    gen = generated()
    sides = _sides(_rows())
    assert list(sides) == [c["caso"] for c in gen.test_set["casos"]]
    for caso, side in sides.items():
        assert side.answered and not side.differs, caso
        assert side.total.expected == side.total.given == gen.answers[caso]["total"]
    muestra = sides["M01"]
    assert [line.name for line in muestra.lines][-2:] == ["Seguro de daños", "Total"]
    assert muestra.subperiods == len(gen.answers["M01"]["subperiodos"])
    assert [line.name for line in sides["E01"].lines] == ["Total a retener"]


def test_a_wrong_evaluation_total_is_flagged_with_both_values() -> None:
    gen = generated()
    rows = calculation_rows(
        gen.test_set, gen.answers, lambda caso, v: v + 1 if caso == "E02" else v
    )
    sides = _sides(rows)
    wrong = sides["E02"]
    expected = Decimal(gen.answers["E02"]["total"])
    assert wrong.differs and wrong.total.differs
    assert (wrong.total.expected, wrong.total.given) == (str(expected), str(expected + 1))
    assert [caso for caso, side in sides.items() if side.differs] == ["E02"]


def test_a_wrong_step_flags_its_line_and_its_subperiod_only() -> None:
    rows = _rows()
    first = next(row for row in rows if row and row[0] == "M01")
    value = first[COLUMN["Importe diario"]]
    assert isinstance(value, Decimal)
    first[COLUMN["Importe diario"]] = value + Decimal("0.50")
    side = _sides(rows)["M01"]
    flagged = {line.name: [pair.differs for pair in line.pairs] for line in side.lines}
    assert flagged["Importe diario"][0]
    assert [name for name, marks in flagged.items() if any(marks)] == ["Importe diario"]
    assert side.lines[6].pairs[0].given == str(value + Decimal("0.50"))
    # Within a cent is the checks' tolerance.
    first[COLUMN["Importe diario"]] = value + Decimal("0.01")
    assert not _sides(rows)["M01"].differs


def test_a_missing_case_is_flagged_as_not_answered() -> None:
    rows = [row for row in _rows() if not (row and row[0] == "E03")]
    side = _sides(rows)["E03"]
    assert not side.answered and side.differs
    assert side.rows == ()
    assert side.total.given == EMPTY and side.total.differs


def test_an_extra_subperiod_is_shown_against_nothing() -> None:
    rows = _rows()
    index = max(i for i, row in enumerate(rows) if row and row[0] == "M01")
    rows.insert(index + 1, list(rows[index]))
    side = _sides(rows)["M01"]
    expected = len(generated().answers["M01"]["subperiodos"])
    assert side.subperiods == expected + 1
    desde = side.lines[0]
    assert desde.pairs[-1].expected == ABSENT and desde.pairs[-1].differs
    assert side.differs


def test_a_period_figure_lists_every_value_written() -> None:
    gen = generated()
    caso = next(
        c
        for c, answer in gen.answers.items()
        if c.startswith("M") and len(answer["subperiodos"]) > 1
    )
    rows = _rows()
    case_rows = [row for row in rows if row and row[0] == caso]
    total = case_rows[-1][COLUMN["Total"]]
    assert isinstance(total, Decimal)
    case_rows[0][COLUMN["Total"]] = total + 2
    side = _sides(rows)[caso]
    assert side.total.differs
    assert side.total.given in (f"{total + 2} / {total}", f"{total} / {total + 2}")


def test_the_stored_reading_gives_back_the_same_tab() -> None:
    tab = _tab(_rows())
    assert CalculationsTab.from_json(tab.to_json()) == tab
