"""Mail task: run the outbox relay (kicked after each commit that queues an email, and swept
by beat every minute)."""

from __future__ import annotations

import dataclasses
from functools import partial

from core.config import get_settings
from core.db import get_engine, session_scope
from mailer.backends import backend_from_settings
from mailer.outbox import RELAY_TASK
from mailer.relay import RelayPolicy, relay_pending
from workers.app import app
from workers.base import SiaTask


@app.task(base=SiaTask, bind=True, name=RELAY_TASK)
def relay(self: SiaTask) -> dict[str, int]:
    """Send what is due. Kicks and sweeps may overlap freely: each run claims its own rows."""
    settings = get_settings()
    stats = relay_pending(
        partial(session_scope, get_engine()),
        backend_from_settings(settings),
        RelayPolicy.from_settings(settings),
    )
    return dataclasses.asdict(stats)
