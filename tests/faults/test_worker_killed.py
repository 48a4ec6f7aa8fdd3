"""A worker SIGKILLed in the middle of a task, for each task that does work: the work is done
once after the restart (issue 18).

Each test starts `sia worker` (a separate process, prefork pool of one) against a Redis of its
own and the test's PostgreSQL database, and stops the task half-way from outside: the test holds
the audit chain's head row (``audit_head``, locked by every append), so the worker blocks
inside its transaction after its first writes; the mail relay blocks inside SMTP DATA of a
server that does not answer yet. Then either

- the whole worker is SIGKILLed (a machine or container dying): the task was never
  acknowledged (``task_acks_late``), so Redis hands it to the worker started next once the
  visibility timeout has passed; or
- only its pool process is (the OOM killer): the main process hands the task back at once
  (``task_reject_on_worker_lost``) and its next pool process runs it again.

Either way the dead transaction left nothing, the task runs again, and its outcome exists
exactly once: one test set, one verdict, one vigente relationship, one email per message
(counted by Message-ID at the SMTP server), one reminder.
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from email import policy
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import pytest
from celery import Celery
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from mailer import queue_email
from mailer.outbox import RELAY_TASK
from schema import (
    AuditEvent,
    Certification,
    CertificationState,
    Clock,
    ClockActionRecord,
    ClockKind,
    DeadlineAction,
    DocumentKind,
    EvidenceSubmission,
    OutboxEmail,
    OutboxStatus,
    RelationshipStatus,
    SubmissionStatus,
    TestSet,
    Verdict,
)
from tests.faults.conftest import VISIBILITY_TIMEOUT, broker_idle, worker_environment
from tests.faults.processes import RedisServer, Worker, wait_until, workers
from tests.mailer.samples import SAMPLES
from tests.mailer.smtp import Sink, free_port, serving
from tests.review.reviewing import round_of, upload, workbook
from tests.workflow.relationships.flows import (
    certified_vendor,
    documents,
    patron_with_password,
    request_relationship,
    stored,
)
from workers import queues
from workflow.audit import verify_chain
from workflow.certifications import request_certification
from workflow.deadlines import DEADLINES_TASK
from workflow.dispatch import DISPATCH_TASK
from workflow.evidence import EXAMINE_TASK
from workflow.relationships.requests import PROCESS_TASK

pytestmark = [
    pytest.mark.slow,
    pytest.mark.parametrize("db_url", ["postgresql"], indirect=True),
]

S = CertificationState


# --- holding a task half-way --------------------------------------------------------------------


@contextlib.contextmanager
def audit_chain_held(engine: Engine) -> Iterator[None]:
    """Hold the audit chain's head row: every transaction that appends an event waits for it,
    inside its transaction, after what it wrote before the event."""
    with engine.connect() as connection:
        connection.execute(text("SELECT id FROM audit_head WHERE id = 1 FOR UPDATE"))
        try:
            yield
        finally:
            connection.rollback()


def waiting_backends(engine: Engine) -> list[int]:
    """Server processes of other sessions on this database waiting for a lock."""
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
                " AND wait_event_type = 'Lock' AND pid <> pg_backend_pid() ORDER BY pid"
            )
        )
        return [int(pid) for pid in rows.scalars()]


def tables_written_by(engine: Engine, pid: int) -> set[str]:
    """Tables the session of ``pid`` has written in its open transaction."""
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT c.relname FROM pg_locks l JOIN pg_class c ON c.oid = l.relation"
                " WHERE l.pid = :pid AND l.mode = 'RowExclusiveLock' AND c.relkind = 'r'"
            ),
            {"pid": pid},
        )
        return set(rows.scalars())


def transactions_elsewhere(engine: Engine) -> list[int]:
    """Server processes of other sessions on this database inside a transaction."""
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
                " AND xact_start IS NOT NULL AND pid <> pg_backend_pid()"
            )
        )
        return [int(pid) for pid in rows.scalars()]


def count(engine: Engine, statement: Any) -> int:
    with Session(engine) as session:
        return int(session.exec(statement).one())


def events(engine: Engine, action: str) -> int:
    return count(
        engine, select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action)
    )


def emails(engine: Engine, template: str) -> int:
    return count(
        engine,
        select(func.count()).select_from(OutboxEmail).where(OutboxEmail.template == template),
    )


# --- one scenario per task kind -----------------------------------------------------------------


class Scenario(abc.ABC):
    """What a task kind needs: its state committed (its task then waits in the broker), a way
    to stop it half-way, and what "done once" means for it."""

    queue = queues.DEFAULT
    task = ""
    # A table the task has written (uncommitted) when it is held half-way.
    wrote = ""

    def __init__(self, request: pytest.FixtureRequest, engine: Engine) -> None:
        self.request = request
        self.engine = engine
        self.env: dict[str, str] = {}  # for the workers, besides the test's settings

    @abc.abstractmethod
    def prepare(self, producer: Celery) -> None:
        """Commit what the task will work on, and send it."""

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        with audit_chain_held(self.engine):
            yield

    def half_way(self) -> list[int]:
        """The sessions stuck half-way (empty until the worker got there)."""
        return waiting_backends(self.engine)

    def check_half_way(self, stuck: list[int]) -> None:
        (pid,) = stuck
        assert self.wrote in tables_written_by(self.engine, pid)

    def after_death(self, producer: Celery) -> None:  # noqa: B027 (most kinds add nothing)
        """What beat would add after the worker died (nothing, for most kinds)."""

    @abc.abstractmethod
    def done(self) -> bool:
        """Whether the work is finished."""

    @abc.abstractmethod
    def check_once(self) -> None:
        """Assert that the work was done exactly once."""


class Dispatch(Scenario):
    """A certification request: its test set generated, stored and emailed."""

    task = DISPATCH_TASK
    wrote = "test_sets"
    certification_id = 0

    def prepare(self, producer: Celery) -> None:
        with Session(self.engine, expire_on_commit=False) as session:
            certification = request_certification(
                session,
                rfc="CAC840428RH1",
                email="certificacion@nandu.example",
                razon_social="Nóminas Ñandú",
                actor="prueba",
            )
            session.commit()  # the dispatch task goes to the broker
        assert certification.id is not None
        self.certification_id = certification.id

    def _state(self) -> CertificationState:
        with Session(self.engine) as session:
            certification = session.get(Certification, self.certification_id)
            assert certification is not None
            return certification.state

    def done(self) -> bool:
        return self._state() is S.EN_ESPERA_DE_DOCUMENTOS

    def check_once(self) -> None:
        test_sets = select(func.count()).select_from(TestSet)
        assert count(self.engine, test_sets) == 1
        assert emails(self.engine, "set_de_pruebas") == 1
        assert events(self.engine, "certification.test_set_sent") == 1


class Examination(Scenario):
    """An uploaded workbook: examined in a guarded child process, its verdict applied."""

    queue = queues.EVIDENCE
    task = EXAMINE_TASK
    wrote = "evidence_submissions"
    submission_id = 0

    def prepare(self, producer: Celery) -> None:
        folio = str(self.request.getfixturevalue("folio"))
        self.folio = folio
        # The vendor's upload, through the API: the examination goes to the broker.
        self.submission_id = upload(folio, workbook(round_of(self.engine, folio)))

    def _submission(self) -> EvidenceSubmission:
        with Session(self.engine) as session:
            submission = session.get(EvidenceSubmission, self.submission_id)
            assert submission is not None
            return submission

    def done(self) -> bool:
        return self._submission().status is not SubmissionStatus.RECIBIDA

    def check_once(self) -> None:
        submission = self._submission()
        assert submission.status is SubmissionStatus.ACEPTADA
        assert submission.verdict is Verdict.SIN_INCONSISTENCIAS
        with Session(self.engine) as session:
            certification = session.exec(
                select(Certification).where(Certification.folio == self.folio)
            ).one()
        assert certification.state is S.EN_ANALISIS
        assert emails(self.engine, "evidencia_recibida") == 1
        assert events(self.engine, "evidence.checked") == 1
        assert events(self.engine, "certification.evidence_accepted") == 1


class Registration(Scenario):
    """A patrón's signed relationship request: registered `Relación Vigente` with its acuse."""

    task = PROCESS_TASK
    wrote = "trust_relationships"
    relationship_id = 0

    def prepare(self, producer: Celery) -> None:
        self.request.getfixturevalue("portal_settings")
        patron = patron_with_password(self.engine, self.request.getfixturevalue("lab"))
        certified_vendor(self.engine)
        requested = request_relationship(self.engine, patron)  # processing goes to the broker
        assert requested.id is not None
        self.relationship_id = requested.id

    def done(self) -> bool:
        return stored(self.engine, self.relationship_id).status is not RelationshipStatus.EN_PROCESO

    def check_once(self) -> None:
        row = stored(self.engine, self.relationship_id)
        assert row.status is RelationshipStatus.VIGENTE and row.acuse_id is not None
        assert len(documents(self.engine, DocumentKind.ACUSE_RELACION)) == 1
        assert emails(self.engine, "relacion_vigente") == 1
        assert emails(self.engine, "relacion_nueva_desarrollador") == 1
        assert events(self.engine, "relationship.registered") == 1


class Reminder(Scenario):
    """Beat's deadline scan on the day of the first reminder of an evidence term."""

    task = DEADLINES_TASK
    wrote = "clock_actions"

    def prepare(self, producer: Celery) -> None:
        self.request.getfixturevalue("folio")
        with Session(self.engine) as session:
            clock = session.exec(select(Clock).where(Clock.kind == ClockKind.EVIDENCIA)).one()
        assert clock.next_at is not None
        # The worker's clock stands a minute after the reminder's moment.
        self.env["SIA_NOW"] = (clock.next_at + timedelta(minutes=1)).isoformat()
        producer.send_task(DEADLINES_TASK)  # as beat sends it

    def after_death(self, producer: Celery) -> None:
        # A scan skips a clock another transaction holds (SKIP LOCKED): the run handed back
        # at once may find the dead one's session still there, and leave that clock to the
        # next scan. Beat's next one, once that session is gone:
        wait_until(lambda: not transactions_elsewhere(self.engine), 20, "the dead session to end")
        producer.send_task(DEADLINES_TASK)

    def done(self) -> bool:
        return count(self.engine, select(func.count()).select_from(ClockActionRecord)) > 0

    def check_once(self) -> None:
        with Session(self.engine) as session:
            (action,) = session.exec(select(ClockActionRecord)).all()
        assert action.kind is DeadlineAction.RECORDATORIO
        assert emails(self.engine, "recordatorio_plazo") == 1
        assert events(self.engine, "deadline.reminder_sent") == 1


@dataclass
class HoldingSink(Sink):
    """An SMTP server that, while ``holding``, takes each message's DATA and does not answer
    (the sender waits for its 250); once let go it answers those with a 451 (never accepted)
    and accepts everything after."""

    holding: bool = True
    held: list[str] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if not self.holding:
            return await super().handle_DATA(server, session, envelope)
        message = BytesParser(policy=policy.default).parsebytes(envelope.content)
        self.held.append(str(message["Message-ID"]))
        while self.holding:
            await asyncio.sleep(0.05)
        return "451 4.3.0 Interrumpido"


MESSAGES = 3
CLAIM_TIMEOUT = 3  # seconds; a claim older than this belongs to a dead relay


class Relay(Scenario):
    """The outbox relay, kicked by the commit that queued three emails."""

    queue = queues.MAIL
    task = RELAY_TASK

    def prepare(self, producer: Celery) -> None:
        self.sink = HoldingSink()
        port = free_port()
        self.serving = serving(self.sink, port)
        self.serving.__enter__()
        self.request.addfinalizer(lambda: self.serving.__exit__(None, None, None))
        self.env |= {
            "SIA_MAIL_URL": f"smtp://127.0.0.1:{port}",
            "SIA_MAIL_CLAIM_TIMEOUT_SECONDS": str(CLAIM_TIMEOUT),
        }
        with Session(self.engine, expire_on_commit=False) as session:
            rows = [
                queue_email(
                    session,
                    key=f"certification:{n}:approved",
                    template="aprobacion",
                    to=[f"vendedor{n}@example.mx"],
                    context=SAMPLES["aprobacion"],
                )
                for n in range(MESSAGES)
            ]
            session.commit()  # one relay kick goes to the broker
        self.message_ids = sorted(row.message_id for row in rows)

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        try:
            yield
        finally:
            self.sink.holding = False

    def half_way(self) -> list[int]:
        return [1] if len(self.sink.held) == MESSAGES else []

    def check_half_way(self, stuck: list[int]) -> None:
        assert sorted(self.sink.held) == self.message_ids
        assert self._statuses() == [OutboxStatus.ENVIANDO] * MESSAGES  # the claim committed

    def after_death(self, producer: Celery) -> None:
        # The dead relay's claim stands until it is stale; beat's sweep (every minute) then
        # finds the rows, whether or not the handed-back kick already ran.
        time.sleep(CLAIM_TIMEOUT + 0.5)
        producer.send_task(RELAY_TASK)

    def _statuses(self) -> list[OutboxStatus]:
        with Session(self.engine) as session:
            rows = session.exec(select(OutboxEmail).order_by(col(OutboxEmail.id))).all()
            return [row.status for row in rows]

    def done(self) -> bool:
        return self._statuses() == [OutboxStatus.ENVIADO] * MESSAGES

    def check_once(self) -> None:
        assert sorted(self.sink.message_ids()) == self.message_ids
        with Session(self.engine) as session:
            rows = session.exec(select(OutboxEmail)).all()
        # The dead relay's sends were never answered: not failed attempts, just not sent.
        assert [(row.attempts, row.last_error) for row in rows] == [(0, None)] * MESSAGES


KINDS: dict[str, type[Dispatch | Examination | Registration | Relay | Reminder]] = {
    "dispatch": Dispatch,
    "evidence": Examination,
    "relationship": Registration,
    "mail": Relay,
    "deadlines": Reminder,
}


@pytest.fixture(params=list(KINDS))
def scenario(request: pytest.FixtureRequest, engine: Engine) -> Scenario:
    return KINDS[request.param](request, engine)


# --- the test -----------------------------------------------------------------------------------


@pytest.mark.parametrize("death", ["worker", "pool"])
def test_a_task_killed_half_way_is_done_once_after_the_restart(
    scenario: Scenario,
    death: str,
    broker: RedisServer,
    producer: Celery,
    tmp_path: Path,
) -> None:
    scenario.prepare(producer)
    assert int(broker.client().llen(scenario.queue)) >= 1, "the task never reached the broker"

    def start(name: str) -> Worker:
        env = worker_environment(broker, tmp_path, **scenario.env)
        worker = Worker(queues=[scenario.queue], env=env, cwd=tmp_path, log=tmp_path / name)
        started.append(worker)
        return worker

    def context() -> str:
        return "\n\n".join(f"--- {w.log.name}\n{w.tail()}" for w in started)

    with workers() as started:
        with scenario.held():
            first = start("worker-1.log")
            stuck: list[int] = []

            def got_stuck() -> bool:
                assert first.alive(), context()
                stuck[:] = scenario.half_way()
                return bool(stuck)

            wait_until(got_stuck, 40, "the worker to be half-way through the task", context=context)
            held_since = time.monotonic()
            scenario.check_half_way(stuck)

            if death == "worker":
                first.kill()
            else:
                killed = first.kill_pool()
                # The main process hands the task back at once and takes it again.
                received = f"Task {scenario.task}["
                wait_until(
                    lambda: first.output().count(received) == 2,
                    20,
                    f"the task handed back by the main process after {killed} died",
                    context=context,
                )
            # Whatever the dead process had written was never committed.
            assert not scenario.done()

        if death == "worker":
            # Redis hands the task back to a worker that starts after the visibility timeout.
            time.sleep(max(0.0, held_since + VISIBILITY_TIMEOUT + 0.2 - time.monotonic()))
            start("worker-2.log")
        scenario.after_death(producer)

        wait_until(scenario.done, 60, "the task to be done after the restart", context=context)
        wait_until(
            lambda: broker_idle(broker, [scenario.queue]),
            20,
            "the task to be acknowledged",
            context=context,
        )
        scenario.check_once()
        with Session(scenario.engine) as session:
            assert verify_chain(session).ok
        if death == "pool":
            assert first.alive()
            assert "WorkerLostError" in first.output(), context()
