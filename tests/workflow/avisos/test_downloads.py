"""Who downloaded which avisos (workflow.avisos.downloads): a patrón's page of downloads (its own
only, newest first, filtered by local day and vendor, paged, one query), the operators' stream
over every patrón, the filters as typed, and the workbook (real date-time cells in local time,
text never a formula)."""

from __future__ import annotations

import io
import types
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session

from tests.workflow.avisos.download_rows import (
    NRP_OTHER,
    PATRON_OTHER_NAME,
    VENDOR_B_NAME,
    VENDOR_B_RFC,
    World,
    at,
    make_download,
    make_world,
)
from tests.workflow.relationships.helpers import (
    NRP,
    PATRON_NAME,
    VENDOR_NAME,
    VENDOR_RFC,
    make_patron,
    make_relationship,
    make_vendor,
)
from workflow.avisos.downloads import (
    ALL_AVISOS,
    DATETIME_FORMAT,
    FIRST_DATA_ROW,
    HEADER_ROW,
    HEADERS,
    PATRON_HEADERS,
    SHEET_TITLE,
    BadFilter,
    DownloadFilters,
    DownloadRow,
    downloads_for_export,
    downloads_workbook,
    parse_filters,
    patron_downloads,
    vendor_by_rfc,
)
from workflow.spreadsheets import CELL_LIMIT

ON_SQLITE = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
GENERATED = datetime(2026, 3, 8, 17, 5, tzinfo=UTC)  # 11:05 in Mexico City
HOSTILE = ['=HYPERLINK("http://malo.example","clic")', "+1", "-2", "@SUM(A1)", "\t=1+1", "\r=1"]


@contextmanager
def counting(engine: Engine) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:
        if not statement.startswith("BEGIN"):  # SQLite's explicit transactions
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


@pytest.fixture
def world(settings, engine) -> World:
    with Session(engine, expire_on_commit=False) as session:
        built = make_world(session)
        session.commit()
    return built


def _folios(rows) -> list[str]:
    return [row.folio_consulta for row in rows]


def test_a_patron_sees_its_own_downloads_newest_first_with_the_vendor(world, engine):
    d = world.downloads
    with Session(engine) as session, counting(engine) as statements:
        page = patron_downloads(session, world.patron)
    assert len(statements) == 1  # the vendor comes in the same query
    assert _folios(page.rows) == [d["newest"], d["next"], d["late"], d["early"]]
    assert d["other"] not in _folios(page.rows)
    assert (page.number, page.has_more) == (1, False)

    newest, _next, late, early = page.rows
    assert newest.at == at(3, 16) and newest.at.tzinfo is not None
    assert (newest.vendor_rfc, newest.vendor_razon_social) == (VENDOR_B_RFC, VENDOR_B_NAME)
    assert (newest.patron_nrp, newest.patron_razon_social) == (NRP, PATRON_NAME)
    assert (newest.count, newest.folios) == (0, ())
    assert (early.vendor_rfc, early.vendor_razon_social) == (VENDOR_RFC, VENDOR_NAME)
    assert early.folios == ("0501423523", "0501423524") and early.count == 2
    assert (early.desde, early.hasta, early.nss, early.clase) == (
        "2026-01-01",
        "2026-03-01",
        None,
        None,
    )
    assert early.consulta == "Desde 01/ene/2026 · Hasta 01/mar/2026"
    assert (late.nss, late.clase) == ("12345678901", "RETENCION")
    assert late.consulta == "NSS 12345678901 · Clase RETENCION"  # the cursor is not shown
    assert _next.consulta == ALL_AVISOS


def test_the_other_patron_sees_only_its_own(world, engine):
    with Session(engine) as session:
        page = patron_downloads(session, world.other_patron)
    assert _folios(page.rows) == [world.downloads["other"]]
    assert page.rows[0].patron_nrp == NRP_OTHER
    assert page.rows[0].patron_razon_social == PATRON_OTHER_NAME


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        # Local days (UTC−6): 02 mar 05:30 UTC is still the 1st of March in Mexico City.
        ({"desde": date(2026, 3, 2)}, ["newest", "next"]),
        ({"hasta": date(2026, 3, 1)}, ["late", "early"]),
        ({"desde": date(2026, 3, 2), "hasta": date(2026, 3, 2)}, ["next"]),
        ({"desde": date(2026, 3, 4)}, []),
        ({"vendor_rfc": VENDOR_B_RFC}, ["newest", "late"]),
        ({"vendor_rfc": VENDOR_RFC, "hasta": date(2026, 3, 1)}, ["early"]),
        ({"vendor_rfc": "XAXX010101000"}, []),
        ({"desde": date.min, "hasta": date.max}, ["newest", "next", "late", "early"]),
    ],
)
def test_filters_by_local_day_and_vendor(world, engine, filters, expected):
    with Session(engine) as session:
        page = patron_downloads(session, world.patron, **filters)
    assert _folios(page.rows) == [world.downloads[name] for name in expected]


def test_pages_are_stable_and_say_when_there_is_more(settings, engine):
    with Session(engine, expire_on_commit=False) as session:
        patron = make_patron(session)
        relationship = make_relationship(session, patron, make_vendor(session))
        # Three at the same moment: the newest id first among them.
        made = [make_download(session, relationship, at(5, 10)).folio_consulta for _ in range(3)]
        made += [make_download(session, relationship, at(4, 10)).folio_consulta for _ in range(2)]
        session.commit()
        expected = [*reversed(made[:3]), *reversed(made[3:])]

        pages = [patron_downloads(session, patron, page=n, page_size=2) for n in (1, 2, 3, 4)]
    assert [_folios(p.rows) for p in pages] == [expected[:2], expected[2:4], expected[4:], []]
    assert [p.has_more for p in pages] == [True, True, False, False]
    assert [p.number for p in pages] == [1, 2, 3, 4]
    with Session(engine) as session, pytest.raises(ValueError):
        patron_downloads(session, patron, page=0)


def test_the_export_streams_every_patron_or_one(world, engine):
    d = world.downloads
    with Session(engine) as session, counting(engine) as statements:
        stream = downloads_for_export(session, batch_size=2)
        assert isinstance(stream, types.GeneratorType)
        assert statements == []  # nothing is read before the first row is asked for
        rows = list(stream)
    assert len(statements) == 1
    assert _folios(rows) == [d["newest"], d["other"], d["next"], d["late"], d["early"]]
    assert rows[1].patron_nrp == NRP_OTHER and rows[1].vendor_rfc == VENDOR_RFC
    assert rows[0].patron_nrp == NRP and rows[0].vendor_rfc == VENDOR_B_RFC

    with Session(engine) as session:
        by_vendor = list(downloads_for_export(session, vendor=world.vendor))
        by_patron = list(downloads_for_export(session, patron=world.other_patron))
        both = list(
            downloads_for_export(
                session, patron=world.patron, vendor=world.vendor, desde=date(2026, 3, 2)
            )
        )
        march_first = list(
            downloads_for_export(session, desde=date(2026, 3, 1), hasta=date(2026, 3, 1))
        )
    assert _folios(by_vendor) == [d["other"], d["next"], d["early"]]
    assert _folios(by_patron) == [d["other"]]
    assert _folios(both) == [d["next"]]
    assert _folios(march_first) == [d["late"], d["early"]]


def test_the_export_is_what_the_pages_show(world, engine):
    with Session(engine) as session:
        paged = patron_downloads(session, world.patron).rows
        exported = tuple(downloads_for_export(session, patron=world.patron))
    assert exported == paged


def test_a_vendor_is_found_by_its_rfc_only(world, engine):
    with Session(engine) as session:
        found = vendor_by_rfc(session, VENDOR_B_RFC)
        assert found is not None and found.id == world.vendor_b.id
        assert vendor_by_rfc(session, world.patron.rfc) is None  # a patrón is no vendor
        assert vendor_by_rfc(session, "XAXX010101000") is None


def test_filters_as_typed():
    assert parse_filters() == DownloadFilters()
    assert parse_filters("", " ", "") == DownloadFilters()
    assert parse_filters(" 2026-03-01", "2026-03-31 ", " pme 380607 p35 ") == DownloadFilters(
        date(2026, 3, 1), date(2026, 3, 31), VENDOR_B_RFC
    )
    assert parse_filters("2026-03-01", "2026-03-01").hasta == date(2026, 3, 1)


@pytest.mark.parametrize(
    ("desde", "hasta", "rfc", "message"),
    [
        ("2026-02-30", None, None, "«Desde» debe ser un día válido"),
        (None, "01/03/2026", None, "«Hasta» debe ser un día válido"),
        ("20260301", None, None, "AAAA-MM-DD"),
        ("2026-03-02", "2026-03-01", None, "«Hasta» es anterior"),
        (None, None, "XYZ", "12 caracteres"),
        (None, None, "CAC840428RH1X", "12 caracteres"),
        (None, None, "' OR 1=1 --", "12 caracteres"),
    ],
)
def test_bad_filters_say_what_is_wrong_in_spanish(desde, hasta, rfc, message):
    with pytest.raises(BadFilter, match=message):
        parse_filters(desde, hasta, rfc)


# The workbook ---------------------------------------------------------------------------------


def _row(**changes) -> DownloadRow:
    values = {
        "at": datetime(2026, 3, 2, 16, 0, 5, 900_000, tzinfo=UTC),  # 10:00:05 in Mexico City
        "vendor_rfc": VENDOR_RFC,
        "vendor_razon_social": VENDOR_NAME,
        "patron_nrp": NRP,
        "patron_razon_social": PATRON_NAME,
        "folio_consulta": "0501423600",
        "count": 2,
        "folios": ("0501423523", "0501423524"),
        "desde": "2026-01-01",
        "hasta": None,
        "nss": None,
        "clase": "RETENCION",
    }
    return DownloadRow(**{**values, **changes})


def _sheet(data: bytes):
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames == [SHEET_TITLE]
    return book[SHEET_TITLE]


@ON_SQLITE
def test_the_workbook_of_a_patron(settings, world, engine):
    with Session(engine) as session:
        rows = downloads_for_export(session, patron=world.patron, desde=date(2026, 3, 1))
        data = downloads_workbook(
            rows,
            generated_at=GENERATED,
            patron=world.patron,
            desde=date(2026, 3, 1),
            vendor_rfc=VENDOR_RFC,
        )
    sheet = _sheet(data)
    assert "NRP Y5412345107" in sheet["A1"].value and PATRON_NAME in sheet["A1"].value
    assert sheet["A1"].font.b
    assert "desde el 01/mar/2026" in sheet["A2"].value and VENDOR_RFC in sheet["A2"].value
    assert "08/mar/2026 11:05" in sheet["A2"].value
    header = [c.value for c in sheet[HEADER_ROW]]
    assert (
        header
        == list(HEADERS)
        == [
            "Fecha y hora",
            "RFC del desarrollador",
            "Razón social del desarrollador",
            "Folio de consulta",
            "Avisos descargados",
            "Folios de los avisos",
            "Consulta",
        ]
    )
    assert all(c.font.b for c in sheet[HEADER_ROW])
    body = list(sheet.iter_rows(min_row=FIRST_DATA_ROW, values_only=True))
    assert [r[3] for r in body] == [world.downloads[n] for n in ("newest", "next", "late", "early")]
    newest, _next, late, early = body
    # Real date-time cells in Mexico City time.
    assert newest[0] == datetime(2026, 3, 3, 10, 0)
    assert late[0] == datetime(2026, 3, 1, 23, 30)
    assert _next[0] == datetime(2026, 3, 2, 0, 0, 5)
    assert sheet.cell(row=FIRST_DATA_ROW, column=1).number_format == DATETIME_FORMAT
    assert early[1:] == (
        VENDOR_RFC,
        VENDOR_NAME,
        world.downloads["early"],
        2,
        "0501423523, 0501423524",
        "Desde 01/ene/2026 · Hasta 01/mar/2026",
    )
    assert newest[4] == 0 and newest[5] is None
    assert sheet.auto_filter.ref == f"A{HEADER_ROW}:G{HEADER_ROW + 4}"
    assert sheet.freeze_panes == f"A{FIRST_DATA_ROW}"


@ON_SQLITE
def test_the_operators_workbook_names_each_patron(settings):
    data = downloads_workbook(
        [_row(), _row(patron_nrp=NRP_OTHER, patron_razon_social=PATRON_OTHER_NAME)],
        generated_at=GENERATED,
    )
    sheet = _sheet(data)
    assert "todos los patrones" in sheet["A1"].value
    assert [c.value for c in sheet[HEADER_ROW]] == [*HEADERS, *PATRON_HEADERS]
    body = list(sheet.iter_rows(min_row=FIRST_DATA_ROW, values_only=True))
    assert body[0][0] == datetime(2026, 3, 2, 10, 0, 5)  # whole seconds, as the page shows
    assert body[0][7:] == (NRP, PATRON_NAME) and body[1][7:] == (NRP_OTHER, PATRON_OTHER_NAME)
    assert body[0][6] == "Desde 01/ene/2026 · Clase RETENCION"


@ON_SQLITE
def test_an_empty_workbook_still_has_its_headers(settings):
    sheet = _sheet(downloads_workbook(iter(()), generated_at=GENERATED))
    assert [c.value for c in sheet[HEADER_ROW]] == [*HEADERS, *PATRON_HEADERS]
    assert sheet.max_row == HEADER_ROW


@ON_SQLITE
def test_text_is_never_a_formula(settings):
    rows = [
        _row(vendor_razon_social=text, folio_consulta=text, folios=(text,), nss=text)
        for text in HOSTILE
    ]
    data = downloads_workbook(rows, generated_at=GENERATED)
    xml = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in xml and "<f " not in xml
    sheet = _sheet(data)
    for offset, text in enumerate(HOSTILE):
        line = FIRST_DATA_ROW + offset
        for column in (3, 4, 6):  # razón social, folio de consulta, folios
            cell = sheet.cell(row=line, column=column)
            # XML reads a carriage return back as a line feed.
            assert cell.value in (text, text.replace("\r", "\n")), (text, column)
            assert cell.data_type == "s" and cell.quotePrefix, (text, column)
        consulta = sheet.cell(row=line, column=7)
        assert consulta.data_type == "s" and consulta.value.startswith("Desde 01/ene/2026 · NSS")


@ON_SQLITE
def test_control_characters_and_huge_lists_still_make_a_valid_workbook(settings):
    folios = tuple(f"{n:010d}" for n in range(3_000))  # 36,000 characters joined
    data = downloads_workbook(
        [_row(vendor_razon_social="NOMINAS\x00\x07 SA", folios=folios, count=len(folios))],
        generated_at=GENERATED,
    )
    sheet = _sheet(data)
    assert sheet.cell(row=FIRST_DATA_ROW, column=3).value == "NOMINAS\ufffd\ufffd SA"
    joined = sheet.cell(row=FIRST_DATA_ROW, column=6).value
    assert len(joined) == CELL_LIMIT and joined.endswith("…")
    assert sheet.cell(row=FIRST_DATA_ROW, column=5).value == 3_000
