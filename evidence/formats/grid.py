"""The used range of an xlsx sheet part, measured before calamine is allowed to build it.

calamine allocates one cell for every position between the first and the last cell that holds
something, so two such cells at A1 and XFD1048576 in a 300-byte part would ask for hundreds of GiB.
A cell holds something when it has a child element (a value, an inline string, a formula); this
errs on the side of refusing, since calamine keeps fewer. Cells without one (``<c r="B9" s="3"/>``,
a style and nothing else) and rows without such cells (``<row r="…" ht="…" customFormat="1"/>``,
as Excel writes whole rows formatted down to row 1,048,576) are not content: calamine skips them
and so does this measure, at the cost of streaming past them.

Positions follow calamine: a cell's own reference places it; a cell without one goes one column
right of the cell before it, on its row element's row (the row's ``r``, or one below the row
before). Excel, LibreOffice and openpyxl write every cell that holds something with a reference,
so when each such cell of a part has a plain reference inside the limits, C-speed scans of the
inflated chunks prove the part within them. Anything else (prefixed tags, a cell holding
something without a reference or with one past the limits, a tag the scans cannot tell empty) is
measured exactly by streaming the part again through expat, which stops at the first cell too far.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from evidence.formats.safexml import stream_elements
from evidence.limits import SHEET_MAX_COLUMNS, SHEET_MAX_ROWS

# The part's bytes from its start, as many times as asked: a part the scans cannot prove within the
# limits is read a second time for the exact measure.
Chunks = Callable[[], Iterable[bytes]]


class GridTooLarge(Exception):
    """The sheet's cells span more rows or columns than the limits allow."""


# Columns A to BL and rows 1 to 9999: within SHEET_MAX_COLUMNS (64) and SHEET_MAX_ROWS (10,000).
_SMALL_REFERENCE = rb' r="(?:[A-Z]|A[A-Z]|B[A-L])[0-9]{1,4}"'
# A start tag's attributes, exactly as XML allows them (a value may hold ">", never its quote).
_ATTRIBUTES = rb"""(?:\s+[^\s=/>]+\s*=\s*(?:"[^"]*"|'[^']*'))*\s*"""
# A cell that may hold something and does not start with a small reference.
_OTHER_CELL = re.compile(
    rb"<c(?!" + _SMALL_REFERENCE + rb")(?!" + _ATTRIBUTES + rb"(?:/>|></c>))[\s>/]"
)
_PREFIXED_CELL = re.compile(rb":c[\s>/]")
# A match found before the cut may look this far past it: "></c>" after the tag, or a reference.
_LOOKAHEAD = 16
# Carried bytes without a tag boundary: no honest tag is this long, so such a part is measured
# exactly rather than copied again with every chunk.
_MAX_CARRIED = 4 * 1024 * 1024


def column_index(letters: str) -> int:
    """1-based index of a column name: A → 1, BL → 64."""
    index = 0
    for char in letters:
        index = index * 26 + (ord(char) - 64)
    return index


def _check(rows: int, columns: int) -> None:
    if rows > SHEET_MAX_ROWS or columns > SHEET_MAX_COLUMNS:
        raise GridTooLarge


def _found(pattern: re.Pattern[bytes], window: bytes, cut: int) -> bool:
    match = pattern.search(window)
    return match is not None and match.start() < cut


def _plain_and_small(chunks: Iterable[bytes]) -> bool:
    """Whether every cell that may hold something starts with a plain reference inside the limits.

    Each chunk is scanned up to its last ``<`` far enough from its end for every lookahead; the
    rest is carried into the next, so that no tag is judged on half its bytes.
    """
    carried = b""
    for chunk in chunks:
        window = carried + chunk
        cut = window.rfind(b"<", 0, len(window) - _LOOKAHEAD)
        if cut > 0:
            if _found(_PREFIXED_CELL, window, cut) or _found(_OTHER_CELL, window, cut):
                return False
            window = window[cut:]
        elif len(window) > _MAX_CARRIED:
            return False
        carried = window
    return not (_PREFIXED_CELL.search(carried) or _OTHER_CELL.search(carried))


class _Extent:
    """expat handlers placing each cell as calamine does, stopping at the first one too far."""

    def __init__(self) -> None:
        self.row = 0  # the row element's
        self.column = 0  # the last cell's, for the next cell without a reference
        self.cell: tuple[int, int] | None = None  # a cell just opened, until we know it holds

    def start(self, name: str, attrs: dict[str, str]) -> None:
        if self.cell is not None:  # the cell opened last holds an element: it is content
            _check(*self.cell)
            self.cell = None
        local = name.rpartition(":")[2]
        if local == "row":
            self.row = int(attrs["r"]) if "r" in attrs else self.row + 1
            self.column = 0
        elif local == "c":
            ref = attrs.get("r")
            if ref:
                split = len(ref) - len(ref.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
                self.column = column_index(ref[:split])
                self.cell = (int(ref[split:]), self.column)
            else:
                self.column += 1
                self.cell = (self.row, self.column)

    def end(self, _name: str) -> None:
        self.cell = None


def _measure_exactly(chunks: Iterable[bytes]) -> None:
    extent = _Extent()
    stream_elements(chunks, extent.start, extent.end)


def check_sheet_grid(chunks: Chunks) -> None:
    """Raise GridTooLarge when the cells holding something reach past the limits.

    A part measured exactly may also raise safexml.DtdFound, or expat.ExpatError / ValueError
    when it is damaged; the scans leave well-formedness to calamine, which reads the part next.
    Whatever reading the chunks raises (a damaged zip member) goes through.
    """
    if not _plain_and_small(chunks()):
        _measure_exactly(chunks())
