"""Fixtures of the fault tests: a Redis of the test's own as the broker, a producer that sends the
tasks every commit queues to it (as the web and the CLI do), and the environment of the
`sia worker` processes started against it and the test's PostgreSQL database."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from celery import Celery

from core.config import Settings
from tests.faults.processes import RedisServer, redis_server
from workers import queues
from workers.app import celery_config

# Redis hands an unacknowledged task back after this many seconds (production: hours). Its
# restore runs when a worker starts (then only every ~100 s: kombu scans on every tenth 10 s
# tick), so a worker that starts at least this long after the dead one took the task gets it
# again at once. Starting takes a worker more than that (imports alone take ~2 s).
VISIBILITY_TIMEOUT = 1


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[RedisServer]:
    """A redis-server of this test's own: database 0 the broker, 1 the results."""
    with redis_server(tmp_path / "redis") as server:
        yield server


def producer_app(settings: Settings, server: RedisServer) -> Celery:
    """A Celery app of the test's own that sends to ``server`` (the process's shared app stays
    pointed where the ``settings`` fixture left it)."""
    app = Celery("sia-faults", set_as_current=False)
    app.config_from_object(
        celery_config(
            Settings(
                broker_url=server.url(0),
                result_backend=server.url(1),
                var_dir=settings.var_dir,
                database_url=settings.database_url,
            )
        )
    )
    return app


@pytest.fixture
def producer(
    settings: Settings, broker: RedisServer, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Celery]:
    """Tasks queued by commits (``core.enqueue``) really go to ``broker``; also sends beat's."""
    app = producer_app(settings, broker)
    monkeypatch.setattr("core.enqueue._sender", lambda task, args: app.send_task(task, args=args))
    yield app
    app.close()


def worker_environment(server: RedisServer, tmp_path: Path, **extra: str) -> dict[str, str]:
    """What a `sia worker` started by the test sees: this process's settings (database, var
    dir and storage, e.firma trust store), ``server`` as broker and results, a short
    visibility timeout, mail to files unless ``extra`` says otherwise."""
    env = dict(os.environ)
    env.update(
        SIA_BROKER_URL=server.url(0),
        SIA_RESULT_BACKEND=server.url(1),
        SIA_BROKER_VISIBILITY_TIMEOUT=str(VISIBILITY_TIMEOUT),
        SIA_MAIL_URL=f"file://{tmp_path / 'correo'}",
    )
    env.update(extra)
    return env


def broker_idle(server: RedisServer, names: Sequence[str] = queues.ALL) -> bool:
    """Nothing waiting in queues ``names`` and nothing delivered but unacknowledged."""
    client = server.client(0)
    waiting = sum(int(client.llen(name)) for name in names)
    return waiting == 0 and int(client.hlen("unacked")) == 0
