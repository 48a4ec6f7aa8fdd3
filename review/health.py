"""Reachability probes for /healthz."""

from __future__ import annotations

import os
from dataclasses import dataclass

from kombu import Connection
from sqlalchemy import text
from sqlalchemy.engine import Engine

from core.config import Settings


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
