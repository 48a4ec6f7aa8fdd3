"""«Exportar tabla» (workflow.relationships.export): what the table shows, as an .xlsx whose text
is never a formula."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, date, datetime

import pytest
from openpyxl import load_workbook
from sqlmodel import Session

from schema import RelationshipStatus
from tests.workflow.relationships.helpers import make_patron, make_relationship, make_vendor
from workflow.relationships.export import (
    DATE_FORMAT,
    EXPORT_HEADERS,
    FIRST_DATA_ROW,
    HEADER_ROW,
    SHEET_TITLE,
    table_workbook,
)
from workflow.relationships.table import HEADERS, RelationshipRow, patron_relationships

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)

S = RelationshipStatus
GENERATED = datetime(2024, 3, 8, 17, 5, tzinfo=UTC)  # 11:05 in Mexico City
HOSTILE = ['=HYPERLINK("http://malo.example","clic")', "+1", "-2", "@SUM(A1)", "\t=1+1", "\r=1"]


def _export(engine, build) -> tuple[bytes, list[RelationshipRow]]:
    with Session(engine) as session:
        patron = make_patron(session)
        build(session, patron)
        session.commit()
        rows = patron_relationships(session, patron)
        return table_workbook(rows, generated_at=GENERATED, patron=patron), rows


def _sheet(data: bytes):
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames == [SHEET_TITLE]
    return book[SHEET_TITLE]


def test_headers_rows_and_dates_are_what_the_table_shows(settings, engine):
    def build(session, patron):
        sama = make_vendor(session, rfc="PME380607P35", razon_social="SAMA GROUP")
        norte = make_vendor(session)
        make_relationship(
            session,
            patron,
            norte,
            status=S.CANCELADA,
            starts_on=date(2024, 3, 7),
            cancelled_on=date(2024, 3, 8),
        )
        make_relationship(session, patron, sama, starts_on=date(2023, 12, 22), vigencia_months=2)
        make_relationship(session, patron, norte, status=S.EN_PROCESO)

    data, rows = _export(engine, build)
    sheet = _sheet(data)

    assert HEADERS[:9] == EXPORT_HEADERS and "Cancelación" not in EXPORT_HEADERS
    header = [c.value for c in sheet[HEADER_ROW]]
    assert header == list(EXPORT_HEADERS)
    assert all(c.font.b for c in sheet[HEADER_ROW])
    assert (
        "NRP Y5412345107" in sheet["A1"].value and "PATRONES UNIDOS SA DE CV" in sheet["A1"].value
    )
    assert "08/mar/2024 11:05" in sheet["A2"].value and "PAT8503157B7" in sheet["A2"].value

    body = list(sheet.iter_rows(min_row=FIRST_DATA_ROW, values_only=True))
    assert len(body) == len(rows) == 3
    waiting, vigente, cancelled = body
    assert [r[0] for r in body] == [row.folio for row in rows]  # newest first, as the table
    assert vigente[1:4] == ("PME380607P35", "SAMA GROUP", "Avisos")
    assert vigente[4].date() == date(2023, 12, 22) and vigente[5].date() == date(2024, 2, 22)
    assert vigente[6] is None
    assert vigente[7] == "Relación Vigente"
    registered, cancellation = rows[2].acuse, rows[2].cancellation_acuse
    assert rows[1].acuse is not None and registered is not None and cancellation is not None
    assert vigente[8] == rows[1].acuse.folio

    assert cancelled[7] == "Relación cancelada por usuario"
    assert cancelled[6].date() == date(2024, 3, 8)
    assert cancelled[8] == f"{registered.folio}, {cancellation.folio}"

    assert waiting[4:7] == (None, None, None) and waiting[7] == "En proceso"
    assert waiting[8] is None

    for column in "EFG":
        cell = sheet[f"{column}{FIRST_DATA_ROW + 2}"]  # the cancelled one: every date
        assert isinstance(cell.value, datetime | date) and cell.is_date
        assert cell.number_format == DATE_FORMAT
    # The folio keeps its leading zero: text, not a number.
    folio_cell = sheet[f"A{FIRST_DATA_ROW}"]
    assert folio_cell.data_type == "s" and folio_cell.value.startswith("0")


def test_the_sheet_can_be_filtered_and_scrolled(settings, engine):
    def build(session, patron):
        make_relationship(session, patron, make_vendor(session))

    sheet = _sheet(_export(engine, build)[0])
    assert sheet.auto_filter.ref == f"A{HEADER_ROW}:I{HEADER_ROW + 1}"
    assert sheet.freeze_panes == f"A{FIRST_DATA_ROW}"
    widths = {c: sheet.column_dimensions[c].width for c in "ABCDEFGHI"}
    assert all(10 <= w <= 60 for w in widths.values()), widths
    assert widths["C"] >= len("NOMINAS DEL NORTE SA DE CV")


def test_an_empty_table_is_its_headers(settings, engine):
    sheet = _sheet(_export(engine, lambda session, patron: None)[0])
    assert [c.value for c in sheet[HEADER_ROW]] == list(EXPORT_HEADERS)
    assert sheet.max_row == HEADER_ROW
    assert sheet.auto_filter.ref == f"A{HEADER_ROW}:I{HEADER_ROW}"


def test_text_that_looks_like_a_formula_stays_text(settings, engine):
    def build(session, patron):
        for i, name in enumerate(HOSTILE):
            vendor = make_vendor(session, rfc=f"=VEN8001{i:02d}A", razon_social=name)
            make_relationship(session, patron, vendor)

    data, _rows = _export(engine, build)
    sheet = _sheet(data)
    body = list(sheet.iter_rows(min_row=FIRST_DATA_ROW))
    assert sorted(row[2].value for row in body) == sorted(HOSTILE)
    for row in body:
        for cell in (row[1], row[2]):
            assert cell.data_type == "s", (cell.coordinate, cell.value)
            assert cell.quotePrefix, (cell.coordinate, cell.value)
    # And in the file itself: no formula element anywhere, only inline strings.
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        xml = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in xml and "<f " not in xml
    assert "HYPERLINK" in xml


def test_characters_xml_cannot_hold_do_not_break_the_export(settings, engine):
    def build(session, patron):
        make_relationship(session, patron, make_vendor(session, razon_social="NÓMINAS\x01 SA"))

    sheet = _sheet(_export(engine, build)[0])
    assert sheet[f"C{FIRST_DATA_ROW}"].value == "NÓMINAS\ufffd SA"


def test_a_hostile_patron_name_in_the_title_is_text_too(settings, engine):
    with Session(engine) as session:
        patron = make_patron(session, razon_social="=1+1")
        session.commit()
        data = table_workbook([], generated_at=GENERATED, patron=patron)
    sheet = _sheet(data)
    assert sheet["A1"].data_type == "s" and sheet["A1"].value.endswith("=1+1")
