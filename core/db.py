"""Engine and session factory shared by web handlers, tasks and the command line."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, create_engine

from core.config import get_settings
from rules.json_text import compact_json

# Opens one unit of work (commit on success, rollback on error): what code that must commit
# several times — around a slow step, or once per item — is given instead of a session.
SessionFactory = Callable[[], AbstractContextManager[Session]]


def _fold(case: Callable[[str], str]) -> Callable[[Any], Any]:
    """A SQL case function: text folded, anything else (NULL, numbers, blobs) as SQLite's."""

    def fold(value: Any) -> Any:
        return case(value) if isinstance(value, str) else value

    return fold


def _configure_sqlite(engine: Engine) -> None:
    # Web, worker and beat are separate processes sharing one file: WAL lets readers go on
    # while one writes, and a busy timeout makes writers queue instead of failing at once.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # let us emit BEGIN ourselves, below
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()
        # SQLite's own upper() and lower() fold ASCII only: «Ñandú» would never match «ÑANDÚ»
        # in a search that PostgreSQL answers. Python's are Unicode, as PostgreSQL's are.
        dbapi_conn.create_function("upper", 1, _fold(str.upper), deterministic=True)
        dbapi_conn.create_function("lower", 1, _fold(str.lower), deterministic=True)

    # A deferred SQLite transaction that reads and then writes can fail with "database is
    # locked" when another writer slipped in between; taking the write lock up front
    # serializes writers the way row locks do on PostgreSQL.
    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def json_text(value: Any) -> str:
    """The text of a JSON column's value: a 5 MiB workbook's reading in a seventh of the standard
    library's time (``rules.json_text``)."""
    return compact_json(value)[0].decode()


def make_engine(url: str, **kwargs: Any) -> Engine:
    kwargs.setdefault("json_serializer", json_text)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs
        )
        _configure_sqlite(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


@lru_cache(maxsize=1)
def get_engine() -> Engine:
    settings = get_settings()
    # A web thread may hold two connections at once: its request's session and, while it stores
    # a file in the blob store (core.storage), that write's own short transaction. Enough room
    # for every thread to do so means no thread waits for a connection another waiting thread
    # holds.
    return make_engine(settings.database_url, max_overflow=max(10, 2 * settings.web_threads))


@contextmanager
def session_scope(engine: Engine | None = None) -> Iterator[Session]:
    """One unit of work: commits on success, rolls back on any exception."""
    with Session(engine or get_engine(), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
