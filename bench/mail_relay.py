"""Outbox relay throughput: ``python -m bench.mail_relay [--messages N] [--rounds R]``.

N queued emails (with a small attachment) go through the relay of one process to a local
aiosmtpd, in its own process, whose DATA handler waits 50 ms, as a real relay does while it
writes and scans the message; then the same N go through a naive sender that opens one SMTP
connection per message and marks each row in its own transaction. Goal (issue 17): the relay
is at least 10× the naive sender. The pair is measured R times, alternating which goes first;
the figure is the median ratio, with the lowest and highest recorded beside it (the machine may
be shared). The same pair is measured against a server that does not wait, for information.
Everything lives in a temporary directory (a throwaway SQLite database, the stored attachment).
Exits 1 when the goal is missed.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import smtplib
import socket
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

from bench.report import record

TARGET = 10
SLOW_DATA = 0.05


class CountingHandler:
    def __init__(self, delay: float, accepted: Any) -> None:
        self.delay = delay
        self.accepted = accepted  # a multiprocessing.Value shared with the bench

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.delay:
            await asyncio.sleep(self.delay)
        with self.accepted.get_lock():
            self.accepted.value += 1
        return "250 2.0.0 Ok: queued"


def _serve(port: int, delay: float, accepted: Any, ready: Any, stop: Any) -> None:
    controller = Controller(
        CountingHandler(delay, accepted), hostname="127.0.0.1", port=port, server_hostname="bench"
    )
    controller.start()
    ready.set()
    stop.wait()
    controller.stop()


@contextmanager
def smtp_server(delay: float) -> Iterator[tuple[int, Any]]:
    """aiosmtpd in its own process, as a real relay would be: its work does not compete with
    the sender's for one interpreter."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    accepted, ready, stop = (
        multiprocessing.Value("i", 0),
        multiprocessing.Event(),
        multiprocessing.Event(),
    )
    server = multiprocessing.Process(target=_serve, args=(port, delay, accepted, ready, stop))
    server.start()
    try:
        if not ready.wait(10):
            raise SystemExit("the SMTP server did not start")
        yield port, accepted
    finally:
        stop.set()
        server.join(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sia-bench-mail-") as workdir:
        os.environ["SIA_VAR_DIR"] = workdir
        os.environ["SIA_DATABASE_URL"] = f"sqlite:///{Path(workdir) / 'bench.sqlite3'}"
        os.environ["SIA_BROKER_URL"] = "memory://"  # the relay is called directly
        met = run(args.messages, args.rounds)
    if not met:
        raise SystemExit(1)


@dataclass(frozen=True)
class Rates:
    relay: float  # messages/s
    naive: float  # messages/s
    relay_cpu: float  # CPU seconds of this process per message while the relay ran

    @property
    def ratio(self) -> float:
        return self.relay / self.naive


def run(count: int, rounds: int) -> bool:
    # Imported only now: settings are read once per process, from the variables main set.
    from core.config import get_settings
    from core.db import get_engine, session_scope
    from schema.migrate import upgrade

    settings = get_settings()
    upgrade(settings.database_url)
    factory = partial(session_scope, get_engine())
    print(
        f"messages per run: {count}; rounds: {rounds}; relay connections: "
        f"{settings.mail_connections}; batch: {settings.mail_batch_size}; database: SQLite"
    )
    met = True
    for delay, label in ((SLOW_DATA, "50 ms relay"), (0, "relay without wait")):
        with smtp_server(delay) as (port, accepted):
            measured = [
                measure_pair(factory, count, accepted, port, relay_first=n % 2 == 0)
                for n in range(rounds)
            ]
        ratios = [rates.ratio for rates in measured]
        ratio = statistics.median(ratios)
        name = f"mail_relay: relay vs naive sender, {label}"
        if delay:
            met = record(name, ratio, "×", f"≥ {TARGET}×", ratio >= TARGET)
        else:
            record(name, ratio, "×")
        record(f"{name}, lowest of {rounds}", min(ratios), "×")
        record(f"{name}, highest of {rounds}", max(ratios), "×")
        for what, values in (
            ("relay", [rates.relay for rates in measured]),
            ("naive sender", [rates.naive for rates in measured]),
        ):
            record(f"mail_relay: {what}, {label}", statistics.median(values), "messages/s")
        cpu = statistics.median(rates.relay_cpu for rates in measured)
        record(f"mail_relay: relay CPU per message, {label}", cpu * 1000, "ms")
    get_engine().dispose()
    return met


def measure_pair(
    factory: Callable[[], Any], count: int, accepted: Any, port: int, *, relay_first: bool
) -> Rates:
    """The relay and the naive sender on the same N messages, one after the other."""
    timed: dict[str, tuple[float, float]] = {}
    senders = [("relay", partial(relay, port)), ("naive", partial(naive, port))]
    for name, send in senders if relay_first else senders[::-1]:
        timed[name] = measure(factory, count, accepted, send)
    (relay_s, relay_cpu), (naive_s, _) = timed["relay"], timed["naive"]
    return Rates(relay=count / relay_s, naive=count / naive_s, relay_cpu=relay_cpu / count)


def measure(
    factory: Callable[[], Any],
    count: int,
    accepted: Any,
    send: Callable[[Callable[[], Any]], None],
) -> tuple[float, float]:
    """Wall-clock and CPU seconds (this process) to send ``count`` freshly queued emails."""
    from sqlmodel import delete, func, select

    from mailer import queue_email, store_attachment
    from schema import OutboxEmail, OutboxStatus

    with factory() as session:
        session.exec(delete(OutboxEmail))
    attachment = store_attachment(b'{"casos": []}' * 100, "set-de-pruebas.json", "application/json")
    context = {"folio": "0501423523", "razon_social": "Nóminas Ñandú, S.A. de C.V."}
    with factory() as session:
        for n in range(count):
            queue_email(
                session,
                key=f"bench:{time.monotonic_ns()}:{n}",
                template="aprobacion",
                to=[f"Desarrollador {n} <dev{n}@example.mx>"],
                context=context,
                attachments=[attachment],
            )
    before = accepted.value
    began, cpu = time.perf_counter(), time.process_time()
    send(factory)
    seconds, cpu = time.perf_counter() - began, time.process_time() - cpu
    with factory() as session:
        sent = session.exec(
            select(func.count())
            .select_from(OutboxEmail)
            .where(OutboxEmail.status == OutboxStatus.ENVIADO)
        ).one()
    if sent != count or accepted.value - before != count:
        raise SystemExit(f"sent {sent} of {count} (the server accepted {accepted.value - before})")
    return seconds, cpu


def relay(port: int, factory: Callable[[], Any]) -> None:
    from core.config import get_settings
    from mailer.backends import SmtpBackend, SmtpConfig
    from mailer.relay import RelayPolicy, relay_pending

    settings = get_settings()
    backend = SmtpBackend(SmtpConfig("127.0.0.1", port), connections=settings.mail_connections)
    while relay_pending(factory, backend, RelayPolicy.from_settings(settings)).claimed:
        pass


def naive(port: int, factory: Callable[[], Any]) -> None:
    """What one would write first: for each row, connect, send, quit, mark."""
    from sqlmodel import col, select

    from core.clock import utcnow
    from mailer.compose import QueuedEmail, envelope_for, read_files
    from schema import OutboxEmail, OutboxStatus

    with factory() as session:
        rows = session.exec(
            select(OutboxEmail)
            .where(OutboxEmail.status == OutboxStatus.PENDIENTE)
            .order_by(col(OutboxEmail.id))
        ).all()
    for row in rows:
        email = QueuedEmail.from_row(row)
        envelope = envelope_for(email, read_files(email))
        with smtplib.SMTP("127.0.0.1", port) as smtp:
            smtp.sendmail(envelope.sender, list(envelope.recipients), envelope.data)
        with factory() as session:
            row.status, row.sent_at = OutboxStatus.ENVIADO, utcnow()
            session.add(row)


if __name__ == "__main__":
    main()
