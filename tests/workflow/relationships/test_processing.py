"""Registering a signed request (workflow.relationships.processing and its tasks): `Relación
Vigente` with its vigencia, its signed acuse and the two emails, or `No procedente` when the
vendor stopped being certified; once, however often or however concurrently the task runs, and
even when a worker dies half-way (the sweep queues it again)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from core.clock import travel_to
from rules.calendar import MEXICO_CITY
from schema import (
    Document,
    DocumentKind,
    Organization,
    RelationshipNotice,
    RelationshipStatus,
)
from tests.efirma.factory import Lab
from tests.workflow.portal.helpers import NRP, PATRON_NAME, PATRON_RFC, emails, row_counts
from tests.workflow.relationships.flows import (
    PATRON_EMAIL,
    SAMA_NAME,
    SAMA_RFC,
    Patron,
    attached_acuse,
    cancel_certification,
    certified_vendor,
    certify,
    check_acuse,
    documents,
    events,
    patron_with_password,
    pdf_text,
    register,
    registered_vendor,
    request_relationship,
    signature,
    stored,
)
from tests.workflow.relationships.helpers import VENDOR_NAME, VENDOR_RFC
from workers.tasks.relationships import process, sweep
from workflow.acuses import acuse_bytes
from workflow.portal.signatures import issue_signed_acuse
from workflow.relationships import processing
from workflow.relationships.processing import (
    NOT_CERTIFIED,
    SWEEP_GRACE,
    process_request,
    sweep_pending_requests,
)
from workflow.relationships.requests import PROCESS_TASK

S = RelationshipStatus
Tasks = list[tuple[str, tuple[Any, ...]]]
ROOT = Path(__file__).resolve().parents[3]

pytestmark = pytest.mark.usefixtures("portal_settings", "sent_tasks")


@pytest.fixture
def patron(engine: Engine, lab: Lab) -> Patron:
    return patron_with_password(engine, lab)


@pytest.fixture
def vendor_id(engine: Engine) -> int:
    return certified_vendor(engine)


def _id(value: int | None) -> int:
    assert value is not None
    return value


def _counts_of_the_outcome(engine: Engine) -> tuple[int, int, int, int]:
    """Acuses, the two emails of a registration and its audit events."""
    return (
        len(documents(engine, DocumentKind.ACUSE_RELACION)),
        len(emails(engine, "relacion_vigente")),
        len(emails(engine, "relacion_nueva_desarrollador")),
        len(events(engine, "relationship.registered")),
    )


def test_registering_makes_it_vigente_with_its_dates_signed_acuse_and_emails(
    engine: Engine, patron: Patron, vendor_id: int
) -> None:
    # 23:30 of 31/ene in Mexico City is already 01/feb in UTC: the vigencia is local, and three
    # months from the 31st end on the last day of April.
    moment = datetime(2026, 1, 31, 23, 30, tzinfo=MEXICO_CITY)
    with travel_to(moment):
        requested = request_relationship(engine, patron, months=3)
        registered = register(engine, _id(requested.id))
    assert registered is not None and registered.id == requested.id

    row = stored(engine, requested.id)
    assert row.status is S.VIGENTE and row.status_reason is None
    assert (row.starts_on, row.ends_on) == (date(2026, 1, 31), date(2026, 4, 30))
    assert row.expires_at == datetime(2026, 4, 30, 0, 0, tzinfo=MEXICO_CITY)
    # What the deadline scan owes it first: the 15-day reminder.
    assert row.next_notice is RelationshipNotice.RECORDATORIO_15
    assert row.next_at == datetime(2026, 4, 15, 0, 0, tzinfo=MEXICO_CITY)

    # The acuse: the signed request, verifiable with the patrón's certificate.
    (document,) = documents(engine, DocumentKind.ACUSE_RELACION)
    assert document.id == row.acuse_id and document.folio == row.folio
    assert document.organization_id == patron.company.organization_id
    assert document.signer_rfc == PATRON_RFC and document.certification_id is None
    fields = check_acuse(document, signature(engine, row.signature_id))
    assert fields[0] == "ALTA DE RELACION DE CONFIANZA SIA"
    for value in (row.folio, PATRON_RFC, NRP, VENDOR_RFC, VENDOR_NAME, "VIGENCIA 3 MESES"):
        assert value in fields
    shown = pdf_text(acuse_bytes(document))
    for value in (row.folio, PATRON_RFC, VENDOR_RFC, "Avisos", "3 meses"):
        assert value in shown, value
    # «Fecha inicio vigencia» and «Fin de vigencia» as the guide's table shows them.
    assert "31/ene/2026" in shown and "30/abr/2026" in shown

    # The patrón is emailed the acuse; the vendor is told of its new relationship.
    (to_patron,) = emails(engine, "relacion_vigente")
    assert to_patron.recipients == [PATRON_EMAIL]
    assert to_patron.idempotency_key == f"relationship:{row.id}:registered"
    assert to_patron.context == {
        "folio": row.folio,
        "razon_social": PATRON_NAME,
        "nrp": NRP,
        "desarrollador_rfc": VENDOR_RFC,
        "desarrollador_razon_social": VENDOR_NAME,
        "servicio": "Avisos",
        "inicio_vigencia": "2026-01-31",
        "fin_vigencia": "2026-04-30",
    }
    attached_acuse(to_patron, document, f"acuse-relacion-{row.folio}.pdf")
    (to_vendor,) = emails(engine, "relacion_nueva_desarrollador")
    with Session(engine) as session:
        vendor = session.get(Organization, vendor_id)
        assert vendor is not None
    assert to_vendor.recipients == [vendor.email] and to_vendor.attachments == []
    assert to_vendor.context == {
        "folio": row.folio,
        "razon_social": VENDOR_NAME,
        "patron_rfc": PATRON_RFC,
        "patron_nrp": NRP,
        "patron_razon_social": PATRON_NAME,
        "servicio": "Avisos",
        "inicio_vigencia": "2026-01-31",
        "fin_vigencia": "2026-04-30",
    }

    (event,) = events(engine, "relationship.registered")
    assert (event.actor, event.entity_type, event.entity_id) == (
        "system",
        "trust_relationship",
        row.id,
    )
    assert (event.from_state, event.to_state) == (S.EN_PROCESO.value, S.VIGENTE.value)
    assert event.data == {"folio": row.folio, "starts_on": "2026-01-31", "ends_on": "2026-04-30"}

    # A retried or duplicated task does nothing.
    counts = row_counts(engine)
    assert register(engine, _id(row.id)) is None
    assert process(_id(row.id)) is None
    assert row_counts(engine) == counts
    assert _counts_of_the_outcome(engine) == (1, 1, 1, 1)
    assert register(engine, 999_999) is None


def test_a_vendor_no_longer_certified_makes_the_request_no_procedente(
    engine: Engine, patron: Patron
) -> None:
    vendor = registered_vendor(engine, rfc=SAMA_RFC, name=SAMA_NAME)
    certification = certify(engine, vendor)
    requested = request_relationship(engine, patron, SAMA_RFC)
    cancel_certification(engine, certification)

    # The task, as the worker runs it (its own transaction on the process's database).
    assert process(_id(requested.id)) == S.NO_PROCEDENTE.value
    row = stored(engine, requested.id)
    assert row.status is S.NO_PROCEDENTE and row.status_reason == NOT_CERTIFIED
    assert row.starts_on is None and row.ends_on is None and row.expires_at is None
    assert row.acuse_id is None and row.next_notice is None and row.next_at is None
    assert documents(engine, DocumentKind.ACUSE_RELACION) == []
    assert emails(engine, "relacion_vigente") == []
    assert emails(engine, "relacion_nueva_desarrollador") == []
    (declined,) = emails(engine, "relacion_no_procedente")
    assert declined.recipients == [PATRON_EMAIL] and declined.attachments == []
    assert declined.context["folio"] == row.folio
    assert declined.context["desarrollador_rfc"] == SAMA_RFC
    assert declined.context["desarrollador_razon_social"] == SAMA_NAME
    (event,) = events(engine, "relationship.declined")
    assert (event.from_state, event.to_state) == (S.EN_PROCESO.value, S.NO_PROCEDENTE.value)
    assert event.reason == NOT_CERTIFIED and event.actor == "system"

    counts = row_counts(engine)
    assert process(_id(requested.id)) is None
    assert row_counts(engine) == counts


def test_the_sweep_queues_again_only_requests_left_en_proceso_past_the_grace(
    engine: Engine, patron: Patron, vendor_id: int, sent_tasks: Tasks
) -> None:
    certified_vendor(engine, rfc=SAMA_RFC, name=SAMA_NAME)
    certified_vendor(engine, rfc="NTE010101AB1", name="NOMINAS DEL ESTE SA")
    start = datetime(2026, 3, 2, 10, 0, tzinfo=MEXICO_CITY)
    with travel_to(start):
        stuck = request_relationship(engine, patron, VENDOR_RFC)
        done = request_relationship(engine, patron, SAMA_RFC)
        register(engine, _id(done.id))
    with travel_to(start + timedelta(minutes=2)):
        fresh = request_relationship(engine, patron, "NTE010101AB1")

    def swept(at: datetime) -> list[int]:
        sent_tasks.clear()
        with travel_to(at), Session(engine) as session:
            found = sweep_pending_requests(session)
            assert sent_tasks == []  # not before the commit
            session.commit()
        assert sent_tasks == [(PROCESS_TASK, (i,)) for i in found]
        return found

    # Exactly the grace after it was signed, it may still be on its way.
    assert swept(start + SWEEP_GRACE) == []
    assert swept(start + SWEEP_GRACE + timedelta(seconds=1)) == [stuck.id]
    # The fresh one waits its own grace; the registered one is never swept.
    assert swept(start + timedelta(minutes=2) + SWEEP_GRACE + timedelta(seconds=1)) == [
        stuck.id,
        fresh.id,
    ]
    with Session(engine) as session:
        assert sweep_pending_requests(session, now=start + timedelta(minutes=3)) == [stuck.id]
    # The beat's task, likewise.
    sent_tasks.clear()
    with travel_to(start + timedelta(minutes=3)):
        assert sweep() == [stuck.id]
    assert sent_tasks == [(PROCESS_TASK, (stuck.id,))]

    # Once registered, nothing is left to sweep.
    for relationship in (stuck, fresh):
        register(engine, _id(relationship.id))
    with Session(engine) as session:
        assert sweep_pending_requests(session, now=start + timedelta(days=1)) == []


# --- PostgreSQL: a worker killed half-way, two workers at once --------------------------------

_STALLING_WORKER = """
import sys
import time
from pathlib import Path

from core.db import session_scope
from workflow.relationships import processing

real = processing.issue_signed_acuse


def stalled(*args, **kwargs):
    issued = real(*args, **kwargs)  # the status moved, the acuse stored: mid-transaction
    Path(sys.argv[2]).touch()
    time.sleep(600)
    return issued


processing.issue_signed_acuse = stalled
with session_scope() as session:
    processing.process_request(session, int(sys.argv[1]))
"""


def _locked_elsewhere(engine: Engine, relationship_id: int) -> bool:
    with engine.connect() as connection:
        try:
            connection.execute(
                text("SELECT id FROM trust_relationships WHERE id = :id FOR UPDATE NOWAIT"),
                {"id": relationship_id},
            )
        except OperationalError:
            return True
        return False


@pytest.mark.slow
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_a_worker_killed_half_way_leaves_nothing_and_the_sweep_registers_it_once(
    engine: Engine, patron: Patron, vendor_id: int, sent_tasks: Tasks, tmp_path: Path
) -> None:
    requested = request_relationship(engine, patron)
    relationship_id = _id(requested.id)
    flag = tmp_path / "dentro-de-la-transaccion"
    worker = subprocess.Popen(
        [sys.executable, "-c", _STALLING_WORKER, str(relationship_id), str(flag)],
        env={**os.environ, "SIA_BROKER_URL": "memory://"},
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while not flag.exists():
            assert worker.poll() is None, worker.communicate()
            assert time.monotonic() < deadline, "the worker never reached the acuse"
            time.sleep(0.05)
        # Half-way: it holds the row's lock, with the status moved and the acuse issued.
        assert _locked_elsewhere(engine, relationship_id)
    finally:
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(30)
    assert worker.returncode == -signal.SIGKILL

    # Nothing of it was committed.
    assert stored(engine, relationship_id).status is S.EN_PROCESO
    assert _counts_of_the_outcome(engine) == (0, 0, 0, 0)

    # The beat's sweep finds it and the next worker registers it, once.
    with travel_to(requested.requested_at + SWEEP_GRACE + timedelta(minutes=1)):
        sent_tasks.clear()
        assert sweep() == [relationship_id]
    assert sent_tasks == [(PROCESS_TASK, (relationship_id,))]
    assert process(relationship_id) == S.VIGENTE.value
    assert process(relationship_id) is None
    row = stored(engine, relationship_id)
    assert row.status is S.VIGENTE and row.acuse_id is not None
    assert _counts_of_the_outcome(engine) == (1, 1, 1, 1)
    (email,) = emails(engine, "relacion_vigente")
    with Session(engine) as session:
        document = session.get(Document, row.acuse_id)
        assert document is not None
        attached_acuse(email, document, f"acuse-relacion-{row.folio}.pdf")


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_of_two_workers_at_once_one_registers_and_the_other_does_nothing(
    engine: Engine, patron: Patron, vendor_id: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    requested = request_relationship(engine, patron)
    relationship_id = _id(requested.id)
    inside = threading.Event()

    def slow(*args: Any, **kwargs: Any) -> Any:
        issued = issue_signed_acuse(*args, **kwargs)
        inside.set()
        time.sleep(0.5)  # the other worker arrives meanwhile and waits for the lock
        return issued

    monkeypatch.setattr(processing, "issue_signed_acuse", slow)
    outcomes: list[str | None] = []

    def work() -> None:
        with Session(engine, expire_on_commit=False) as session:
            done = process_request(session, relationship_id)
            session.commit()
            outcomes.append(None if done is None else done.status.value)

    first = threading.Thread(target=work)
    first.start()
    assert inside.wait(30)
    second = threading.Thread(target=work)
    second.start()
    for thread in (first, second):
        thread.join(30)
    assert outcomes == [S.VIGENTE.value, None]
    assert _counts_of_the_outcome(engine) == (1, 1, 1, 1)
    assert stored(engine, relationship_id).status is S.VIGENTE
