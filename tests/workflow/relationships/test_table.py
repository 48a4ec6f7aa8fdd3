"""The patrón's relationships table as a read model (workflow.relationships.table): its columns,
its order, one query however many rows, and finding a patrón by NRP or RFC."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session

from schema import DocumentKind, RelationshipStatus
from tests.workflow.relationships.helpers import (
    NRP,
    PATRON_RFC,
    make_patron,
    make_relationship,
    make_vendor,
)
from workflow.relationships.table import (
    HEADERS,
    patron_by_nrp,
    patron_relationships,
    search_patrons,
)

S = RelationshipStatus


@contextmanager
def counting(engine: Engine) -> Iterator[list[str]]:
    """The SQL statements run on ``engine`` inside the block."""
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def test_the_headers_are_the_guides_columns():
    assert HEADERS == (
        "No. de Caso",
        "RFC",
        "Razón social",
        "Servicios de Intercomunicación",
        "Fecha inicio vigencia",
        "Fin de vigencia",
        "Fecha cancelación anticipada",
        "Estatus",
        "Acuse",
        "Cancelación",
    )


def test_rows_are_the_patrons_own_newest_first_with_every_column(engine):
    with Session(engine) as session:
        patron = make_patron(session)
        other_patron = make_patron(
            session, nrp="Y5412345108", rfc="OTR9912316C4", razon_social="OTRO"
        )
        sama = make_vendor(session, rfc="PME380607P35", razon_social="SAMA GROUP")
        norte = make_vendor(session)
        vigente = make_relationship(
            session, patron, sama, starts_on=date(2024, 3, 7), ends_on=date(2025, 3, 7)
        )
        cancelada = make_relationship(
            session, patron, norte, status=S.CANCELADA, cancelled_on=date(2024, 3, 8)
        )
        expired = make_relationship(session, patron, norte, status=S.NO_VIGENTE)
        waiting = make_relationship(session, patron, norte, status=S.EN_PROCESO)
        make_relationship(session, other_patron, sama)
        session.commit()
        expected = [r.folio for r in (waiting, expired, cancelada, vigente)]

    with Session(engine) as session:
        found = patron_by_nrp(session, NRP)
        assert found is not None
        rows = patron_relationships(session, found)

    assert [row.folio for row in rows] == expected
    first_waiting, first_expired, first_cancelled, first_vigente = rows

    assert first_vigente.vendor_rfc == "PME380607P35"
    assert first_vigente.vendor_razon_social == "SAMA GROUP"
    assert first_vigente.service == "Avisos"
    assert (first_vigente.starts_on, first_vigente.ends_on) == (date(2024, 3, 7), date(2025, 3, 7))
    assert first_vigente.cancelled_on is None
    assert first_vigente.status == "Relación Vigente"
    assert first_vigente.cancellable
    assert first_vigente.acuse is not None
    assert first_vigente.acuse.kind is DocumentKind.ACUSE_RELACION
    assert first_vigente.cancellation_acuse is None
    assert first_vigente.acuse_folios == (first_vigente.acuse.folio,)
    assert first_vigente.relationship.id == vigente.id

    assert first_cancelled.status == "Relación cancelada por usuario"
    assert first_cancelled.cancelled_on == date(2024, 3, 8)
    assert not first_cancelled.cancellable
    assert first_cancelled.acuse is not None and first_cancelled.cancellation_acuse is not None
    assert first_cancelled.cancellation_acuse.kind is DocumentKind.ACUSE_CANCELACION_RELACION
    assert first_cancelled.acuse_folios == (
        first_cancelled.acuse.folio,
        first_cancelled.cancellation_acuse.folio,
    )

    assert first_expired.status == "Relación no vigente" and not first_expired.cancellable

    assert first_waiting.status == "En proceso" and not first_waiting.cancellable
    assert (first_waiting.starts_on, first_waiting.ends_on, first_waiting.acuse) == (
        None,
        None,
        None,
    )
    assert first_waiting.acuse_folios == ()


def test_the_table_is_one_query_however_many_rows(engine):
    with Session(engine) as session:
        patron = make_patron(session)
        for i in range(8):
            vendor = make_vendor(session, rfc=f"VEN8001{i:02d}AB1", razon_social=f"V{i}")
            make_relationship(session, patron, vendor, status=S.CANCELADA)
        session.commit()
        patron_id = patron.id

    with Session(engine) as session:
        found = patron_by_nrp(session, NRP)
        assert found is not None and found.id == patron_id
        with counting(engine) as statements:
            rows = patron_relationships(session, found)
            # Reading every column (acuses and vendors included) asks nothing more.
            shown = [(r.vendor_rfc, r.acuse_folios, r.status) for r in rows]
    assert len(shown) == 8
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) == 1, statements


def test_a_patron_without_relationships_has_an_empty_table(engine):
    with Session(engine) as session:
        patron = make_patron(session)
        session.commit()
        assert patron_relationships(session, patron) == []


def test_a_patron_is_found_by_its_nrp_in_any_spacing_or_case(engine):
    with Session(engine) as session:
        make_patron(session)
        vendor = make_vendor(session)
        session.commit()
        found = patron_by_nrp(session, "  y5412 345107 ")
        assert found is not None and found.nrp == NRP
        assert patron_by_nrp(session, "Y5412345109") is None
        # A vendor is no patrón, even under its RFC.
        assert patron_by_nrp(session, vendor.rfc) is None


@pytest.mark.parametrize("text", ["", "Y541234510", "Y54123451077", "Y5412345107'--", "%", "\x00"])
def test_text_that_is_no_nrp_finds_nothing_without_asking_the_database(engine, text):
    with Session(engine) as session, counting(engine) as statements:
        assert patron_by_nrp(session, text) is None
    assert statements == []


def test_patrones_are_searched_by_the_start_of_their_nrp_or_rfc(engine):
    with Session(engine) as session:
        make_patron(session)
        make_patron(session, nrp="Y5412345108", rfc=PATRON_RFC, razon_social="OTRA PLANTA")
        make_patron(session, nrp="A1234567890", rfc="OTR9912316C4", razon_social="OTRO")
        make_vendor(session, rfc="PAT8503157B8")  # a desarrollador: never listed
        session.commit()

        assert [p.nrp for p in search_patrons(session, "y54123")] == ["Y5412345107", "Y5412345108"]
        assert [p.nrp for p in search_patrons(session, " pat850315 ")] == [
            "Y5412345107",
            "Y5412345108",
        ]
        assert [p.nrp for p in search_patrons(session, "OTR9912316C4")] == ["A1234567890"]
        assert [p.nrp for p in search_patrons(session, "A1234567890")] == ["A1234567890"]
        assert search_patrons(session, "5412") == []  # the start, not any part
        # LIKE's wildcards are plain characters.
        assert search_patrons(session, "%") == [] and search_patrons(session, "_") == []
        assert search_patrons(session, "   ") == []


def test_a_search_is_bounded(engine):
    with Session(engine) as session:
        for i in range(7):
            make_patron(session, nrp=f"Y54123451{i:02d}", razon_social=f"PLANTA {i}")
        session.commit()
        found = search_patrons(session, "Y5", limit=5)
        assert [p.nrp for p in found] == [f"Y54123451{i:02d}" for i in range(5)]
