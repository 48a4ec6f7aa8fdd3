"""Cell values through python-calamine, for both BIFF8 and xlsx.

Callers check a sheet's used range against the limits first: calamine builds a dense grid of the
whole range, so an unchecked sheet with one cell at A1 and another at XFD1048576 would exhaust
memory.
"""

from __future__ import annotations

import datetime
import io

import python_calamine

from evidence.findings import Code, FindingError, finding

CellValue = (
    int
    | float
    | str
    | bool
    | datetime.date
    | datetime.datetime
    | datetime.time
    | datetime.timedelta
)
Rows = list[list[CellValue]]


def _is_panic(exc: BaseException) -> bool:
    # pyo3 raises a Rust panic as pyo3_runtime.PanicException, a BaseException that cannot be
    # imported by name; calamine panics on some damaged files instead of returning an error.
    return type(exc).__name__ == "PanicException"


def open_cells(data: bytes) -> python_calamine.CalamineWorkbook:
    """Open ``data`` with calamine; a workbook it cannot read is a WB-FORMAT finding."""
    try:
        return python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except BaseException as exc:
        if not (isinstance(exc, python_calamine.CalamineError) or _is_panic(exc)):
            raise
        raise FindingError(
            finding(Code.WB_FORMAT, "No se pudieron leer las celdas del libro; parece dañado.")
        ) from exc


def sheet_rows(workbook: python_calamine.CalamineWorkbook, name: str, tab: int) -> Rows:
    """Every row of sheet ``name`` from A1, so that row and column indexes are the sheet's own."""
    try:
        rows: Rows = workbook.get_sheet_by_name(name).to_python(skip_empty_area=False)
    except BaseException as exc:
        if not (isinstance(exc, python_calamine.CalamineError) or _is_panic(exc)):
            raise
        raise FindingError(
            finding(
                Code.WB_FORMAT,
                f"No se pudieron leer las celdas de la hoja «{name}»; parece dañada.",
                tab=tab,
            )
        ) from exc
    return rows
