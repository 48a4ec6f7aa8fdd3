"""The relay as a stream: many messages over a few reused connections, batches claimed while
others are on the wire, messages built one by one (a failure stays with its own message), and
outcomes written while the rest is still being sent."""

import asyncio
from collections import Counter
from collections.abc import AsyncIterable
from datetime import timedelta

from sqlmodel import select

from core.db import SessionFactory
from mailer import queue_email, store_attachment
from mailer.attachments import read_attachment
from mailer.backends import Delivered, Envelope, Report, SmtpBackend, SmtpConfig
from mailer.compose import envelope_for
from mailer.relay import MARK_DELAY, RelayPolicy, relay_once, relay_pending
from schema import OutboxEmail, OutboxStatus
from tests.mailer.samples import SAMPLES
from tests.mailer.smtp import Sink, serving


class PeerSink(Sink):
    """Also remembers which connection (client address and port) carried each message."""

    def __init__(self) -> None:
        super().__init__()
        self.peers: list[tuple[str, int]] = []

    async def handle_DATA(self, server, session, envelope) -> str:
        reply = await super().handle_DATA(server, session, envelope)
        if reply.startswith("250"):
            self.peers.append(session.peer)
        return reply


def _queue_many(factory: SessionFactory, count: int, attachments=()) -> list[int]:
    with factory() as session:
        rows = [
            queue_email(
                session,
                key=f"stream:{n}",
                template="aprobacion",
                to=[f"Desarrollador {n} <dev{n}@example.mx>"],
                context=SAMPLES["aprobacion"],
                attachments=attachments,
            )
            for n in range(count)
        ]
    return [row.id for row in rows if row.id is not None]


def _rows(factory: SessionFactory) -> dict[int, OutboxEmail]:
    with factory() as session:
        return {row.id: row for row in session.exec(select(OutboxEmail)).all() if row.id}


def test_many_messages_over_a_few_connections_go_once_each_in_one_run(factory, smtp_port, clock):
    files = [
        store_attachment(b'{"casos": [1]}' * 50, "set-de-pruebas.json", "application/json"),
        store_attachment(bytes(range(256)) * 8, "Términos.pdf", "application/pdf"),
    ]
    ids = _queue_many(factory, 45, attachments=files)
    sink = PeerSink()
    backend = SmtpBackend(SmtpConfig("127.0.0.1", smtp_port), connections=4, timeout=5)
    policy = RelayPolicy(batch_size=10, jitter=0)
    with serving(sink, smtp_port):
        stats = relay_pending(factory, backend, policy, clock=clock)
    assert (stats.claimed, stats.sent) == (45, 45)  # five claims, one run
    rows = _rows(factory)
    assert Counter(sink.message_ids()) == Counter(rows[i].message_id for i in ids)
    assert all(count == 1 for count in Counter(sink.message_ids()).values())
    # The connections opened for the first batch carried the next ones too.
    assert 1 < len(set(sink.peers)) <= 4
    assert all(rows[i].status is OutboxStatus.ENVIADO and rows[i].claim_token is None for i in ids)
    expected = [(f.filename, f.content_type, read_attachment(f)) for f in files]
    for arrival in sink.received:
        attached = [
            (p.get_filename(), p.get_content_type(), p.get_content())
            for p in arrival.message.iter_attachments()
        ]
        assert attached == expected


def test_one_connection_sends_in_claim_order_across_batches(factory, smtp_port, clock):
    ids = _queue_many(factory, 12)
    sink = Sink()
    backend = SmtpBackend(SmtpConfig("127.0.0.1", smtp_port), connections=1, timeout=5)
    with serving(sink, smtp_port):
        stats = relay_pending(factory, backend, RelayPolicy(batch_size=5, jitter=0), clock=clock)
    assert (stats.claimed, stats.sent) == (12, 12)
    rows = _rows(factory)
    assert sink.message_ids() == [rows[i].message_id for i in ids]


def test_an_email_that_cannot_be_built_fails_alone(
    factory, smtp_server, smtp_backend, clock, monkeypatch
):
    attachment = store_attachment(b"contenido", "anexo.txt", "text/plain")
    ids = _queue_many(factory, 8, attachments=[attachment])
    unrenderable, unreadable, broken = ids[1], ids[4], ids[6]
    with factory() as session:
        row = session.get(OutboxEmail, unrenderable)
        row.context = {"folio": "0501423523"}  # a template changed under queued rows
        session.add(row)
        row = session.get(OutboxEmail, unreadable)
        row.attachments = [{**attachment.as_json(), "path": "adjuntos/00/" + "0" * 64}]
        session.add(row)
    build = envelope_for

    def fails_for_one(email, files):
        if email.id == broken:
            raise RuntimeError("fallo inesperado")
        return build(email, files)

    monkeypatch.setattr("mailer.relay.envelope_for", fails_for_one)
    policy = RelayPolicy(batch_size=50, max_attempts=3, jitter=0)
    stats = relay_once(factory, smtp_backend, policy, clock=clock)
    assert (stats.claimed, stats.sent, stats.dead, stats.retrying) == (8, 5, 1, 2)
    rows = _rows(factory)
    assert rows[unrenderable].status is OutboxStatus.FALLIDO
    assert "razon_social" in (rows[unrenderable].last_error or "")
    for transient, error in ((unreadable, "adjunto ilegible"), (broken, "fallo inesperado")):
        assert rows[transient].status is OutboxStatus.PENDIENTE
        assert rows[transient].attempts == 1 and error in (rows[transient].last_error or "")
        assert rows[transient].next_attempt_at == clock() + policy.backoff
    sent = [i for i in ids if i not in (unrenderable, unreadable, broken)]
    assert sorted(smtp_server.message_ids()) == sorted(rows[i].message_id for i in sent)
    assert all(rows[i].status is OutboxStatus.ENVIADO for i in sent)


def test_each_attachment_is_read_once_per_batch(
    factory, smtp_server, smtp_backend, clock, monkeypatch
):
    files = [
        store_attachment(bytes([n]) * 100, f"anexo{n}.bin", "application/octet-stream")
        for n in range(2)
    ]
    _queue_many(factory, 20, attachments=files)
    reads: list[str] = []

    def counting(attachment):
        reads.append(attachment.path)
        return read_attachment(attachment)

    monkeypatch.setattr("mailer.relay.read_attachment", counting)
    stats = relay_once(factory, smtp_backend, RelayPolicy(batch_size=50, jitter=0), clock=clock)
    assert stats.sent == 20
    assert sorted(reads) == sorted(f.path for f in files)
    assert len(smtp_server.received) == 20


def test_an_outcome_is_written_while_the_rest_is_still_being_sent(factory, clock):
    first, *_ = _queue_many(factory, 3)
    seen: list[OutboxStatus] = []

    def status_of_first() -> OutboxStatus:
        with factory() as session:
            row = session.get(OutboxEmail, first)
            assert row is not None
            status: OutboxStatus = row.status
            return status

    class Slow:
        """Accepts each message, then takes a while before the next one."""

        async def deliver(
            self, envelopes: AsyncIterable[Envelope], report: Report, *, deadline: float
        ) -> None:
            async for envelope in envelopes:
                report(Delivered(envelope.ref))
                await asyncio.sleep(MARK_DELAY * 6)
                seen.append(await asyncio.to_thread(status_of_first))

    assert relay_once(factory, Slow(), RelayPolicy(jitter=0), clock=clock).sent == 3
    assert seen[0] is OutboxStatus.ENVIADO  # before the second message went out


def test_a_run_stops_claiming_once_a_batch_delivers_nothing(factory, smtp_server, smtp_port, clock):
    smtp_server.data_reply = "451 4.3.0 Try again later"
    _queue_many(factory, 20)
    backend = SmtpBackend(SmtpConfig("127.0.0.1", smtp_port), connections=2, timeout=5)
    stats = relay_pending(factory, backend, RelayPolicy(batch_size=8, jitter=0), clock=clock)
    assert (stats.claimed, stats.retrying, stats.sent) == (8, 8, 0)
    rows = _rows(factory).values()
    assert Counter(row.attempts for row in rows) == Counter({1: 8, 0: 12})
    assert all(row.status is OutboxStatus.PENDIENTE and row.claim_token is None for row in rows)


def test_past_the_deadline_nothing_is_built_and_every_claim_is_released(
    factory, smtp_server, smtp_backend, clock, monkeypatch
):
    ids = _queue_many(factory, 5)
    built: list[int] = []
    build = envelope_for

    def counting(email, files):
        built.append(email.id)
        return build(email, files)

    monkeypatch.setattr("mailer.relay.envelope_for", counting)
    # Sending stops half a claim timeout after the claim: here, at once.
    expired = RelayPolicy(claim_timeout=timedelta(0), jitter=0)
    stats = relay_once(factory, smtp_backend, expired, clock=clock)
    assert (stats.claimed, stats.released, stats.sent) == (5, 5, 0)
    assert built == [] and smtp_server.received == []
    rows = _rows(factory)
    assert all(rows[i].status is OutboxStatus.PENDIENTE and rows[i].attempts == 0 for i in ids)
