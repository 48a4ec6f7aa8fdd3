"""SMTP down, then up: every email is delivered, exactly once (issue 18).

Extends ``tests/mailer/test_relay.py`` (three emails, a refused connection, one relay call with
an injected policy) to the relay *task* as a worker runs it — its policy from the settings —,
several batches, and the three ways a mail server is down in practice, one after the other on
the same port: nothing listening (connection refused), a server that accepts and never speaks
(the relay's timeout), and one that greets with ``421`` (in maintenance). Each outage costs
every email one attempt and backoff; none is dead-lettered before its attempts run out. Then
the server comes up and each email arrives once, counted by Message-ID.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import datetime, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from core import config
from core.clock import travel_to, utcnow
from core.config import Settings
from mailer import queue_email
from schema import OutboxEmail, OutboxStatus
from tests.mailer.samples import SAMPLES
from tests.mailer.smtp import Sink, free_port, serving
from workers.tasks.mail import relay

pytestmark = [
    pytest.mark.slow,
    pytest.mark.parametrize("db_url", ["postgresql"], indirect=True),
]

EMAILS = 25
BATCH = 10
MAX_ATTEMPTS = 5
BACKOFF_MAX = timedelta(minutes=10)


@contextmanager
def raw_server(port: int, greet: Callable[[socket.socket], None]) -> Iterator[None]:
    """A TCP server on ``port`` that does ``greet`` with each connection it accepts, then
    keeps it open (until the block ends) unless ``greet`` closed it."""
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen(64)
    listener.settimeout(0.1)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            accepted.append(connection)
            greet(connection)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(5)
        listener.close()
        for connection in accepted:
            connection.close()


def silent(connection: socket.socket) -> None:
    """Accepts and never says a word (a hung server, a black-holing firewall)."""


def in_maintenance(connection: socket.socket) -> None:
    connection.sendall(b"421 4.3.2 Servicio no disponible, intente mas tarde\r\n")
    connection.close()


@pytest.fixture
def mail_settings(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, sent_tasks: list[object]
) -> Iterator[int]:
    """The relay's settings, as a worker reads them: SMTP on a free port, small numbers. The
    relay kicks after each commit are recorded (the test runs the task itself)."""
    port = free_port()
    for name, value in {
        "SIA_MAIL_URL": f"smtp://127.0.0.1:{port}",
        "SIA_MAIL_BATCH_SIZE": BATCH,
        "SIA_MAIL_CONNECTIONS": 4,
        "SIA_MAIL_MAX_ATTEMPTS": MAX_ATTEMPTS,
        "SIA_MAIL_BACKOFF_SECONDS": 60,
        "SIA_MAIL_BACKOFF_MAX_SECONDS": BACKOFF_MAX.total_seconds(),
        "SIA_MAIL_TIMEOUT_SECONDS": 1,
    }.items():
        monkeypatch.setenv(name, str(value))
    config.get_settings.cache_clear()
    yield port
    config.get_settings.cache_clear()


def _rows(engine: Engine) -> list[OutboxEmail]:
    with Session(engine) as session:
        return list(session.exec(select(OutboxEmail).order_by(col(OutboxEmail.id))).all())


def _relay_until_nothing_is_due(at: datetime) -> list[dict[str, int]]:
    """Run the relay task (as kicks and beat's sweeps do) until a run claims nothing."""
    runs = []
    for _ in range(2 * EMAILS // BATCH + 3):
        began = time.monotonic()
        with travel_to(at):
            stats = relay()
        assert time.monotonic() - began < 10, f"a relay run took too long: {stats}"
        runs.append(stats)
        if stats["claimed"] == 0:
            return runs
    pytest.fail(f"the relay never ran out of due emails: {runs}")


def test_every_email_queued_while_smtp_is_down_arrives_once_when_it_is_back(
    mail_settings: int, engine: Engine
) -> None:
    port = mail_settings
    with Session(engine) as session:
        for n in range(EMAILS):
            queue_email(
                session,
                key=f"certification:{n}:approved",
                template="aprobacion",
                to=[f"Vendedor {n} <vendedor{n}@example.mx>"],
                context=SAMPLES["aprobacion"],
            )
        session.commit()
    expected = sorted(row.message_id for row in _rows(engine))
    assert len(expected) == EMAILS

    outages: list[tuple[str, Callable[[], AbstractContextManager[None]], str]] = [
        (
            "nothing listening",
            nullcontext,
            f"SMTPConnectError: Error connecting to 127.0.0.1 on port {port}: "
            f"[Errno 111] Connect call failed ('127.0.0.1', {port})",
        ),
        (
            "a silent server",
            lambda: raw_server(port, silent),
            "SMTPConnectTimeoutError: Timed out waiting for server ready message",
        ),
        (
            "a server in maintenance",
            lambda: raw_server(port, in_maintenance),
            "SMTPConnectResponseError: (421, '4.3.2 Servicio no disponible, intente mas tarde')",
        ),
    ]
    moment = utcnow()
    for attempt, (outage, server, reason) in enumerate(outages, start=1):
        # Each outage a while later: every email's backoff has passed.
        moment += BACKOFF_MAX + timedelta(minutes=1)
        with server():
            runs = _relay_until_nothing_is_due(moment)
        assert sum(run["sent"] for run in runs) == 0, outage
        assert sum(run["dead"] for run in runs) == 0, outage
        assert sum(run["retrying"] for run in runs) == EMAILS, (outage, runs)
        for row in _rows(engine):
            assert row.status is OutboxStatus.PENDIENTE, (outage, row.status)
            assert row.attempts == attempt and row.last_error, (outage, row)
            assert row.next_attempt_at > moment  # backing off
            assert row.claim_token is None
        assert {row.last_error for row in _rows(engine)} == {reason}, outage

    sink = Sink()
    with serving(sink, port):
        moment += BACKOFF_MAX + timedelta(minutes=1)
        runs = _relay_until_nothing_is_due(moment)
        assert sum(run["sent"] for run in runs) == EMAILS, runs
        # Later sweeps find nothing more to send.
        moment += timedelta(hours=6)
        assert _relay_until_nothing_is_due(moment) == [
            {"claimed": 0, "sent": 0, "retrying": 0, "dead": 0, "released": 0}
        ]
    assert sorted(sink.message_ids()) == expected  # each one, once
    for row in _rows(engine):
        assert row.status is OutboxStatus.ENVIADO and row.attempts == len(outages)
        assert row.sent_at == moment - timedelta(hours=6)
