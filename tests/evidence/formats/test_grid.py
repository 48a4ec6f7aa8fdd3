"""The used-range check that keeps calamine from allocating a hostile grid."""

from __future__ import annotations

from collections.abc import Iterator
from xml.parsers import expat

import pytest

from evidence.formats import grid
from evidence.formats.grid import GridTooLarge, check_sheet_grid, column_index
from evidence.formats.safexml import DtdFound

# Chunk sizes that cut tags, references and "></c>" at every kind of place.
CHUNKINGS = [None, 1, 2, 3, 5, 17, 64]


def sheet(rows: str, prefix: str = "") -> bytes:
    ns = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    declaration = f'xmlns:{prefix[:-1]}="{ns}"' if prefix else f'xmlns="{ns}"'
    return (
        f"<{prefix}worksheet {declaration}><{prefix}sheetData>{rows}"
        f"</{prefix}sheetData></{prefix}worksheet>"
    ).encode()


def pieces(data: bytes, size: int | None) -> Iterator[bytes]:
    step = size or len(data)
    return (data[i : i + step] for i in range(0, len(data), step))


def check(data: bytes, size: int | None = None) -> None:
    check_sheet_grid(lambda: pieces(data, size))


def test_column_index() -> None:
    assert [column_index(c) for c in ("A", "Z", "AA", "BL", "XFD")] == [1, 26, 27, 64, 16384]


# Formatting Excel leaves when whole rows are formatted, or a formatted cell far away.
FORMATTED_ROWS = "".join(
    f'<row r="{r}" spans="1:14" ht="20" customHeight="1" x14ac:dyDescent="0.25"/>'
    for r in (10_001, 500_000, 1_048_576)
)
PASSING = {
    "64-columns": '<row r="1"><c r="A1"><v>1</v></c><c r="BL1"><v>1</v></c></row>',
    "10000-rows": '<row r="10000"><c r="A10000"><v>1</v></c></row>',
    "implicit": "<row><c><v>1</v></c></row>" * 3,
    "mixed": '<row r="9"><c r="B9" s="1"/><c><v>2</v></c></row>',
    "formatted-rows": '<row r="1"><c r="A1"><v>1</v></c></row>' + FORMATTED_ROWS,
    "empty-corner": '<row r="1"><c r="A1"><v>1</v></c></row>'
    '<row r="1048576"><c r="XFD1048576"/></row>',
    "empty-open-cells": '<row r="1048576"><c r="XFD1048576" s="3"></c><c s="3"></c></row>',
    "styled-row-of-cells": '<row r="20000" s="2" customFormat="1">'
    + "".join(f'<c r="{col}20000" s="2"/>' for col in ("A", "N", "BM", "XFD"))
    + "</row>",
    "gt-in-attribute": '<row r="2"><c s="1" x="a>b" r="XFD2"/></row>',
    # calamine places a cell by its own reference, whatever its row element says.
    "far-row-own-ref": '<row r="1048576"><c r="A1"><v>1</v></c></row>',
}


@pytest.mark.parametrize("rows", PASSING.values(), ids=PASSING.keys())
@pytest.mark.parametrize("size", CHUNKINGS)
def test_sheets_within_the_limits_pass(rows: str, size: int | None) -> None:
    check(sheet(rows), size)


REFUSED = {
    "65-columns": '<row r="1"><c r="BM1"><v>1</v></c></row>',
    "10001-rows": '<row r="10001"><c r="A10001"><v>1</v></c></row>',
    "cell-ref": '<row r="1"><c r="A1048576"><v>1</v></c></row>',
    "row-of-implicit-cell": '<row r="1048576"><c><v>1</v></c></row>',
    "implicit-columns": "<row>" + "<c><v>1</v></c>" * 65 + "</row>",
    "implicit-rows": "<row/>" * 10_000 + "<row><c><v>1</v></c></row>",
    "implicit-after-empty": '<row r="5"><c r="BL5" s="1"/><c><v>1</v></c></row>',
    "implicit-after-ref": '<row r="3"><c r="BL3"><v>1</v></c><c><v>1</v></c></row>',
    "attribute-order": '<row r="1"><c s="1" r="XFD1"><v>1</v></c></row>',
    "formula-only": '<row r="1"><c r="A20000"><f>1+1</f></c></row>',
    "slash-in-attribute": '<row r="1"><c r="XFD1048576" x="/>"><v>1</v></c></row>',
}


@pytest.mark.parametrize("rows", REFUSED.values(), ids=REFUSED.keys())
@pytest.mark.parametrize("size", CHUNKINGS)
def test_cells_holding_something_past_the_limits_are_refused(rows: str, size: int | None) -> None:
    with pytest.raises(GridTooLarge):
        check(sheet(rows), size)


def test_prefixed_elements_are_measured_exactly() -> None:
    with pytest.raises(GridTooLarge):
        check(sheet('<x:row r="1"><x:c r="ZZ1"><x:v>1</x:v></x:c></x:row>', "x:"))


def test_doctype_and_malformed_parts_are_reported() -> None:
    with pytest.raises(DtdFound):
        # The container refuses a DTD in any part first; the exact measure does too.
        check(b'<!DOCTYPE w [<!ENTITY e "x">]>' + sheet("<row><c><v>1</v></c></row>"))
    with pytest.raises((expat.ExpatError, ValueError)):
        check(sheet('<row r="1"><c r="xfd1"><v>1</v></c></row>'))
    with pytest.raises(expat.ExpatError):
        check(b"<worksheet><sheetData><row><c>")


def _exact_measures(monkeypatch: pytest.MonkeyPatch) -> list[None]:
    measured: list[None] = []
    exact = grid._measure_exactly

    def spy(chunks: Iterator[bytes]) -> None:
        measured.append(None)
        exact(chunks)

    monkeypatch.setattr(grid, "_measure_exactly", spy)
    return measured


@pytest.mark.parametrize("size", CHUNKINGS)
def test_plain_sheets_within_the_limits_need_no_exact_measure(
    monkeypatch: pytest.MonkeyPatch, size: int | None
) -> None:
    measured = _exact_measures(monkeypatch)
    cells = "".join(f'<c r="{col}{{r}}" t="n"><v>1</v></c>' for col in ("A", "N", "AZ", "BL"))
    rows = "".join(f'<row r="{r}">{cells.format(r=r)}</row>' for r in range(1, 10_000, 331))
    empty = '<row r="9999"><c r="BL9999"/><c r="A50000" s="1"/><c r="XFD9" s="1"></c></row>'
    check(sheet(rows + empty + FORMATTED_ROWS), size)
    assert measured == []


@pytest.mark.parametrize(
    ("rows", "refused"),
    [
        ('<row r="1"><c r="BM1"><v>1</v></c></row>', True),
        ('<row r="10000"><c r="A10000"><v>1</v></c></row>', False),
        ('<row r="1"><c r="A1" t="n"><v>1</v></c><c t="n"><v>2</v></c></row>', False),
        ('<row r="1"><c r="A20000"> </c></row>', False),  # not provably empty, yet empty
    ],
    ids=["past-BL", "row-10000", "implicit", "whitespace-cell"],
)
def test_anything_else_is_measured_exactly(
    monkeypatch: pytest.MonkeyPatch, rows: str, refused: bool
) -> None:
    measured = _exact_measures(monkeypatch)
    if refused:
        with pytest.raises(GridTooLarge):
            check(sheet(rows))
    else:
        check(sheet(rows))
    assert len(measured) == 1


def test_a_sheet_with_too_many_rows_holding_cells_is_refused_before_its_end() -> None:
    row = "<row><c><v>1</v></c></row>"
    served: list[int] = []

    def chunks() -> Iterator[bytes]:
        yield sheet("")[: -len("</sheetData></worksheet>")]
        for block in range(100):  # 1,000,000 rows in all
            served.append(block)
            yield (row * 10_000).encode()
        yield b"</sheetData></worksheet>"

    with pytest.raises(GridTooLarge):
        check_sheet_grid(chunks)
    assert max(served) == 1  # the 10,001st row is in the second block of a hundred
