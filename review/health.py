"""Reachability probes for /healthz.

They run on threads and connections of their own: under load every thread of the web's pool
may be busy with requests (password checks among them) and every pooled connection taken, and
the probe must still answer at once that the server is alive and what it reaches. Each web
process keeps its latest probe in a :class:`HealthMonitor`.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache

from kombu import Connection
from sqlalchemy import text
from sqlalchemy.engine import Engine

from core.config import Settings
from core.db import make_engine

_THREADS = ThreadPoolExecutor(max_workers=2, thread_name_prefix="healthz")
FRESH_S = 1.0  # an answer's probe is at most this old, plus the time a new probe takes
SERVE_FOR_S = 5.0  # and never older than this


@dataclass(frozen=True)
class Probe:
    ok: bool
    error: str | None = None

    def as_json(self) -> dict[str, object]:
        return {"ok": self.ok} if self.ok else {"ok": False, "error": self.error}


def probe_database(engine: Engine) -> Probe:
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:
        return Probe(False, f"{type(exc).__name__}: {exc}".splitlines()[0])
    return Probe(True)


def probe_broker(settings: Settings, timeout: int = 2) -> Probe:
    if settings.is_embedded_broker:
        queue_dir = settings.broker_dir / "queue"
        if not os.access(queue_dir, os.W_OK):
            return Probe(False, f"no se puede escribir en la carpeta del broker {queue_dir}")
        return Probe(True)
    try:
        with Connection(settings.broker_url, connect_timeout=timeout) as conn:
            conn.ensure_connection(max_retries=1, timeout=timeout)
    except Exception as exc:
        return Probe(False, f"{type(exc).__name__}: {exc}".splitlines()[0])
    return Probe(True)


@cache
def _probe_engine(url: str) -> Engine:
    """Connections of the probes' own, kept open (a new one per probe costs a server process)."""
    return make_engine(url, pool_size=2, max_overflow=0, pool_timeout=5)


@dataclass(frozen=True)
class _Round:
    """One probe of the database and the broker, on the probes' threads."""

    started: float
    database: Future[Probe]
    broker: Future[Probe]

    def done(self) -> bool:
        return self.database.done() and self.broker.done()

    def results(self) -> tuple[Probe, Probe]:
        return self.database.result(), self.broker.result()


class HealthMonitor:
    """What /healthz answers: the latest probe of this web process, refreshed behind the answer.

    Under load the event loop queues every request; a probe that had to hop to its threads and
    back inside each /healthz call waited its turn twice more. Instead, an answer whose probe is
    older than ``fresh_s`` starts a new probe (one at a time, whatever the number of callers) and
    is still served while it runs, up to ``serve_for_s``; past that, the caller waits for the new
    probe. So a failure shows within about ``fresh_s`` plus the probe's own time, and no answer
    is ever older than ``serve_for_s``. Futures of the probes' thread pool, not event-loop tasks,
    so the monitor does not belong to one loop.
    """

    def __init__(self, fresh_s: float = FRESH_S, serve_for_s: float = SERVE_FOR_S) -> None:
        self.fresh_s = fresh_s
        self.serve_for_s = serve_for_s
        self._lock = threading.Lock()
        self._pending: _Round | None = None
        self._latest: tuple[float, Probe, Probe] | None = None

    def _adopt(self) -> None:
        if self._pending is not None and self._pending.done():
            round_, self._pending = self._pending, None
            if self._latest is None or round_.started > self._latest[0]:
                self._latest = (round_.started, *round_.results())

    def _refreshing(self, settings: Settings) -> _Round:
        if self._pending is None:
            self._pending = _Round(
                time.monotonic(),
                _THREADS.submit(probe_database, _probe_engine(settings.database_url)),
                _THREADS.submit(probe_broker, settings),
            )
        return self._pending

    async def probes(self, settings: Settings) -> tuple[Probe, Probe]:
        """The database's and the broker's latest probes (see the class for how old)."""
        with self._lock:
            self._adopt()
            latest, now = self._latest, time.monotonic()
            if latest is not None and now - latest[0] < self.fresh_s:
                return latest[1], latest[2]
            round_ = self._refreshing(settings)
            if latest is not None and now - latest[0] < self.serve_for_s:
                return latest[1], latest[2]
        database = await asyncio.wrap_future(round_.database)
        broker = await asyncio.wrap_future(round_.broker)
        with self._lock:
            self._adopt()
        return database, broker
