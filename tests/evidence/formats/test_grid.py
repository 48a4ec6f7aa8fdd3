"""The used-range check that keeps calamine from allocating a hostile grid."""

from __future__ import annotations

from xml.parsers import expat

import pytest

from evidence.formats import grid
from evidence.formats.grid import DtdFound, GridTooLarge, check_sheet_grid, column_index


def sheet(rows: str, prefix: str = "") -> bytes:
    ns = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    declaration = f'xmlns:{prefix[:-1]}="{ns}"' if prefix else f'xmlns="{ns}"'
    return (
        f"<{prefix}worksheet {declaration}><{prefix}sheetData>{rows}"
        f"</{prefix}sheetData></{prefix}worksheet>"
    ).encode()


def test_column_index() -> None:
    assert [column_index(c) for c in ("A", "Z", "AA", "BL", "XFD")] == [1, 26, 27, 64, 16384]


@pytest.mark.parametrize(
    "rows",
    [
        '<row r="1"><c r="A1"><v>1</v></c><c r="BL1"><v>1</v></c></row>',
        '<row r="10000"><c r="A10000"><v>1</v></c></row>',
        "<row><c><v>1</v></c></row>" * 3,
        '<row r="9"><c r="B9" s="1"/><c><v>2</v></c></row>',
    ],
    ids=["64-columns", "10000-rows", "implicit", "mixed"],
)
def test_sheets_within_the_limits_pass(rows: str) -> None:
    check_sheet_grid(sheet(rows))


@pytest.mark.parametrize(
    "rows",
    [
        '<row r="1"><c r="BM1"><v>1</v></c></row>',
        '<row r="10001"><c r="A10001"><v>1</v></c></row>',
        '<row r="1"><c r="A1"><v>1</v></c></row><row r="1048576"><c r="XFD1048576"/></row>',
        '<row r="1"><c r="A1048576"><v>1</v></c></row>',  # the cell's own reference counts
        '<row r="1048576"><c r="A1"><v>1</v></c></row>',  # and so does its row's
        "<row>" + "<c><v>1</v></c>" * 65 + "</row>",
        "<row/>" * 10_000 + "<row><c><v>1</v></c></row>",
        '<row r="1"><c s="1" r="XFD1"><v>1</v></c></row>',  # r not first: measured exactly
    ],
    ids=[
        "65-columns",
        "10001-rows",
        "corners",
        "cell-ref",
        "row-ref",
        "implicit-columns",
        "implicit-rows",
        "attribute-order",
    ],
)
def test_sheets_past_the_limits_are_refused(rows: str) -> None:
    with pytest.raises(GridTooLarge):
        check_sheet_grid(sheet(rows))


def test_prefixed_elements_are_measured_exactly() -> None:
    with pytest.raises(GridTooLarge):
        check_sheet_grid(sheet('<x:row r="1"><x:c r="ZZ1"><x:v>1</x:v></x:c></x:row>', "x:"))


def test_doctype_and_malformed_parts_are_reported() -> None:
    with pytest.raises(DtdFound):
        check_sheet_grid(b'<!DOCTYPE w [<!ENTITY e "x">]>' + sheet("<row/>"))
    with pytest.raises((expat.ExpatError, ValueError)):
        check_sheet_grid(sheet('<row r="1"><c r="xfd1"><v>1</v></c></row>'))
    with pytest.raises(expat.ExpatError):
        check_sheet_grid(b"<worksheet><sheetData><row><c>")


def _no_exact_measure(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    measured: list[bytes] = []
    exact = grid._exact_extent

    def spy(data: bytes) -> tuple[int, int]:
        measured.append(data)
        return exact(data)

    monkeypatch.setattr(grid, "_exact_extent", spy)
    return measured


def test_canonical_sheets_within_the_limits_need_no_exact_measure(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    measured = _no_exact_measure(monkeypatch)
    cells = "".join(f'<c r="{col}{{r}}" t="n"><v>1</v></c>' for col in ("A", "N", "AZ", "BL"))
    rows = "".join(f'<row r="{r}">{cells.format(r=r)}</row>' for r in range(1, 10_000, 7))
    check_sheet_grid(sheet(rows + '<row r="9999"><c r="BL9999"/></row>'))
    assert measured == []


@pytest.mark.parametrize(
    ("rows", "refused"),
    [
        ('<row r="1"><c r="BM1"><v>1</v></c></row>', True),
        ('<row r="10000"><c r="A10000"><v>1</v></c></row>', False),
        ('<row r="1"><c r="A1" t="n"><v>1</v></c><c t="n"><v>2</v></c></row>', False),
    ],
    ids=["past-BL", "row-10000", "implicit"],
)
def test_anything_else_is_measured_exactly(
    monkeypatch: pytest.MonkeyPatch, rows: str, refused: bool
) -> None:
    measured = _no_exact_measure(monkeypatch)
    if refused:
        with pytest.raises(GridTooLarge):
            check_sheet_grid(sheet(rows))
    else:
        check_sheet_grid(sheet(rows))
    assert len(measured) == 1
