"""Tab 2 (``2 Calculos``): the muestras' step-by-step rows and the evaluación totals.

Sections are found by their heading text and columns by their header text (DOMAIN §8), compared
without regard to case, accents, punctuation or a parenthesised unit, so a vendor may move, widen
or reorder the template's blocks.
"""

from __future__ import annotations

import datetime
import math
import re
import unicodedata
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

from evidence.cells import CellValue, Rows
from evidence.findings import Code, Finding, FindingError, finding
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


@dataclass(frozen=True)
class MuestraRow:
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


@dataclass(frozen=True)
class EvaluacionRow:
    row: int
    caso: str
    nss: str | None
    total_a_retener: Decimal | None


def _json_value(value: object) -> object:
    if isinstance(value, Decimal | datetime.date):
        return str(value) if isinstance(value, Decimal) else value.isoformat()
    return value


@dataclass(frozen=True)
class CalculationsTab:
    muestras: tuple[MuestraRow, ...]
    evaluacion: tuple[EvaluacionRow, ...]

    def to_json(self) -> dict[str, Any]:
        def rows(items: tuple[MuestraRow, ...] | tuple[EvaluacionRow, ...]) -> list[dict[str, Any]]:
            return [{k: _json_value(v) for k, v in asdict(item).items()} for item in items]

        return {"muestras": rows(self.muestras), "evaluacion": rows(self.evaluacion)}


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


@dataclass(frozen=True)
class _Section:
    header_row: int
    columns: dict[str, int]  # header as in the template → column index
    end_row: int


class _RowReader:
    """Typed values of one data row, recording a T2-NOT-NUMBER for each unreadable cell."""

    def __init__(self, cells: list[CellValue], index: int, section: _Section, case: str) -> None:
        self.cells = cells
        self.index = index
        self.columns = section.columns
        self.case = case
        self.findings: list[Finding] = []

    def raw(self, header: str) -> CellValue:
        try:
            return self.cells[self.columns[header]]
        except IndexError:  # a short row, as only hand-made rows are
            return ""

    def _bad(self, header: str, value: CellValue, what: str) -> None:
        ref = f"{_column_letters(self.columns[header])}{self.index + 1}"
        self.findings.append(
            finding(
                Code.T2_NOT_NUMBER,
                f"Celda {ref} ({header}): «{value}» no es {what}.",
                tab=TAB,
                case=self.case or None,
                actual=str(value),
            )
        )

    def text(self, header: str) -> str | None:
        value = self.raw(header)
        if _is_empty(value):
            return None
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return str(value).strip()

    def nss(self, header: str) -> str | None:
        value = self.raw(header)
        # A number-typed NSS has lost its leading zeros; NSS are always 11 digits.
        if (
            isinstance(value, int | float)
            and not isinstance(value, bool)
            and float(value).is_integer()
        ):
            return f"{int(value):011d}"
        return self.text(header)

    def decimal(self, header: str) -> Decimal | None:
        value = self.raw(header)
        if isinstance(value, float):
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
        self._bad(header, value, "un número")
        return None

    def integer(self, header: str) -> int | None:
        value = self.raw(header)
        if isinstance(value, float) and value.is_integer():
            return int(value)  # the usual case, without the detour through Decimal
        parsed = self.decimal(header)
        if parsed is None:
            return None
        if parsed != parsed.to_integral_value():
            self._bad(header, value, "un número entero")
            return None
        return int(parsed)

    def tipo(self, header: str) -> int | None:
        value = self.raw(header)
        # A number, written as such or as text, goes through integer(); words are read here.
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
            self._bad(header, value, "un tipo de descuento (1, 2 o 3)")
            return None
        return self.integer(header)

    def date(self, header: str) -> datetime.date | None:
        value = self.raw(header)
        if _is_empty(value):
            return None
        if isinstance(value, datetime.datetime):
            return value.date()
        if isinstance(value, datetime.date):
            return value
        if (
            isinstance(value, int | float)
            and not isinstance(value, bool)
            and 0 < value <= _MAX_SERIAL
        ):
            return _EXCEL_EPOCH + datetime.timedelta(days=int(value))
        if isinstance(value, str):
            parsed = _parse_date_text(value.strip())
            if parsed:
                return parsed
        self._bad(header, value, "una fecha (dd/mm/aaaa)")
        return None


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


def _data_rows(rows: Rows, section: _Section) -> list[int]:
    """Indexes of the section's rows with something besides the Caso column."""
    others = [c for h, c in section.columns.items() if h != "Caso"]
    return [
        r
        for r in range(section.header_row + 1, section.end_row)
        if any(c < len(rows[r]) and not _is_empty(rows[r][c]) for c in others)
    ]


def _muestras(rows: Rows, section: _Section) -> tuple[list[MuestraRow], list[Finding]]:
    found: list[MuestraRow] = []
    findings: list[Finding] = []
    case, nss = "", None
    for r in _data_rows(rows, section):
        # A case's later subperiods may leave Caso and NSS blank (or merged): they continue it.
        reader = _RowReader(rows[r], r, section, case)
        own_case = reader.text("Caso")
        if own_case is not None:
            case, nss = own_case, reader.nss("NSS")
            reader.case = case
        else:
            nss = reader.nss("NSS") or nss
        found.append(
            MuestraRow(
                row=r + 1,
                caso=case,
                nss=nss,
                desde=reader.date("Desde"),
                hasta=reader.date("Hasta"),
                tipo_descuento=reader.tipo("Tipo de descuento"),
                valor_descuento=reader.decimal("Valor de descuento"),
                dias_bimestre=reader.integer("Días del bimestre"),
                dias_descontados=reader.integer("Días descontados"),
                importe_diario=reader.decimal("Importe diario"),
                importe_sin_tope=reader.decimal("Importe sin tope"),
                tope=reader.decimal("Tope"),
                amortizacion=reader.decimal("Amortización"),
                seguro_danos=reader.decimal("Seguro de daños"),
                total=reader.decimal("Total"),
            )
        )
        findings += reader.findings
    return found, findings


def _evaluacion(rows: Rows, section: _Section) -> tuple[list[EvaluacionRow], list[Finding]]:
    found: list[EvaluacionRow] = []
    findings: list[Finding] = []
    for r in _data_rows(rows, section):
        reader = _RowReader(rows[r], r, section, "")
        reader.case = reader.text("Caso") or ""
        found.append(
            EvaluacionRow(
                row=r + 1,
                caso=reader.case,
                nss=reader.nss("NSS"),
                total_a_retener=reader.decimal("Total a retener"),
            )
        )
        findings += reader.findings
    return found, findings


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
