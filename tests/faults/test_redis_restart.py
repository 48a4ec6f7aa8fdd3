"""Redis restarted with append-only persistence: nothing queued is lost (issue 18).

Certification requests are committed while no worker runs, so their dispatch tasks wait in a
Redis of the test's own (``--appendonly yes --appendfsync always``, as docker-compose runs it,
but fsyncing every write). Redis stops — cleanly (SHUTDOWN) or killed outright (SIGKILL) — and
a request committed meanwhile still commits (its task is left for beat's sweep). Redis starts
again on the same directory and port with every task still queued; a worker then dispatches
each request exactly once, and the sweep brings the one of the outage.
"""

from __future__ import annotations

import contextlib
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from celery import Celery
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from core import config, enqueue
from core.clock import travel_to, utcnow
from core.config import Settings
from rules.identities import rfc_check_digit
from schema import Certification, CertificationState, OutboxEmail, TestSet
from tests.conftest import point_celery_at
from tests.faults.conftest import broker_idle, producer_app, worker_environment
from tests.faults.processes import RedisServer, Worker, redis_server, wait_until, workers
from workers import queues
from workers.app import celery_config
from workers.tasks.certifications import sweep_dispatch
from workflow.certifications import request_certification
from workflow.dispatch import DISPATCH_TASK, SWEEP_GRACE

pytestmark = [
    pytest.mark.slow,
    pytest.mark.parametrize("db_url", ["postgresql"], indirect=True),
]

QUEUED = 6


def _rfc(n: int) -> str:
    body = f"FAL0101{n + 1:02d}A1"
    return body + rfc_check_digit(body)


def _request(engine: Engine, n: int) -> int:
    with Session(engine, expire_on_commit=False) as session:
        certification = request_certification(
            session,
            rfc=_rfc(n),
            email=f"certificacion{n}@falla.example",
            razon_social=f"Nóminas Falla {n}",
            actor="prueba",
        )
        session.commit()  # its dispatch task is sent now
    assert certification.id is not None
    return certification.id


def _dispatched(engine: Engine) -> dict[int, int]:
    """Test sets per certification."""
    with Session(engine) as session:
        rows = session.exec(
            select(TestSet.certification_id, func.count()).group_by(col(TestSet.certification_id))
        ).all()
    return {certification_id: int(n) for certification_id, n in rows}


def _states(engine: Engine) -> set[CertificationState]:
    with Session(engine) as session:
        return {row.state for row in session.exec(select(Certification)).all()}


@pytest.mark.parametrize("stop", ["shutdown", "sigkill"])
def test_tasks_queued_before_a_redis_restart_are_all_done_once(
    stop: str,
    settings: Settings,
    engine: Engine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with redis_server(tmp_path / "redis-aof", appendonly=True) as server:
        app = producer_app(settings, server)
        monkeypatch.setattr(
            "core.enqueue._sender", lambda task, args: app.send_task(task, args=args)
        )
        try:
            _run(stop, server, app, engine, tmp_path)
        finally:
            app.close()


def _run(stop: str, server: RedisServer, app: Celery, engine: Engine, tmp_path: Path) -> None:
    queued = [_request(engine, n) for n in range(QUEUED)]
    client = server.client()
    assert int(client.llen(queues.DEFAULT)) == QUEUED

    if stop == "shutdown":
        server.shutdown()
    else:
        server.crash()
    assert server.process is not None and server.process.poll() is not None
    with pytest.raises(redis.ConnectionError):
        client.ping()

    # A request committed while Redis is down: the commit stands, quickly; its task is lost.
    began = time.monotonic()
    during = _request(engine, QUEUED)
    assert time.monotonic() - began < 10, "a commit waited too long for the broker"

    server.start()  # same directory, same port
    assert int(server.client().llen(queues.DEFAULT)) == QUEUED, "queued tasks were lost"
    assert _dispatched(engine) == {}

    with workers() as started:
        worker = Worker(
            queues=queues.ALL,
            env=worker_environment(server, tmp_path),
            cwd=tmp_path,
            log=tmp_path / "worker.log",
        )
        started.append(worker)

        def all_queued_dispatched() -> bool:
            assert worker.alive(), worker.tail()
            return set(_dispatched(engine)) >= set(queued)

        wait_until(
            all_queued_dispatched, 60, "every queued request to be dispatched", context=worker.tail
        )
        assert _dispatched(engine) == dict.fromkeys(queued, 1)

        # The one committed during the outage: beat's sweep queues it once its grace passed.
        with travel_to(utcnow() + SWEEP_GRACE + timedelta(seconds=1)):
            assert sweep_dispatch() == [during]
        wait_until(
            lambda: during in _dispatched(engine),
            30,
            f"the sweep's {DISPATCH_TASK} to run",
            context=worker.tail,
        )
        wait_until(
            lambda: broker_idle(server, [queues.DEFAULT]),
            20,
            "the broker to drain",
            context=worker.tail,
        )

    assert _dispatched(engine) == dict.fromkeys([*queued, during], 1)
    assert _states(engine) == {CertificationState.EN_ESPERA_DE_DOCUMENTOS}
    with Session(engine) as session:
        templates = session.exec(select(OutboxEmail.template)).all()
    assert sorted(templates) == ["set_de_pruebas"] * (QUEUED + 1)


# --- while Redis is down ------------------------------------------------------------------------

SENT_AT_ONCE = 5.0  # seconds a commit may take when the broker is down (kombu: ~0.6 s)


def test_commits_while_redis_is_down_stand_and_do_not_wait_for_it(
    settings: Settings, engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with redis_server(tmp_path / "redis") as server:
        # The process's own Celery app and the sender it installed (workers.app), as the web
        # and the CLI send the tasks of their commits.
        monkeypatch.setenv("SIA_BROKER_URL", server.url(0))
        monkeypatch.setenv("SIA_RESULT_BACKEND", server.url(1))
        config.get_settings.cache_clear()
        point_celery_at(celery_config(config.get_settings()))
        assert enqueue._sender is not None
        _request(engine, 0)  # a process that has sent tasks before
        assert int(server.client().llen(queues.DEFAULT)) == 1
        server.crash()

        for n in range(1, 4):
            done = threading.Event()

            def commit(n: int, done: threading.Event) -> None:
                with contextlib.suppress(Exception):  # outlives the test when it hangs
                    _request(engine, n)
                done.set()

            began = time.monotonic()
            threading.Thread(target=commit, args=(n, done), daemon=True).start()
            assert done.wait(SENT_AT_ONCE), (
                f"commit {n} still waiting for the broker after {SENT_AT_ONCE:g} s"
            )
            assert time.monotonic() - began < SENT_AT_ONCE
        # The commits stand: the sweep will queue them once Redis is back.
        assert _states(engine) == {CertificationState.SOLICITADA}
