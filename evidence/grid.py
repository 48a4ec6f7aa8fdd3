"""The used range of an xlsx sheet part, measured before calamine is allowed to build it.

calamine allocates one cell for every position between the first and the last cell it finds, so
two cells at A1 and XFD1048576 in a 300-byte part would ask for hundreds of GiB. Every ``<c>``
element and every row number counts, with or without a value: this errs on the side of refusing.

Excel, LibreOffice and openpyxl write each cell as ``<c r="B12" …>``; for that canonical form a
few C-speed scans bound the range. Anything else (prefixed tags, cells or rows without ``r``,
unusual references) is measured exactly by streaming the XML with expat.
"""

from __future__ import annotations

import re
from xml.parsers import expat

from evidence.limits import SHEET_MAX_COLUMNS, SHEET_MAX_ROWS


class GridTooLarge(Exception):
    """The sheet's cells span more rows or columns than the limits allow."""


class DtdFound(Exception):
    """The part declares a DTD."""


_PREFIXED = re.compile(rb":(?:c|row)[\s>/]")
_ROW_OPEN = re.compile(rb"<row[\s/>]")
_CELL_OTHER_OPEN = re.compile(rb"<c[\t\n\r>/]")
_ODD_CELL_REF = re.compile(rb'<c r="(?![A-Z]{1,3}[0-9]{1,7}")')
_ODD_ROW_REF = re.compile(rb'<row r="(?![0-9]{1,7}")')
# A reference these two skip has at most four digits and one letter: row ≤ 9999, column ≤ Z.
_LONG_ROW = re.compile(rb'<(?:c r="[A-Z]{1,3}|row r=")([0-9]{5,7})"')
_WIDE_COLUMN = re.compile(rb'<c r="([A-Z]{2,3})[0-9]')
_SHORT_ROWS, _SHORT_COLUMNS = 9_999, 26  # within the limits, or every sheet would be refused


def column_index(letters: str) -> int:
    """1-based index of a column name: A → 1, BL → 64."""
    index = 0
    for char in letters:
        index = index * 26 + (ord(char) - 64)
    return index


def _check(rows: int, columns: int) -> None:
    if rows > SHEET_MAX_ROWS or columns > SHEET_MAX_COLUMNS:
        raise GridTooLarge


def _canonical_bounds(data: bytes) -> tuple[int, int] | None:
    """Upper bounds of (rows, columns) when every row and cell starts with a plain reference.

    Each scan runs at C speed and matches almost nothing in an ordinary sheet: only references
    past row 9999 or column Z are read, and below that the bound is 9999 rows and 26 columns.
    """
    if (
        _PREFIXED.search(data)
        or _ODD_CELL_REF.search(data)
        or _ODD_ROW_REF.search(data)
        or len(_ROW_OPEN.findall(data)) != data.count(b'<row r="')
        or data.count(b"<c ") + len(_CELL_OTHER_OPEN.findall(data)) != data.count(b'<c r="')
    ):
        return None
    rows = max(map(int, set(_LONG_ROW.findall(data))), default=_SHORT_ROWS)
    columns = max(
        (column_index(col.decode()) for col in set(_WIDE_COLUMN.findall(data))),
        default=_SHORT_COLUMNS,
    )
    return rows, columns


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
    _check(*(_canonical_bounds(data) or _exact_extent(data)))
