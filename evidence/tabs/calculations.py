"""Tab 2 (``2 Calculos``): the muestras' step-by-step rows and the evaluación totals.

Sections are found by their heading text and columns by their header text (DOMAIN §8), compared
without regard to case, accents, punctuation or a parenthesised unit, so a vendor may move, widen
or reorder the template's blocks.
"""

from __future__ import annotations

import datetime
import math
import operator
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NamedTuple, TypeVar

from evidence.findings import Code, Finding, FindingError, finding
from evidence.formats.cells import CellValue, Rows
from rules.workbook_template import (
    HEADERS_EVALUACION,
    HEADERS_MUESTRAS,
    HEADING_EVALUACION,
    HEADING_MUESTRAS,
)

TAB = 2
_HEADING_MIN_LENGTH = min(len(HEADING_MUESTRAS), len(HEADING_EVALUACION))
_HEADING_MAX_PREFIX = 16
# How far below its heading a section's header row may be.
_HEADER_SEARCH_ROWS = 5
# Excel's serial day 0 in the 1900 date system (the 1900 leap-year bug is absorbed by the 30th).
_EXCEL_EPOCH = datetime.date(1899, 12, 30)
_MAX_SERIAL = 2_958_465  # 9999-12-31


def normalize(text: str) -> str:
    """Lower-case, accent-free, punctuation-free text with a parenthesised unit removed."""
    text = re.sub(r"\(.*?\)", " ", text)
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()
    return " ".join(re.sub(r"[^a-z0-9]+", " ", plain).split())


# Row records are named tuples: as immutable as frozen dataclasses, and five times cheaper to
# build, which matters for the thousands of rows of a full tab.
class MuestraRow(NamedTuple):
    """One subperiod of a muestra; ``row`` is the sheet's 1-based row number."""

    row: int
    caso: str
    nss: str | None
    desde: datetime.date | None
    hasta: datetime.date | None
    tipo_descuento: int | None
    valor_descuento: Decimal | None
    dias_bimestre: int | None
    dias_descontados: int | None
    importe_diario: Decimal | None
    importe_sin_tope: Decimal | None
    tope: Decimal | None
    amortizacion: Decimal | None
    seguro_danos: Decimal | None
    total: Decimal | None


class EvaluacionRow(NamedTuple):
    row: int
    caso: str
    nss: str | None
    total_a_retener: Decimal | None


_TEXT_FIELDS = frozenset({"caso", "nss"})
_DATE_FIELDS = frozenset({"desde", "hasta"})
_INTEGER_FIELDS = frozenset({"row", "tipo_descuento", "dias_bimestre", "dias_descontados"})
AnyRow = TypeVar("AnyRow", MuestraRow, EvaluacionRow)


# How a column is written in the JSON form and read back, a whole column at a time (a full tab is
# thousands of rows, and this form is written by every reading and read back by every guarded
# one and review page). Amounts are written as text, which keeps them exact.
_Column = Sequence[Any]


def _dates_to_json(column: _Column) -> list[str | None]:
    return [None if value is None else value.isoformat() for value in column]


def _dates_from_json(column: _Column) -> list[datetime.date | None]:
    return [None if text is None else datetime.date.fromisoformat(text) for text in column]


def _amounts_to_json(column: _Column) -> list[str | None]:
    return [None if value is None else str(value) for value in column]


def _amounts_from_json(column: _Column) -> list[Decimal | None]:
    return [None if text is None else Decimal(text) for text in column]


def _codec(field: str) -> tuple[Callable[[_Column], list[Any]], Callable[[_Column], list[Any]]]:
    if field in _DATE_FIELDS:
        return _dates_to_json, _dates_from_json
    if field in _TEXT_FIELDS or field in _INTEGER_FIELDS:
        return list, list  # kept as they are
    return _amounts_to_json, _amounts_from_json


_CODECS = {field: _codec(field) for field in MuestraRow._fields + EvaluacionRow._fields}


def _rows_to_json(kind: type[AnyRow], items: tuple[AnyRow, ...]) -> list[dict[str, Any]]:
    if not items:
        return []
    columns = [
        _CODECS[field][0](column)
        for field, column in zip(kind._fields, zip(*items, strict=True), strict=True)
    ]
    return [dict(zip(kind._fields, values, strict=True)) for values in zip(*columns, strict=True)]


def _rows_from_json(kind: type[AnyRow], items: list[dict[str, Any]]) -> tuple[AnyRow, ...]:
    columns = [
        _CODECS[field][1](list(map(operator.itemgetter(field), items))) for field in kind._fields
    ]
    return tuple(map(kind._make, zip(*columns, strict=True)))


_Sections = tuple[tuple[MuestraRow, ...], tuple[EvaluacionRow, ...]]


class CalculationsTab:
    """The rows of both sections; immutable, and equal to another tab with the same rows.

    A tab rebuilt from its JSON form (``from_json``: a reader process's answer, a stored reading)
    types its rows when they are first asked for: the worker that receives an answer stores the
    form and never reads the rows, and typing thousands of amounts is most of rebuilding it.
    """

    __slots__ = ("_document", "_sections")

    def __init__(
        self, muestras: tuple[MuestraRow, ...], evaluacion: tuple[EvaluacionRow, ...]
    ) -> None:
        self._sections: _Sections | None = (muestras, evaluacion)
        self._document: dict[str, Any] | None = None

    @classmethod
    def from_json(cls, document: dict[str, Any]) -> CalculationsTab:
        """The tab again from its ``to_json``; TypeError unless both sections are lists."""
        if not all(isinstance(document[section], list) for section in ("muestras", "evaluacion")):
            raise TypeError("the sections of a calculations tab are lists of rows")
        tab = cls.__new__(cls)
        tab._sections, tab._document = None, document
        return tab

    def _rows(self) -> _Sections:
        if self._sections is None:
            assert self._document is not None
            self._sections = (
                _rows_from_json(MuestraRow, self._document["muestras"]),
                _rows_from_json(EvaluacionRow, self._document["evaluacion"]),
            )
            self._document = None
        return self._sections

    @property
    def muestras(self) -> tuple[MuestraRow, ...]:
        return self._rows()[0]

    @property
    def evaluacion(self) -> tuple[EvaluacionRow, ...]:
        return self._rows()[1]

    def to_json(self) -> dict[str, Any]:
        return {
            "muestras": _rows_to_json(MuestraRow, self.muestras),
            "evaluacion": _rows_to_json(EvaluacionRow, self.evaluacion),
        }

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CalculationsTab):
            return NotImplemented
        return self._rows() == other._rows()

    def __hash__(self) -> int:
        return hash(self._rows())

    def __repr__(self) -> str:
        return f"CalculationsTab(muestras={self.muestras!r}, evaluacion={self.evaluacion!r})"


_AMOUNT = re.compile(r"^(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?$|^\.\d+$")
# One thousands group and no decimals reads as 1540 in es-MX but as 1.54 with a decimal comma.
_AMBIGUOUS = re.compile(r"^\d{1,3},\d{3}$")


def parse_amount(text: str) -> Decimal | None:
    """An amount written as text (``1,540.42``, ``$ 1540.42``); None unless it is unambiguous."""
    compact = re.sub(r"\s+", "", text.replace("\u00a0", " "))
    negative = compact.startswith("-") or compact.startswith("$-")
    compact = compact.removeprefix("-").removeprefix("$").removeprefix("-")
    if not _AMOUNT.match(compact) or _AMBIGUOUS.match(compact):
        return None
    value = Decimal(compact.replace(",", ""))
    return -value if negative else value


def _column_letters(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def _is_empty(value: CellValue) -> bool:
    return isinstance(value, str) and not value.strip()


def _holds(value: CellValue) -> bool:
    """Not _is_empty, for the thousands of cells of a full tab."""
    return type(value) is not str or bool(value.strip())


def _getter(columns: list[int]) -> Callable[[list[CellValue]], tuple[CellValue, ...]]:
    """A C-speed getter of the cells in ``columns`` of a row that has them all."""
    get = operator.itemgetter(*columns)
    return get if len(columns) > 1 else lambda row: (get(row),)


def _cells(row: list[CellValue], columns: list[int]) -> list[CellValue]:
    """The row's cells in ``columns``; a column past a short (hand-made) row is empty."""
    return [row[c] if c < len(row) else "" for c in columns]


@dataclass(frozen=True)
class _Section:
    header_row: int
    columns: dict[str, int]  # header as in the template → column index
    end_row: int


class _NotA(Exception):
    """A cell that is not what its column holds; ``what`` completes «… no es …»."""

    def __init__(self, what: str) -> None:
        self.what = what


# One converter per kind of column: a cell value in, its typed value (None when blank) out, or
# _NotA. They are plain functions with the common cell type tested first because a full tab-2 is
# tens of thousands of cells.


def _text(value: CellValue) -> str | None:
    if type(value) is str:
        return value.strip() or None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _nss(value: CellValue) -> str | None:
    # A number-typed NSS has lost its leading zeros; NSS are always 11 digits.
    if isinstance(value, int | float) and not isinstance(value, bool) and float(value).is_integer():
        return f"{int(value):011d}"
    return _text(value)


def _decimal(value: CellValue) -> Decimal | None:
    if type(value) is float:
        if math.isfinite(value):
            # repr is the shortest text that round-trips: 1540.42, not 1540.42000000000007…
            return Decimal(repr(value))
    elif isinstance(value, str):
        if not value.strip():
            return None
        parsed = parse_amount(value)
        if parsed is not None:
            return parsed
    elif isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    raise _NotA("un número")


def _integer(value: CellValue) -> int | None:
    if type(value) is float and value.is_integer():
        return int(value)  # the usual case, without the detour through Decimal
    parsed = _decimal(value)
    if parsed is None:
        return None
    if parsed != parsed.to_integral_value():
        raise _NotA("un número entero")
    return int(parsed)


def _tipo(value: CellValue) -> int | None:
    # A number, written as such or as text, is read as an integer; words are read here.
    if isinstance(value, str) and not _is_empty(value) and parse_amount(value) is None:
        words = normalize(value)
        leading = re.match(r"^(\d+) [a-z]", words)  # "2 - Cuota fija"
        if leading:
            return int(leading.group(1))
        # Checked in this order because "cuota fija en VSM" also says "cuota fija".
        for keys, tipo in (
            (("vsm", "umi", "veces", "salario minimo"), 3),
            (("porcentaje",), 1),
            (("cuota fija", "pesos"), 2),
        ):
            if any(key in words for key in keys):
                return tipo
        raise _NotA("un tipo de descuento (1, 2 o 3)")
    return _integer(value)


def _date(value: CellValue) -> datetime.date | None:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool) and 0 < value <= _MAX_SERIAL:
        return _EXCEL_EPOCH + datetime.timedelta(days=int(value))
    if isinstance(value, str):
        if not value.strip():
            return None
        parsed = _parse_date_text(value.strip())
        if parsed:
            return parsed
    raise _NotA("una fecha (dd/mm/aaaa)")


_Converter = Callable[[CellValue], Any]


class _Table:
    """One section's data rows, typed a column at a time (a tab holds thousands of rows).

    Each unreadable cell is a T2-NOT-NUMBER finding, reported in reading order.
    """

    def __init__(self, rows: Rows, section: _Section) -> None:
        others = [c for h, c in section.columns.items() if h != "Caso"]
        # Rows with something besides the Caso column; notes and blank lines are not records.
        cells, width = _getter(others), max(others)
        self.indexes = [
            r
            for r in range(section.header_row + 1, section.end_row)
            if any(map(_holds, cells(rows[r]) if width < len(rows[r]) else _cells(rows[r], others)))
        ]
        self.rows = [rows[r] for r in self.indexes]
        self.columns = section.columns
        self._findings: list[tuple[int, int, Finding]] = []
        # Each distinct amount is converted once for the whole section: amounts repeat down a
        # column and across steps (an amortización equal to its importe sin tope).
        self._amounts: dict[float, Decimal] = {}

    @property
    def findings(self) -> list[Finding]:
        return [found for _, _, found in sorted(self._findings, key=lambda f: f[:2])]

    def column(self, header: str, convert: _Converter, cases: list[str] | None = None) -> list[Any]:
        """The typed values of ``header``'s column, None where a cell is unreadable."""
        c = self.columns[header]
        try:
            values = list(map(operator.itemgetter(c), self.rows))
        except IndexError:  # only hand-made rows are short
            values = [row[c] if c < len(row) else "" for row in self.rows]
        try:
            # Amounts are most of the cells and repeat; the other kinds are cheap cell by cell.
            return self._decimals(values) if convert is _decimal else [convert(v) for v in values]
        except _NotA:
            pass  # the exception: convert cell by cell to report each bad one
        typed: list[Any] = []
        for i, value in enumerate(values):
            try:
                typed.append(convert(value))
            except _NotA as exc:
                typed.append(None)
                r = self.indexes[i]
                self._findings.append(
                    (
                        r,
                        c,
                        finding(
                            Code.T2_NOT_NUMBER,
                            f"Celda {_column_letters(c)}{r + 1} ({header}): «{value}» no es "
                            f"{exc.what}.",
                            tab=TAB,
                            case=(cases[i] if cases else None) or None,
                            actual=str(value),
                        ),
                    )
                )
        return typed

    def _decimals(self, values: list[CellValue]) -> list[Decimal | None]:
        """_decimal of each value, through the section's table of converted amounts."""
        amounts = self._amounts
        new = [v for v in set(values) if type(v) is float and v not in amounts]
        if not all(map(math.isfinite, new)):
            new = [v for v in new if math.isfinite(v)]  # the rest are reported by _decimal
        amounts.update(zip(new, map(Decimal, map(repr, new)), strict=True))
        return [amounts[v] if type(v) is float and v in amounts else _decimal(v) for v in values]

    def row_numbers(self) -> list[int]:
        return [r + 1 for r in self.indexes]


def _parse_date_text(text: str) -> datetime.date | None:
    for pattern, order in (
        (r"(\d{1,2})/(\d{1,2})/(\d{4})", (3, 2, 1)),
        (r"(\d{4})-(\d{2})-(\d{2})", (1, 2, 3)),
    ):
        match = re.fullmatch(pattern, text)
        if match:
            year, month, day = (int(match.group(i)) for i in order)
            try:
                return datetime.date(year, month, day)
            except ValueError:
                return None
    return None


def _find_headings(rows: Rows) -> dict[str, tuple[int, int]]:
    """(row, column) of each section heading, first occurrence."""
    wanted = {normalize(h): h for h in (HEADING_MUESTRAS, HEADING_EVALUACION)}
    found: dict[str, tuple[int, int]] = {}
    for r, row in enumerate(rows):
        # Only text at least as long as a heading can hold one; filtering in a comprehension
        # keeps a full grid cheap to scan.
        candidates = [
            (c, v) for c, v in enumerate(row) if type(v) is str and len(v) >= _HEADING_MIN_LENGTH
        ]
        for c, value in candidates:
            text = normalize(str(value))
            for key, heading in wanted.items():
                # A heading may carry a short label ("a)", "Sección b"), but a sentence that
                # merely mentions it (an instruction) is no heading.
                is_heading = text.endswith(key) and len(text) - len(key) <= _HEADING_MAX_PREFIX
                if is_heading and heading not in found:
                    found[heading] = (r, c)
        if len(found) == len(wanted):
            break  # only first occurrences count: the rest of the grid cannot change them
    return found


def _locate(
    rows: Rows, heading: str, expected: tuple[str, ...], headings: dict[str, tuple[int, int]]
) -> _Section:
    if heading not in headings:
        raise FindingError(
            finding(
                Code.T2_UNREADABLE, f"No se encontró la sección «{heading}» en la hoja 2.", tab=TAB
            )
        )
    heading_row, heading_col = headings[heading]
    wanted = {normalize(h): h for h in expected}
    end_row = min([r for r, _ in headings.values() if r > heading_row], default=len(rows))
    for r in range(heading_row + 1, min(heading_row + 1 + _HEADER_SEARCH_ROWS, end_row)):
        columns: dict[str, int] = {}
        for c in range(heading_col, len(rows[r])):
            value = rows[r][c]
            header = wanted.get(normalize(value)) if isinstance(value, str) else None
            if header and header not in columns:
                columns[header] = c
        if "Caso" not in columns:
            continue
        missing = [h for h in expected if h not in columns]
        if missing:
            raise FindingError(
                finding(
                    Code.T2_UNREADABLE,
                    f"En la sección «{heading}» faltan las columnas: {', '.join(missing)}.",
                    tab=TAB,
                )
            )
        return _Section(r, columns, end_row)
    raise FindingError(
        finding(
            Code.T2_UNREADABLE,
            f"La sección «{heading}» no tiene debajo del título la fila de encabezados "
            "(Caso, NSS, …).",
            tab=TAB,
        )
    )


_MUESTRA_FIELDS: list[tuple[str, _Converter]] = [
    ("Desde", _date),
    ("Hasta", _date),
    ("Tipo de descuento", _tipo),
    ("Valor de descuento", _decimal),
    ("Días del bimestre", _integer),
    ("Días descontados", _integer),
    ("Importe diario", _decimal),
    ("Importe sin tope", _decimal),
    ("Tope", _decimal),
    ("Amortización", _decimal),
    ("Seguro de daños", _decimal),
    ("Total", _decimal),
]


def _muestras(rows: Rows, section: _Section) -> tuple[list[MuestraRow], list[Finding]]:
    table = _Table(rows, section)
    cases: list[str] = []
    nsss: list[str | None] = []
    case, nss = "", None
    for own_case, own_nss in zip(
        table.column("Caso", _text), table.column("NSS", _nss), strict=True
    ):
        # A case's later subperiods may leave Caso and NSS blank (or merged): they continue it.
        if own_case is not None:
            case, nss = own_case, own_nss
        else:
            nss = own_nss or nss
        cases.append(case)
        nsss.append(nss)
    steps = [table.column(header, convert, cases) for header, convert in _MUESTRA_FIELDS]
    found = list(map(MuestraRow._make, zip(table.row_numbers(), cases, nsss, *steps, strict=True)))
    return found, table.findings


def _evaluacion(rows: Rows, section: _Section) -> tuple[list[EvaluacionRow], list[Finding]]:
    table = _Table(rows, section)
    cases = [case or "" for case in table.column("Caso", _text)]
    nsss = table.column("NSS", _nss)
    totals = table.column("Total a retener", _decimal, cases)
    found = list(
        map(EvaluacionRow._make, zip(table.row_numbers(), cases, nsss, totals, strict=True))
    )
    return found, table.findings


def read_calculations_tab(rows: Rows) -> tuple[CalculationsTab, list[Finding]]:
    """Both sections of tab 2; a section that cannot be located is a T2-UNREADABLE finding."""
    headings = _find_headings(rows)
    findings: list[Finding] = []
    muestras: list[MuestraRow] = []
    evaluacion: list[EvaluacionRow] = []
    try:
        muestras, found = _muestras(
            rows, _locate(rows, HEADING_MUESTRAS, HEADERS_MUESTRAS, headings)
        )
        findings += found
    except FindingError as exc:
        findings.append(exc.finding)
    try:
        section = _locate(rows, HEADING_EVALUACION, HEADERS_EVALUACION, headings)
        evaluacion, found = _evaluacion(rows, section)
        findings += found
    except FindingError as exc:
        findings.append(exc.finding)
    return CalculationsTab(tuple(muestras), tuple(evaluacion)), findings
