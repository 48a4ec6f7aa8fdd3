"""Reachability probes for /healthz.

They run on threads and connections of their own: under load every thread of the web's pool
may be busy with requests (password checks among them) and every pooled connection taken, and
the probe must still answer at once that the server is alive and what it reaches.
"""

from __future__ import annotations

import asyncio
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache

from kombu import Connection
from sqlalchemy import text
from sqlalchemy.engine import Engine

from core.config import Settings
from core.db import make_engine

_THREADS = ThreadPoolExecutor(max_workers=2, thread_name_prefix="healthz")


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


async def probe_all(settings: Settings) -> tuple[Probe, Probe]:
    """The database and the broker, probed at the same time on the probes' own threads."""
    loop = asyncio.get_running_loop()
    database = loop.run_in_executor(_THREADS, probe_database, _probe_engine(settings.database_url))
    broker = loop.run_in_executor(_THREADS, probe_broker, settings)
    return await database, await broker
