"""Shared fixtures: real databases (SQLite file and a throwaway PostgreSQL database per test),
Redis, and settings pointed at them."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest
import redis
from celery.contrib.testing.worker import start_worker
from sqlalchemy.engine import Engine
from sqlmodel import Session

from core import config, db
from core.clock import utcnow
from core.config import Settings
from core.db import make_engine
from core.security import hash_password
from schema import Organization, OrganizationKind, StaffRole, StaffUser
from schema.migrate import upgrade
from tests.efirma.factory import Lab
from tests.vendor import PASSWORD, RFC, STAFF_EMAIL, STAFF_PASSWORD
from workers import queues
from workers.app import app as celery_app
from workers.app import celery_config
from workflow.state_machine import Event, open_certification, transition
from workflow.testsets import create_test_set

PG_ADMIN = os.environ.get("SIA_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("SIA_TEST_REDIS", "redis://127.0.0.1:6379")
# Dedicated Redis databases so the suite never touches data of anything else on the server:
# 13 and 14; under pytest-xdist, 9 and 10 for the second process, then 5/6 and 1/2 (the benches
# use 11 and 12).
_XDIST_INDEX = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
if _XDIST_INDEX > 3:
    raise RuntimeError("the suite has Redis databases for four pytest-xdist processes at most")
REDIS_BROKER_DB, REDIS_RESULTS_DB = 13 - 4 * _XDIST_INDEX, 14 - 4 * _XDIST_INDEX


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # A test is marked by what it uses, so `-m "not redis"` (or "not postgres") leaves out every
    # test that would touch that server, marked by hand or not.
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        if "redis_server" in fixtures:
            item.add_marker(pytest.mark.redis)
        if "pg_template" in fixtures:
            item.add_marker(pytest.mark.postgres)


def point_celery_at(conf: dict[str, Any]) -> None:
    """Re-point the process's Celery app; its cached connections and backend go with the old
    URLs, so they are dropped too (production configures the app once per process)."""
    celery_app.conf.update(conf)
    # Dropped, not closed: kombu shares pools per URL, and a closed one would be handed back.
    celery_app._pool = None  # type: ignore[attr-defined]
    celery_app.__dict__.get("amqp", celery_app.amqp)._producer_pool = None
    celery_app._backend_cache = None  # type: ignore[attr-defined]
    celery_app._local.__dict__.pop("backend", None)  # type: ignore[attr-defined]


def _sqlalchemy_pg(dsn: str) -> str:
    return dsn.replace("postgresql://", "postgresql+psycopg://", 1)


def _pg_dsn(database: str) -> str:
    return PG_ADMIN.rsplit("/", 1)[0] + "/" + database


def _pg_available() -> str | None:
    try:
        with psycopg.connect(PG_ADMIN, connect_timeout=3):
            return None
    except psycopg.Error as exc:
        return str(exc).strip()


@contextmanager
def throwaway_postgres(prefix: str, template: str | None = None) -> Iterator[str]:
    """A new PostgreSQL database (a clone of ``template`` when given), dropped afterwards; its
    name. Skips loudly when the server is not there."""
    problem = _pg_available()
    if problem:
        pytest.skip(f"PostgreSQL NOT AVAILABLE at {PG_ADMIN} ({problem}); start it (see .ci/run)")
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    clone = f' TEMPLATE "{template}"' if template else ""
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"{clone}')
    try:
        yield name
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def pg_url_of(name: str) -> str:
    return _sqlalchemy_pg(_pg_dsn(name))


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    """A migrated PostgreSQL database that each test clones (CREATE DATABASE … TEMPLATE)."""
    with throwaway_postgres("sia_tpl") as name:
        upgrade(pg_url_of(name))
        yield name


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / "template.sqlite3"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture
def pg_url(pg_template: str) -> Iterator[str]:
    with throwaway_postgres("sia_test", template=pg_template) as name:
        yield pg_url_of(name)


@pytest.fixture
def sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    path = tmp_path / "sia.sqlite3"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest) -> str:
    """A migrated, empty database of each kind."""
    fixture = {"sqlite": "sqlite_url", "postgresql": "pg_url"}[request.param]
    return str(request.getfixturevalue(fixture))


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, db_url: str) -> Iterator[Settings]:
    """Process settings (as web, workers and CLI read them) pointed at the test database."""
    for key in list(os.environ):
        if key.startswith("SIA_") and not key.startswith("SIA_TEST_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("SIA_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("SIA_DATABASE_URL", db_url)
    config.get_settings.cache_clear()
    db.get_engine.cache_clear()
    current = config.get_settings()
    # The Celery app is configured once per process, as in production; re-point it here.
    saved = dict(celery_app.conf)
    point_celery_at(celery_config(current))
    yield current
    point_celery_at(saved)
    db.get_engine().dispose()
    config.get_settings.cache_clear()
    db.get_engine.cache_clear()


@pytest.fixture(scope="session")
def lab() -> Lab:
    """The session's test SAT: authorities and e.firmas made on request."""
    return Lab()


@pytest.fixture(scope="session")
def trust_dir(lab: Lab, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return lab.write_trust_dir(tmp_path_factory.mktemp("confianza"))


@pytest.fixture
def portal_settings(
    settings: Settings, trust_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> Settings:
    """The settings with the test SAT's authorities as the e.firma trust store."""
    monkeypatch.setenv("SIA_EFIRMA_TRUST_DIR", str(trust_dir))
    config.get_settings.cache_clear()
    return config.get_settings()


@pytest.fixture(scope="session")
def redis_server() -> str:
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.skip(f"Redis NOT AVAILABLE at {REDIS_URL} ({exc}); start it (see .ci/run)")
    return REDIS_URL


@pytest.fixture
def redis_settings(
    settings: Settings, redis_urls: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> Settings:
    """`settings` with the broker and result backend on the real Redis."""
    monkeypatch.setenv("SIA_BROKER_URL", redis_urls[0])
    monkeypatch.setenv("SIA_RESULT_BACKEND", redis_urls[1])
    config.get_settings.cache_clear()
    point_celery_at(celery_config(config.get_settings()))
    return config.get_settings()


@contextmanager
def real_worker() -> Iterator[None]:
    """A real Celery worker (threads) in this process, consuming every queue."""
    with start_worker(
        celery_app,
        pool="threads",
        concurrency=2,
        perform_ping_check=False,
        loglevel="WARNING",
        queues=list(queues.ALL),
        shutdown_timeout=30,
    ):
        yield


@pytest.fixture
def redis_urls(redis_server: str) -> tuple[str, str]:
    broker, results = f"{redis_server}/{REDIS_BROKER_DB}", f"{redis_server}/{REDIS_RESULTS_DB}"
    for url in (broker, results):
        redis.Redis.from_url(url).flushdb()
    return broker, results


@pytest.fixture
def sent_tasks(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, tuple[Any, ...]]]:
    """Tasks ``core.enqueue`` sends after each commit, recorded instead of sent to a broker."""
    sent: list[tuple[str, tuple[Any, ...]]] = []
    monkeypatch.setattr("core.enqueue._sender", lambda task, args: sent.append((task, args)))
    return sent


@pytest.fixture
def folio(settings, engine) -> str:
    """The folio of a certification in `En espera de documentos` with its round-1 test set."""
    with Session(engine, expire_on_commit=False) as session:
        vendor = Organization(
            kind=OrganizationKind.DESARROLLADOR,
            rfc=RFC,
            razon_social="Nóminas Ñandú",
            email="certificacion@nandu.example",
            sia_password_hash=hash_password(PASSWORD),
        )
        session.add(vendor)
        session.flush()
        cert = open_certification(session, vendor, actor="test")
        now = utcnow()
        create_test_set(session, cert, vendor, 1, now)
        transition(session, cert, Event.TEST_SET_SENT, actor="test")
        session.commit()
        return cert.folio


@pytest.fixture
def reviewer(settings: Settings, engine: Engine) -> StaffUser:
    """A staff reviewer who signs in with STAFF_EMAIL / STAFF_PASSWORD (process settings too)."""
    user = StaffUser(
        email=STAFF_EMAIL,
        full_name="Ana Núñez",
        role=StaffRole.REVISOR,
        password_hash=hash_password(STAFF_PASSWORD),
    )
    with Session(engine, expire_on_commit=False) as session:
        session.add(user)
        session.commit()
    return user
