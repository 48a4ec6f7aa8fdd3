"""The used range of an xlsx sheet part, measured before calamine is allowed to build it.

calamine allocates one cell for every position between the first and the last cell it finds, so
two cells at A1 and XFD1048576 in a 300-byte part would ask for hundreds of GiB. Every ``<c>``
element and every row number counts, with or without a value: this errs on the side of refusing.

Excel, LibreOffice and openpyxl write each cell as ``<c r="B12" …>``. When every cell and row
reference in a part is of that form and small enough, three C-speed scans prove the part within
the limits. Anything else (prefixed tags, cells or rows without ``r``, references past the limits)
is measured exactly by streaming the XML with expat, which also stops at the first cell too far.
"""

from __future__ import annotations

import re
from xml.parsers import expat

from evidence.limits import SHEET_MAX_COLUMNS, SHEET_MAX_ROWS


class GridTooLarge(Exception):
    """The sheet's cells span more rows or columns than the limits allow."""


class DtdFound(Exception):
    """The part declares a DTD."""


# Columns A to BL and rows 1 to 9999: within SHEET_MAX_COLUMNS (64) and SHEET_MAX_ROWS (10,000).
_SMALL_COLUMN = rb"(?:[A-Z]|A[A-Z]|B[A-L])"
_SMALL_ROW = rb"[0-9]{1,4}"
_OTHER_CELL = re.compile(rb'<c(?! r="' + _SMALL_COLUMN + _SMALL_ROW + rb'")[\s>/]')
_OTHER_ROW = re.compile(rb'<row(?! r="' + _SMALL_ROW + rb'")[\s>/]')
_PREFIXED = re.compile(rb":(?:c|row)[\s>/]")


def column_index(letters: str) -> int:
    """1-based index of a column name: A → 1, BL → 64."""
    index = 0
    for char in letters:
        index = index * 26 + (ord(char) - 64)
    return index


def _check(rows: int, columns: int) -> None:
    if rows > SHEET_MAX_ROWS or columns > SHEET_MAX_COLUMNS:
        raise GridTooLarge


def _canonical_and_small(data: bytes) -> bool:
    """Whether every cell and row starts with a plain reference inside the limits."""
    return not (_PREFIXED.search(data) or _OTHER_ROW.search(data) or _OTHER_CELL.search(data))


class _Extent:
    """expat handler tracking where each cell lands, implicit references included."""

    def __init__(self) -> None:
        self.row = 0
        self.column = 0
        self.rows = 0
        self.columns = 0

    def start(self, name: str, attrs: dict[str, str]) -> None:
        local = name.rpartition(":")[2]
        if local == "row":
            self.row = int(attrs["r"]) if "r" in attrs else self.row + 1
            self.column = 0
            _check(self.row, 0)
        elif local == "c":
            ref = attrs.get("r")
            if ref:
                split = len(ref) - len(ref.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
                self.row, self.column = int(ref[split:]), column_index(ref[:split])
            else:
                self.column += 1
            self.rows, self.columns = max(self.rows, self.row), max(self.columns, self.column)
            _check(self.rows, self.columns)


def _refuse_dtd(*_args: object) -> None:
    raise DtdFound


def _exact_extent(data: bytes) -> tuple[int, int]:
    extent = _Extent()
    parser = expat.ParserCreate()
    parser.StartElementHandler = extent.start
    parser.StartDoctypeDeclHandler = _refuse_dtd
    parser.EntityDeclHandler = _refuse_dtd
    parser.Parse(data, True)
    return extent.rows, extent.columns


def check_sheet_grid(data: bytes) -> None:
    """Raise GridTooLarge past the limits.

    A part measured exactly may also raise DtdFound, or expat.ExpatError / ValueError when it is
    damaged; the canonical scan leaves well-formedness to calamine, which reads the part next.
    """
    if not _canonical_and_small(data):
        _check(*_exact_extent(data))
