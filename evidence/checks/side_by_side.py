"""Tab 2 side by side, for reviewers: each case's expected figures next to what the vendor wrote.

The pairing and the tolerance are the checks' own (``evidence.checks.calculations``): rows are
grouped by case id, a muestra's rows are its subperiods in order, and a period figure (Seguro de
daños, Total) is wrong when any value written for it is. Where the checks stop comparing row by
row (a different number of subperiods) the rows are still shown by position, so the reviewer
sees where they part. Rows that name no case of the set are left to their findings.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from evidence.checks.amounts import EMPTY, same_amount, shown
from evidence.checks.calculations import (
    EVALUACION,
    MUESTRA,
    STEPS,
    Row,
    differs,
    filled,
    grouped,
    written_values,
)
from evidence.checks.round import ExpectedCase, Round, case_key
from evidence.tabs.calculations import CalculationsTab, EvaluacionRow, MuestraRow

ABSENT = "—"  # a subperiod one side has and the other has not


@dataclass(frozen=True)
class Pair:
    expected: str
    given: str
    differs: bool


@dataclass(frozen=True)
class Line:
    """One figure of a case: a step, one pair per subperiod, or a period figure (one pair)."""

    name: str
    pairs: tuple[Pair, ...]

    @property
    def differs(self) -> bool:
        return any(pair.differs for pair in self.pairs)


@dataclass(frozen=True)
class CaseSide:
    caso: str
    seccion: str
    nss: str
    rows: tuple[int, ...]  # the sheet's rows written for the case; none when it is missing
    subperiods: int  # pairs of each step line: the larger of expected and written
    lines: tuple[Line, ...]
    total: Pair

    @property
    def answered(self) -> bool:
        return bool(self.rows)

    @property
    def differs(self) -> bool:
        return not self.answered or any(line.differs for line in self.lines)


def _period(
    name: str, rows: Sequence[Row], given: Callable[[Row], Decimal | None], expected: Decimal
) -> Line:
    written = written_values(list(rows), given)
    text = " / ".join(shown(value) for value in written) or EMPTY
    wrong = not written or any(not same_amount(value, expected) for value in written)
    return Line(name, (Pair(shown(expected), text, wrong),))


def _muestra(case: ExpectedCase, rows: list[MuestraRow]) -> CaseSide:
    count = max(len(rows), len(case.subperiodos))
    lines = []
    for step in STEPS:
        pairs = []
        for index in range(count):
            row = rows[index] if index < len(rows) else None
            subperiod = case.subperiodos[index] if index < len(case.subperiodos) else None
            if row is None or subperiod is None:
                pairs.append(
                    Pair(
                        ABSENT if subperiod is None else shown(step.expected(subperiod)),
                        ABSENT if row is None else shown(step.given(row)),
                        True,
                    )
                )
            else:
                given, wanted = step.given(row), step.expected(subperiod)
                pairs.append(Pair(shown(wanted), shown(given), differs(given, wanted, step.amount)))
        lines.append(Line(step.name, tuple(pairs)))
    lines.append(_period("Seguro de daños", rows, lambda r: r.seguro_danos, case.seguro))
    total = _period("Total", rows, lambda r: r.total, case.total)
    return CaseSide(
        case.caso,
        case.seccion,
        case.nss,
        tuple(row.row for row in rows),
        count,
        (*lines, total),
        total.pairs[0],
    )


def _evaluacion(case: ExpectedCase, rows: list[EvaluacionRow]) -> CaseSide:
    total = _period("Total a retener", rows, lambda r: r.total_a_retener, case.total)
    rows_written = tuple(row.row for row in rows)
    return CaseSide(case.caso, case.seccion, case.nss, rows_written, 1, (total,), total.pairs[0])


def side_by_side(round_: Round, tab: CalculationsTab) -> tuple[CaseSide, ...]:
    """Every case of the round, in the order of the test set."""
    muestras = grouped(row for row in tab.muestras if filled(row))
    evaluacion = grouped(row for row in tab.evaluacion if row.total_a_retener is not None)
    sides = []
    for case in round_.cases:
        key = case_key(case.caso)
        if case.seccion == MUESTRA:
            sides.append(_muestra(case, muestras.get(key, [])))
        elif case.seccion == EVALUACION:
            sides.append(_evaluacion(case, evaluacion.get(key, [])))
    return tuple(sides)
