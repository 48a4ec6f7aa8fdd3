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
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from core.keys import avisos_keypair
from rules.signing import verify_document
from schema import Aviso, AvisoClase, Organization
from tests.workflow.relationships.helpers import make_patron, make_relationship, make_vendor
from workflow.avisos.gate import check_pair
from workflow.avisos.imports import serialize_imports
from workflow.avisos.service import AvisosQuery, avisos_page
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
