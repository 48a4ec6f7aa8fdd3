"""Tab 2 checks: the muestras step by step and the evaluación totals against the round's answers.

Rows are grouped by case id (compared without regard to case or surrounding spaces). A muestra's
rows are its subperiods in order; when their number differs from the answer's, that one finding
replaces the row-by-row comparison (rows cannot be paired reliably), while the period's seguro and
total are still compared. Seguro de daños and Total are period figures: every value written for
them, on the last row or repeated on others, must match.

A cell the reader could not read already has its T2-NOT-NUMBER finding; so in a case with such a
finding an empty value is not reported again as a mismatch.

Where DOMAIN is silent: a row whose NSS is not its case's worker is a ``T2-UNKNOWN-CASE`` (the row
names no case of this set), as is a case written in the other section; a case whose rows hold
nothing besides Caso and NSS (the template's prefilled row) is missing.
"""

from __future__ import annotations

import datetime
import functools
import operator
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import TypeVar

from evidence.checks.amounts import same_amount, shown
from evidence.checks.round import ExpectedCase, ExpectedSubperiod, Round, case_key
from evidence.findings import Code, Finding, finding
from evidence.tabs.calculations import CalculationsTab, EvaluacionRow, MuestraRow

TAB = 2
MUESTRA = "muestra"
EVALUACION = "evaluacion"
_SECTION_NAMES = {MUESTRA: "muestras", EVALUACION: "evaluación"}

Value = Decimal | int | datetime.date | None
Row = TypeVar("Row", MuestraRow, EvaluacionRow)


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


@dataclass(frozen=True)
class Step:
    name: str  # the template's column header
    given: Callable[[MuestraRow], Value]
    expected: Callable[[ExpectedSubperiod], Value]
    amount: bool = False


STEPS = (
    Step("Desde", lambda r: r.desde, lambda e: e.desde),
    Step("Hasta", lambda r: r.hasta, lambda e: e.hasta),
    Step("Tipo de descuento", lambda r: r.tipo_descuento, lambda e: e.tipo),
    Step("Valor de descuento", lambda r: r.valor_descuento, lambda e: e.valor),
    Step("Días del bimestre", lambda r: r.dias_bimestre, lambda e: e.dias_bimestre),
    Step("Días descontados", lambda r: r.dias_descontados, lambda e: e.dias_descontados),
    Step("Importe diario", lambda r: r.importe_diario, lambda e: e.importe_diario, amount=True),
    Step(
        "Importe sin tope", lambda r: r.importe_sin_tope, lambda e: e.importe_sin_tope, amount=True
    ),
    # An empty Tope cell means null (DOMAIN §8), which is what the answer holds when no cap applies.
    Step("Tope", lambda r: r.tope, lambda e: e.tope, amount=True),
    Step("Amortización", lambda r: r.amortizacion, lambda e: e.amortizacion, amount=True),
)


def differs(given: Value, expected: Value, amount: bool) -> bool:
    if given is None or expected is None:
        return given is not expected
    if amount:
        assert isinstance(given, Decimal) and isinstance(expected, Decimal)
        return not same_amount(given, expected)
    return given != expected


# Desde to Total: every figure of a muestra row (the STEPS, then Seguro de daños and Total).
_FIRST_FIGURE = MuestraRow._fields.index("desde")


# Identity, not equality: comparing a Decimal with None goes through the numeric ABCs.
_NOT_NONE = functools.partial(operator.is_not, None)


def filled(row: MuestraRow) -> bool:
    return any(map(_NOT_NONE, row[_FIRST_FIGURE:]))


def grouped(rows: Iterable[Row]) -> dict[str, list[Row]]:
    groups: dict[str, list[Row]] = {}
    for row in rows:
        groups.setdefault(case_key(row.caso), []).append(row)
    return groups


def _rows_text(rows: list[Row]) -> str:
    numbers = [row.row for row in rows]
    if len(numbers) == 1:
        return f"fila {numbers[0]}"
    return f"filas {numbers[0]} a {numbers[-1]}"


def _case_of_group(
    key: str, rows: list[Row], seccion: str, round_: Round
) -> tuple[ExpectedCase | None, list[Finding]]:
    """The expected case of a group of rows, or why the group names no case of its section."""
    where = f"sección de {_SECTION_NAMES[seccion]}, {_rows_text(rows)}"
    if not key:
        message = f"Hay datos sin clave de caso ({where})."
    else:
        case = round_.case_named(key)
        if case is not None and case.seccion == seccion:
            return case, _wrong_workers(case, rows)
        if case is None:
            message = f"El caso «{rows[0].caso}» no es de este set de pruebas ({where})."
        else:
            message = (
                f"El caso {case.caso} es de {_SECTION_NAMES[case.seccion]}, no de "
                f"{_SECTION_NAMES[seccion]} ({where})."
            )
    return None, [finding(Code.T2_UNKNOWN_CASE, message, tab=TAB, case=key or None)]


def _wrong_workers(case: ExpectedCase, rows: list[Row]) -> list[Finding]:
    findings = []
    seen: set[str] = set()
    for row in rows:
        if row.nss is None or row.nss in seen or _digits(row.nss) == case.nss:
            continue
        seen.add(row.nss)
        findings.append(
            finding(
                Code.T2_UNKNOWN_CASE,
                f"El NSS {row.nss} de la fila {row.row} no es el del trabajador del caso "
                f"{case.caso} ({case.nss}).",
                tab=TAB,
                case=case.caso,
                expected=case.nss,
                actual=row.nss,
            )
        )
    return findings


def _missing(case: ExpectedCase) -> Finding:
    return finding(
        Code.T2_MISSING_CASE,
        f"Falta el caso {case.caso} (NSS {case.nss}) en la sección de "
        f"{_SECTION_NAMES[case.seccion]}.",
        tab=TAB,
        case=case.caso,
    )


def _mismatch(
    code: Code, case: ExpectedCase, where: str, step: str, expected: Value, given: Value
) -> Finding:
    return finding(
        code,
        f"Caso {case.caso}, {where}: «{step}» esperado {shown(expected)}, anotado {shown(given)}.",
        tab=TAB,
        case=case.caso,
        expected=shown(expected),
        actual=shown(given),
    )


def _subperiod_findings(
    case: ExpectedCase, rows: list[MuestraRow], unreadable: bool
) -> list[Finding]:
    if len(rows) != len(case.subperiodos):
        return [
            _mismatch(
                Code.T2_STEP_MISMATCH,
                case,
                _rows_text(rows),
                "Número de subperiodos",
                len(case.subperiodos),
                len(rows),
            )
        ]
    findings = []
    for number, (row, expected) in enumerate(zip(rows, case.subperiodos, strict=True), start=1):
        for step in STEPS:
            given, wanted = step.given(row), step.expected(expected)
            if given is None and unreadable:
                continue
            if differs(given, wanted, step.amount):
                where = f"subperiodo {number} (fila {row.row})"
                findings.append(
                    _mismatch(Code.T2_STEP_MISMATCH, case, where, step.name, wanted, given)
                )
    return findings


def written_values(rows: list[Row], given: Callable[[Row], Decimal | None]) -> dict[Decimal, Row]:
    """Each distinct value written for a period figure, with the first row that holds it."""
    written: dict[Decimal, Row] = {}
    for row in rows:
        value = given(row)
        if value is not None:
            written.setdefault(value, row)
    return written


def _period_findings(
    code: Code,
    case: ExpectedCase,
    rows: list[Row],
    step: str,
    given: Callable[[Row], Decimal | None],
    expected: Decimal,
    unreadable: bool,
) -> list[Finding]:
    """A period figure: each distinct value written for it must match; none written is a miss."""
    written = written_values(rows, given)
    if not written:
        if unreadable:
            return []
        return [_mismatch(code, case, _rows_text(rows), step, expected, None)]
    return [
        _mismatch(code, case, f"fila {row.row}", step, expected, value)
        for value, row in written.items()
        if not same_amount(value, expected)
    ]


def _check_muestra(case: ExpectedCase, rows: list[MuestraRow], unreadable: bool) -> list[Finding]:
    findings = _subperiod_findings(case, rows, unreadable)
    findings += _period_findings(
        Code.T2_STEP_MISMATCH,
        case,
        rows,
        "Seguro de daños",
        lambda r: r.seguro_danos,
        case.seguro,
        unreadable,
    )
    findings += _period_findings(
        Code.T2_TOTAL_MISMATCH, case, rows, "Total", lambda r: r.total, case.total, unreadable
    )
    return findings


def _check_section(
    groups: dict[str, list[Row]],
    seccion: str,
    round_: Round,
    check: Callable[[ExpectedCase, list[Row], bool], list[Finding]],
    unreadable: frozenset[str],
) -> list[Finding]:
    findings: list[Finding] = []
    answered: set[str] = set()
    for key, rows in groups.items():
        case, found = _case_of_group(key, rows, seccion, round_)
        findings += found
        if case is not None:
            answered.add(case.caso)
            findings += check(case, rows, case_key(case.caso) in unreadable)
    findings += [
        _missing(case)
        for case in round_.section(seccion)
        if case.caso not in answered and case_key(case.caso) not in unreadable
    ]
    return findings


def _check_evaluacion(
    case: ExpectedCase, rows: list[EvaluacionRow], unreadable: bool
) -> list[Finding]:
    return _period_findings(
        Code.T2_TOTAL_MISMATCH,
        case,
        rows,
        "Total a retener",
        lambda r: r.total_a_retener,
        case.total,
        unreadable,
    )


def check_calculations(
    tab: CalculationsTab, round_: Round, unreadable: frozenset[str]
) -> list[Finding]:
    """Tab 2 findings; ``unreadable`` holds the case ids with a T2-NOT-NUMBER of the reader."""
    muestras = grouped(row for row in tab.muestras if filled(row))
    evaluacion = grouped(row for row in tab.evaluacion if row.total_a_retener is not None)
    return _check_section(muestras, MUESTRA, round_, _check_muestra, unreadable) + _check_section(
        evaluacion, EVALUACION, round_, _check_evaluacion, unreadable
    )
