"""Row limits count content: formatting down to the last row never makes a workbook unreadable.

Excel writes one element per formatted row (``<row r="…" ht="…" customHeight="1"/>``) and one
per formatted empty cell (``<c r="…" s="…"/>``); a used range stretched to row 1,048,576 is what a
vendor gets by formatting whole rows. None of it is content. A sheet whose cells *hold* something
past the limits is still refused, before it is read to its end.
"""

from __future__ import annotations

import io
import struct
import zipfile

import olefile
import pytest

from evidence.findings import Code
from evidence.formats import grid
from evidence.limits import SHEET_MAX_ROWS, WORKBOOK_MAX_BYTES, XLSX_MAX_PART_BYTES
from evidence.reading import WorkbookReading, read_workbook
from tests.evidence.fixtures.build import build_xlsx_in_cells, workbook_spec
from tests.evidence.workbooks import biff_records, fixture, patch_ole_stream

SHEET2 = "xl/worksheets/sheet2.xml"
_BOF, _ROW, _DIMENSIONS, _MULBLANK = 0x0809, 0x0208, 0x0200, 0x00BE


def with_sheet_rows(xlsx: bytes, part: str, rows: str, dimension: str | None = None) -> bytes:
    """A copy of ``xlsx`` with ``rows`` appended to a sheet's data (quickly compressed)."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(xlsx)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as target,
    ):
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == part:
                text = data.decode().replace("</sheetData>", rows + "</sheetData>")
                if dimension:
                    start = text.index("<dimension ref=")
                    end = text.index("/>", start) + 2
                    text = text[:start] + f'<dimension ref="{dimension}"/>' + text[end:]
                data = text.encode()
            target.writestr(info.filename, data)
    return out.getvalue()


def formatted_rows(first: int, last: int) -> str:
    return "".join(f'<row r="{r}" ht="20" customHeight="1"/>' for r in range(first, last + 1))


def same_reading(reading: WorkbookReading, expected: WorkbookReading) -> None:
    assert reading.findings == expected.findings
    assert reading.to_json()["tabs"] == expected.to_json()["tabs"]


@pytest.fixture(scope="module")
def excel() -> bytes:
    return fixture("excel_package.xlsx")


def test_a_million_formatted_rows_are_skipped_cheaply(
    excel: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    xlsx = with_sheet_rows(excel, SHEET2, formatted_rows(15, 1_000_014), "A1:N1048576")
    with zipfile.ZipFile(io.BytesIO(xlsx)) as archive:
        assert archive.getinfo(SHEET2).file_size > XLSX_MAX_PART_BYTES  # any other part's limit
    assert len(xlsx) < WORKBOOK_MAX_BYTES
    exact: list[object] = []
    monkeypatch.setattr(grid, "_measure_exactly", exact.append)
    reading = read_workbook(xlsx, filename="evidencias.xlsx")
    same_reading(reading, read_workbook(excel, filename="evidencias.xlsx"))
    assert exact == []  # the C-speed scans sufficed: no element was handed to Python


def test_formatted_empty_cells_anywhere_are_not_content(excel: bytes) -> None:
    cells = '<row r="5000" s="1" customFormat="1"><c r="A5000" s="1"/><c r="BZ5000" s="1"/></row>'
    corner = '<row r="1048576"><c r="XFD1048576" s="1"></c></row>'
    xlsx = with_sheet_rows(excel, SHEET2, cells + corner, "A1:XFD1048576")
    xlsx = with_sheet_rows(xlsx, "xl/worksheets/sheet4.xml", corner, "A1:XFD1048576")
    same_reading(read_workbook(xlsx), read_workbook(excel))


def test_too_many_rows_holding_cells_are_still_refused(excel: bytes) -> None:
    rows = "".join(
        f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>X{r}</t></is></c></row>'
        for r in range(15, SHEET_MAX_ROWS + 2)
    )
    reading = read_workbook(with_sheet_rows(excel, SHEET2, rows))
    size = [f for f in reading.findings if f.code is Code.WB_SIZE]
    assert len(size) == 1
    assert size[0].tab == 2
    assert f"{SHEET_MAX_ROWS:,} filas" in size[0].message
    assert reading.calculations is None
    assert reading.json_tab is not None and reading.cfdi is not None  # the other tabs still read


def test_a_value_past_the_limit_among_formatted_rows_is_refused(excel: bytes) -> None:
    rows = formatted_rows(15, 20_000) + '<row r="20001"><c r="A20001"><v>1</v></c></row>'
    reading = read_workbook(with_sheet_rows(excel, SHEET2, rows))
    assert [f.code for f in reading.findings] == [Code.WB_SIZE]


def test_in_cell_pictures_are_found_on_a_sheet_formatted_down_to_its_last_row() -> None:
    xlsx = build_xlsx_in_cells(workbook_spec(image_kinds=("png", "jpeg")))
    # Larger than the parts this reader holds as a tree: the cells' vm are streamed instead.
    formatted = with_sheet_rows(xlsx, "xl/worksheets/sheet3.xml", formatted_rows(10, 200_000))
    reading = read_workbook(formatted)
    assert reading.findings == ()
    assert reading.screenshots is not None
    assert [image.format for image in reading.screenshots.images] == ["png", "jpeg"]


def _format_to_the_last_row(stream: bytes) -> bytes:
    """Sheet «2 Calculos» formatted down to row 65,536, as a BIFF8 writer records it: its used
    range (DIMENSIONS) stretched and a formatted empty row of cells (MULBLANK) at the bottom."""
    out = bytearray(stream)
    sheet = -1
    for pos, kind, length in biff_records(stream):
        sheet += kind == _BOF
        if sheet != 2:
            continue
        if kind == _DIMENSIONS:  # first row, one past the last row, first column, one past last
            struct.pack_into("<IIHH", out, pos + 4, 0, 65_536, 0, 256)
        elif kind == _ROW and length == 16:
            # A ROW record only formats its row; the same 16 bytes make a MULBLANK of 5 cells.
            struct.pack_into("<HHHH5HH", out, pos, _MULBLANK, 16, 65_535, 0, *[15] * 5, 4)
    return bytes(out)


def test_an_xls_formatted_down_to_its_last_row_reads_as_before() -> None:
    xls = fixture("libreoffice_raw.xls")
    formatted = patch_ole_stream(xls, "Workbook", _format_to_the_last_row)
    stream = olefile.OleFileIO(io.BytesIO(formatted)).openstream("Workbook").read()
    assert _MULBLANK in {kind for _, kind, _ in biff_records(stream)}
    same_reading(
        read_workbook(formatted, filename="evidencias.xls"),
        read_workbook(xls, filename="evidencias.xls"),
    )
