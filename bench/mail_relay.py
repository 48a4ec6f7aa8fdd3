"""Outbox relay throughput: ``python bench/mail_relay.py [--messages N]``.

N queued emails (with a small attachment) go through the relay of one process to a local
aiosmtpd whose DATA handler waits 50 ms, as a real relay does while it writes and scans the
message; then the same N go through a naive sender that opens one SMTP connection per message
and marks each row in its own transaction. Target: the relay is at least 10× the naive sender.
The same pair is measured against a server that does not wait. Everything lives in a
temporary directory (a throwaway SQLite database, the stored attachment).
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import smtplib
import socket
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

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
            raise SystemExit("el servidor SMTP no arrancó")
        yield port, accepted
    finally:
        stop.set()
        server.join(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sia-bench-mail-") as workdir:
        os.environ["SIA_VAR_DIR"] = workdir
        os.environ["SIA_DATABASE_URL"] = f"sqlite:///{Path(workdir) / 'bench.sqlite3'}"
        os.environ["SIA_BROKER_URL"] = "memory://"  # the relay is called directly
        run(args.messages)


def run(count: int) -> None:
    # Imported only now: settings are read once per process, from the variables main set.
    from core.config import get_settings
    from core.db import get_engine, session_scope
    from schema.migrate import upgrade

    settings = get_settings()
    upgrade(settings.database_url)
    factory = partial(session_scope, get_engine())
    print(f"mensajes por prueba: {count}")
    print(
        f"conexiones SMTP del relay: {settings.mail_connections}; "
        f"lote: {settings.mail_batch_size}; base de datos: SQLite"
    )
    for delay, label in (
        (SLOW_DATA, "servidor que tarda 50 ms en DATA"),
        (0, "servidor sin espera"),
    ):
        with smtp_server(delay) as (port, accepted):
            relay_rate = measure(factory, count, accepted, partial(relay, port))
            naive_rate = measure(factory, count, accepted, partial(naive, port))
        ratio = relay_rate / naive_rate
        print(f"{label}:")
        print(f"  relay:  {relay_rate:8,.1f} mensajes/s")
        print(f"  ingenuo (una conexión por mensaje): {naive_rate:8,.1f} mensajes/s")
        print(f"  relación: {ratio:.1f}×")
        if delay:
            print(f"  meta ≥ {TARGET}×: {'cumplida' if ratio >= TARGET else 'NO cumplida'}")
    get_engine().dispose()


def measure(
    factory: Callable[[], Any],
    count: int,
    accepted: Any,
    send: Callable[[Callable[[], Any]], None],
) -> float:
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
    began = time.perf_counter()
    send(factory)
    seconds = time.perf_counter() - began
    with factory() as session:
        sent = session.exec(
            select(func.count())
            .select_from(OutboxEmail)
            .where(OutboxEmail.status == OutboxStatus.ENVIADO)
        ).one()
    if sent != count or accepted.value - before != count:
        raise SystemExit(f"se enviaron {sent} de {count} (servidor: {accepted.value - before})")
    return count / seconds


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
    from mailer.compose import QueuedEmail, envelope_for
    from schema import OutboxEmail, OutboxStatus

    with factory() as session:
        rows = session.exec(
            select(OutboxEmail)
            .where(OutboxEmail.status == OutboxStatus.PENDIENTE)
            .order_by(col(OutboxEmail.id))
        ).all()
    for row in rows:
        envelope = envelope_for(QueuedEmail.from_row(row))
        with smtplib.SMTP("127.0.0.1", port) as smtp:
            smtp.sendmail(envelope.sender, list(envelope.recipients), envelope.data)
        with factory() as session:
            row.status, row.sent_at = OutboxStatus.ENVIADO, utcnow()
            session.add(row)


if __name__ == "__main__":
    main()
