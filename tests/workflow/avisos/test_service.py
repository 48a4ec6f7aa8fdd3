"""Pages of a patrón's avisos (workflow.avisos.service): on PostgreSQL, a reader paging with the
cursor while two importers commit new avisos concurrently sees every aviso once, in order, and
the last cursor, asked again later, gives only what came after."""

from __future__ import annotations

import json
import random
import threading
import time
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from core.keys import avisos_keypair
from rules.signing import verify_document
from schema import Aviso, AvisoClase, Organization
from tests.workflow.relationships.helpers import make_patron, make_relationship, make_vendor
from workflow.avisos.gate import check_pair
from workflow.avisos.imports import serialize_imports
from workflow.avisos.service import AvisosQuery, avisos_page, page_select
from workflow.state_machine import Event, open_certification, transition

CERTIFIED = (Event.TEST_SET_SENT, Event.EVIDENCE_ACCEPTED, Event.APPROVED, Event.TERMS_SIGNED)
BATCHES, PER_BATCH = 30, 20


def _aviso(folio: int, nrp: str) -> Aviso:
    day = date(2026, 1, 1) + timedelta(days=folio % 300)
    return Aviso(
        folio=f"{folio:010d}",
        patron_nrp=nrp,
        nss="12345678903",
        fecha_aviso=day,
        clase=AvisoClase.RETENCION,
        tipo_clave="01",
        content={"folio": f"{folio:010d}", "fechaAviso": day.isoformat()},
    )


def _pair(engine: Engine) -> tuple[int, int]:
    with Session(engine) as session:
        patron, vendor = make_patron(session), make_vendor(session)
        certification = open_certification(session, vendor, actor="prueba")
        for event in CERTIFIED:
            transition(session, certification, event, actor="prueba")
        relationship = make_relationship(session, patron, vendor, starts_on=date.today())
        relationship.expires_at = datetime.now(UTC) + timedelta(days=30)
        session.add(relationship)
        session.commit()
        assert patron.id is not None and vendor.id is not None
        return patron.id, vendor.id


def _page(engine: Engine, ids: tuple[int, int], cursor: str | None) -> dict[str, object]:
    with Session(engine) as session:
        patron = session.get(Organization, ids[0])
        vendor = session.get(Organization, ids[1])
        assert patron is not None and vendor is not None
        pair = check_pair(session, vendor, patron)
        page = avisos_page(session, pair, AvisosQuery(limite=7, cursor=cursor))
        session.commit()
        document: dict[str, object] = json.loads(page)
        return document


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_paging_while_importing_never_skips_nor_repeats(engine: Engine) -> None:
    ids = _pair(engine)
    nrp = "Y5412345107"
    done = threading.Event()

    def importer(first: int) -> None:
        rng = random.Random(first)
        for batch in range(BATCHES):
            with Session(engine) as session:
                serialize_imports(session)
                start = first + batch * PER_BATCH
                session.add_all(_aviso(n, nrp) for n in range(start, start + PER_BATCH))
                session.flush()  # ids taken now; the commit comes a moment later
                time.sleep(rng.random() / 20)
                session.commit()

    writers = [threading.Thread(target=importer, args=(f,)) for f in (1_000_000, 2_000_000)]
    for writer in writers:
        writer.start()

    def when_both_finish() -> None:
        for writer in writers:
            writer.join()
        done.set()

    threading.Thread(target=when_both_finish).start()

    seen: list[str] = []
    cursor: str | None = None
    _, public_key = avisos_keypair()
    while True:
        finished = done.is_set()
        page = _page(engine, ids, cursor)
        assert verify_document(page, public_key)
        avisos = page["avisos"]
        assert isinstance(avisos, list)
        seen += [a["folio"] for a in avisos]
        cursor = str(page["siguiente"])
        if finished and not page["hayMas"]:
            break
    with Session(engine) as session:
        stored = session.exec(select(Aviso.folio).order_by(col(Aviso.id))).all()
    assert len(stored) == 2 * BATCHES * PER_BATCH
    assert seen == list(stored)  # each once, in the order they became visible

    # Later, the last cursor gives only what arrived since.
    with Session(engine) as session:
        session.add(_aviso(3_000_000, nrp))
        session.commit()
    assert [a["folio"] for a in _page(engine, ids, cursor)["avisos"]] == ["0003000000"]  # type: ignore[attr-defined]


def _plan_indexes(engine: Engine, query: AvisosQuery, nrp: str) -> tuple[set[str], set[str]]:
    """The indexes and the node types of the page's plan with these values (a custom plan, as
    psycopg's first executions of a statement get)."""
    statement = page_select(query).params(nrp=nrp, after=0, limit=query.limite + 1, nss=query.nss)
    text = str(statement.compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True}))
    with engine.connect() as connection:
        plan = connection.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {text}").scalar_one()
    nodes, indexes = set(), set()
    stack = [plan[0]["Plan"]]
    while stack:
        node = stack.pop()
        nodes.add(node["Node Type"])
        if "Index Name" in node:
            indexes.add(node["Index Name"])
        stack += node.get("Plans", [])
    return indexes, nodes


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_a_page_reads_only_the_patrons_avisos_whatever_the_statistics(engine: Engine) -> None:
    """On a small table where a heavy patrón holds a tenth of the avisos, the planner's estimates
    make walking the primary key in id order (filtering by patrón) look cheaper than the
    patrón's index; on a large table that walk reads millions of rows. A page's plan reads only
    an index that starts with the patrón."""
    heavy, rng = "Y5412345107", random.Random(7)
    rows = [
        {
            "folio": f"{n:010d}",
            "patron_nrp": heavy if n % 9 == 0 else f"A{rng.randrange(2_000):010d}",
            "nss": f"{rng.randrange(10**11):011d}",
            "fecha_aviso": date(2026, 1, 1) + timedelta(days=n % 300),
            "clase": AvisoClase.RETENCION,
            "tipo_clave": "01",
            "content": {"folio": f"{n:010d}"},
        }
        for n in range(10_000)
    ]
    with engine.begin() as connection:
        connection.execute(sa.insert(Aviso), rows)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("ANALYZE avisos")
    patron_indexes = {"ix_avisos_patron_nrp_id", "ix_avisos_patron_nrp_nss_id"}
    for query in (
        AvisosQuery(),
        AvisosQuery(limite=1000),
        AvisosQuery(nss=rows[0]["nss"]),  # type: ignore[arg-type]
    ):
        indexes, nodes = _plan_indexes(engine, query, heavy)
        assert indexes and indexes <= patron_indexes, (query, indexes)
        assert "Seq Scan" not in nodes, (query, nodes)
