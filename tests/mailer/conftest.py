"""Fixtures for the mail tests: settings on a real database, a real SMTP server per test, an
injected clock and a relay policy with small numbers."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from functools import partial

import pytest
from sqlalchemy.engine import Engine

from core.clock import utcnow
from core.config import Settings
from core.db import SessionFactory, session_scope
from mailer.backends import SmtpBackend, SmtpConfig
from mailer.relay import RelayPolicy
from tests.mailer.smtp import Sink, free_port, serving


class FakeClock:
    """Stands still until told to move; starts at the real time of its first reading, so rows
    queued before it (stamped with the real time) are already due."""

    def __init__(self) -> None:
        self._now: datetime | None = None

    def __call__(self) -> datetime:
        if self._now is None:
            self._now = utcnow()
        return self._now

    def advance(self, **delta: float) -> datetime:
        self._now = self() + timedelta(**delta)
        return self._now


@pytest.fixture(autouse=True)
def kicks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Relay kicks sent after each commit, recorded instead of sent: a real send would bind the
    shared Celery app's producer pool to this test's broker for the rest of the session.
    test_task.py overrides this fixture to let them through to a real worker."""
    asked: list[str] = []
    monkeypatch.setattr("core.enqueue._sender", lambda task, args: asked.append(task))
    return asked


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def policy() -> RelayPolicy:
    return RelayPolicy(
        batch_size=50,
        max_attempts=3,
        backoff=timedelta(seconds=10),
        backoff_max=timedelta(seconds=60),
        jitter=0,
        claim_timeout=timedelta(seconds=30),
    )


@pytest.fixture
def factory(settings: Settings, engine: Engine) -> SessionFactory:
    """Transactions on the test database, with process settings pointed at it."""
    return partial(session_scope, engine)


@pytest.fixture
def smtp_port() -> int:
    return free_port()


@pytest.fixture
def sink() -> Sink:
    return Sink()


@pytest.fixture
def smtp_server(sink: Sink, smtp_port: int) -> Iterator[Sink]:
    with serving(sink, smtp_port):
        yield sink


@pytest.fixture
def smtp_backend(smtp_port: int) -> SmtpBackend:
    return SmtpBackend(SmtpConfig("127.0.0.1", smtp_port), connections=4, timeout=5)
