"""The relay against a real SMTP server and real databases: delivery, faults, concurrency."""

import asyncio
import threading
from collections import Counter
from collections.abc import AsyncIterable
from datetime import timedelta
from email import policy as email_policy
from email.parser import BytesParser

import pytest
from sqlmodel import Session, select

from core.db import SessionFactory, make_engine
from mailer import dead_letters, queue_email, requeue, store_attachment
from mailer.attachments import read_attachment
from mailer.backends import Delivered, Envelope, Failed, FileBackend, Report
from mailer.compose import QueuedEmail, compose, message_bytes, read_files
from mailer.relay import RelayPolicy, backoff_delay, claim_batch, relay_once
from mailer.render import render
from schema import OutboxEmail, OutboxStatus
from tests.mailer.samples import RAZON_SOCIAL, SAMPLES
from tests.mailer.smtp import body, serving

OK = "jose.nunez@example.mx"
TO = [f"José Núñez <{OK}>", "Revisión Ágil <revision@example.mx>"]
REFUSED = "inexistente@example.mx"


def _queue(factory: SessionFactory, key: str, to=TO, template: str = "aprobacion") -> int:
    with factory() as session:
        row = queue_email(session, key=key, template=template, to=to, context=SAMPLES[template])
        assert row.id is not None
        return row.id


def _row(factory: SessionFactory, email_id: int) -> OutboxEmail:
    with factory() as session:
        row = session.get(OutboxEmail, email_id)
        assert row is not None
        return row


def test_every_template_arrives_through_smtp_intact(
    factory, smtp_server, smtp_backend, policy, clock
):
    attachments = [
        store_attachment(
            b'{"folio": "0501423523", "\xc3\xb1": true}',
            "set-de-pruebas Ñandú.json",
            "application/json",
        ),
        store_attachment(bytes(range(256)) * 64, "Términos de aprobación.pdf", "application/pdf"),
    ]
    with factory() as session:
        rows = {
            template: queue_email(
                session,
                key=f"sample:{template}",
                template=template,
                to=TO,
                context=context,
                attachments=attachments,
            )
            for template, context in SAMPLES.items()
        }
    stats = relay_once(factory, smtp_backend, policy, clock=clock)
    assert (stats.claimed, stats.sent) == (len(SAMPLES), len(SAMPLES))

    received = {r.message["Message-ID"]: r for r in smtp_server.received}
    assert len(received) == len(SAMPLES)
    expected_files = [(a.filename, a.content_type, read_attachment(a)) for a in attachments]
    for template, row in rows.items():
        arrival = received[row.message_id]
        assert arrival.data.isascii(), template
        assert arrival.mail_from == "no-responder@sia.infonavit.example"
        assert sorted(arrival.rcpt_tos) == [OK, "revision@example.mx"]
        message = arrival.message
        expected = render(template, SAMPLES[template])
        assert message["Subject"] == expected.subject, template
        assert [a.display_name for a in message["To"].addresses] == ["José Núñez", "Revisión Ágil"]
        assert message["From"].addresses[0].display_name == "SIA Certificación"
        text, html = body(message, "plain"), body(message, "html")
        assert (text, html) == (expected.text, expected.html), template
        assert RAZON_SOCIAL in text
        files = [
            (p.get_filename(), p.get_content_type(), p.get_content())
            for p in message.iter_attachments()
        ]
        assert files == expected_files, template
    for row in rows.values():
        assert row.id is not None
        stored = _row(factory, row.id)
        assert stored.status is OutboxStatus.ENVIADO and stored.sent_at == clock()
        assert stored.attempts == 0 and stored.claim_token is None


def test_a_second_relay_run_changes_nothing(factory, smtp_server, smtp_backend, policy, clock):
    email_id = _queue(factory, "certification:1:approved")
    assert relay_once(factory, smtp_backend, policy, clock=clock).sent == 1
    sent = _row(factory, email_id)
    clock.advance(hours=1)
    assert relay_once(factory, smtp_backend, policy, clock=clock).claimed == 0
    assert _row(factory, email_id).sent_at == sent.sent_at
    assert len(smtp_server.received) == 1


def test_server_down_for_a_while_then_every_email_arrives_once(
    factory, sink, smtp_port, smtp_backend, policy, clock
):
    ids = [_queue(factory, f"certification:{n}:approved") for n in range(3)]
    failed_at = clock()
    stats = relay_once(factory, smtp_backend, policy, clock=clock)
    assert (stats.claimed, stats.retrying, stats.sent) == (3, 3, 0)
    for email_id in ids:
        row = _row(factory, email_id)
        assert row.status is OutboxStatus.PENDIENTE and row.attempts == 1
        assert row.next_attempt_at == failed_at + policy.backoff
        assert row.last_error and "Connect" in row.last_error

    clock.advance(seconds=5)  # still backing off: nothing is tried
    assert relay_once(factory, smtp_backend, policy, clock=clock).claimed == 0
    with serving(sink, smtp_port):
        clock.advance(seconds=5)
        stats = relay_once(factory, smtp_backend, policy, clock=clock)
        assert (stats.claimed, stats.sent) == (3, 3)
        clock.advance(minutes=5)
        assert relay_once(factory, smtp_backend, policy, clock=clock).claimed == 0
    assert sorted(sink.message_ids()) == sorted(_row(factory, i).message_id for i in ids)
    assert all(_row(factory, i).status is OutboxStatus.ENVIADO for i in ids)


def test_worker_killed_between_send_and_mark_resends_once_with_the_same_message_id(
    factory, smtp_server, smtp_backend, policy, clock
):
    email_id = _queue(factory, "certification:2:approved")
    uses = 0

    def dies_after_the_claim():
        nonlocal uses
        uses += 1
        if uses > 1:
            raise SystemExit("worker killed")  # the claim committed; marking never happens
        return factory()

    with pytest.raises(SystemExit):
        relay_once(dies_after_the_claim, smtp_backend, policy, clock=clock)
    assert len(smtp_server.received) == 1
    assert _row(factory, email_id).status is OutboxStatus.ENVIANDO

    clock.advance(seconds=20)  # the claim is not stale yet: nobody touches it
    assert relay_once(factory, smtp_backend, policy, clock=clock).claimed == 0
    clock.advance(seconds=11)
    stats = relay_once(factory, smtp_backend, policy, clock=clock)
    assert (stats.claimed, stats.sent) == (1, 1)
    clock.advance(hours=1)
    assert relay_once(factory, smtp_backend, policy, clock=clock).claimed == 0

    row = _row(factory, email_id)
    assert row.status is OutboxStatus.ENVIADO and row.attempts == 0
    assert smtp_server.message_ids() == [row.message_id, row.message_id]
    first, again = smtp_server.received
    assert first.data == again.data  # the same message, byte for byte


def test_a_relay_whose_claim_was_taken_over_cannot_mark_the_row(factory, policy, clock):
    email_id = _queue(factory, "certification:3:approved")
    successor = Recorder()

    class Stalled:
        """Hangs past the claim timeout; meanwhile another relay takes the row over."""

        async def deliver(
            self, envelopes: AsyncIterable[Envelope], report: Report, *, deadline: float
        ) -> None:
            clock.advance(seconds=31)
            taken = await asyncio.to_thread(relay_once, factory, successor, policy, clock=clock)
            assert (taken.claimed, taken.sent) == (1, 1)
            async for envelope in envelopes:
                report(Failed(envelope.ref, "421 timed out", permanent=False))

    stats = relay_once(factory, Stalled(), policy, clock=clock)
    assert (stats.claimed, stats.retrying, stats.sent) == (1, 0, 0)
    row = _row(factory, email_id)
    assert row.status is OutboxStatus.ENVIADO and row.attempts == 0 and row.last_error is None
    assert successor.refs == [email_id]


def test_permanent_refusal_dead_letters_after_one_attempt(
    factory, smtp_server, smtp_backend, policy, clock
):
    smtp_server.refuse[REFUSED] = "550 5.1.1 No such mailbox"
    bounced = _queue(factory, "certification:4:approved", to=[REFUSED])
    fine = _queue(factory, "certification:5:approved")
    stats = relay_once(factory, smtp_backend, policy, clock=clock)
    assert (stats.sent, stats.dead, stats.retrying) == (1, 1, 0)
    row = _row(factory, bounced)
    assert row.status is OutboxStatus.FALLIDO and row.attempts == 1
    assert row.last_error == f"{REFUSED}: 550 5.1.1 No such mailbox"
    with factory() as session:
        assert [r.id for r in dead_letters(session)] == [bounced]
    assert _row(factory, fine).status is OutboxStatus.ENVIADO
    assert smtp_server.message_ids() == [_row(factory, fine).message_id]


def test_refusal_of_some_recipients_sends_to_the_rest_and_notes_who(
    factory, smtp_server, smtp_backend, policy, clock
):
    smtp_server.refuse[REFUSED] = "550 5.1.1 No such mailbox"
    email_id = _queue(factory, "certification:6:approved", to=[TO[0], REFUSED])
    assert relay_once(factory, smtp_backend, policy, clock=clock).sent == 1
    row = _row(factory, email_id)
    assert row.status is OutboxStatus.ENVIADO
    assert row.last_error == f"Destinatarios rechazados: {REFUSED}: 550 5.1.1 No such mailbox"
    assert [r.rcpt_tos for r in smtp_server.received] == [[OK]]


def test_temporary_refusal_retries_after_backoff(factory, smtp_server, smtp_backend, policy, clock):
    smtp_server.data_reply = "451 4.3.0 Try again later"
    email_id = _queue(factory, "certification:7:approved")
    assert relay_once(factory, smtp_backend, policy, clock=clock).retrying == 1
    row = _row(factory, email_id)
    assert (row.status, row.attempts, row.last_error) == (
        OutboxStatus.PENDIENTE,
        1,
        "451 4.3.0 Try again later",
    )
    smtp_server.data_reply = None
    clock.advance(seconds=10)
    assert relay_once(factory, smtp_backend, policy, clock=clock).sent == 1
    assert _row(factory, email_id).last_error is None
    assert len(smtp_server.received) == 1


def test_out_of_attempts_is_dead_lettered_and_requeue_sends_it(
    factory, sink, smtp_port, smtp_backend, policy, clock
):
    email_id = _queue(factory, "certification:8:approved")
    waits = []
    for _ in range(policy.max_attempts):
        stats = relay_once(factory, smtp_backend, policy, clock=clock)
        assert stats.claimed == 1
        row = _row(factory, email_id)
        waits.append(row.next_attempt_at - clock())
        clock.advance(minutes=5)
    assert stats.dead == 1
    assert waits[:2] == [timedelta(seconds=10), timedelta(seconds=20)]
    assert (row.status, row.attempts) == (OutboxStatus.FALLIDO, policy.max_attempts)
    assert relay_once(factory, smtp_backend, policy, clock=clock).claimed == 0

    with factory() as session:
        assert [r.id for r in dead_letters(session)] == [email_id]
        with pytest.raises(LookupError, match="No existe"):
            requeue(session, 999_999)
        requeue(session, email_id, now=clock())
    with factory() as session, pytest.raises(ValueError, match="solo se reenvía"):
        requeue(session, email_id)
    with serving(sink, smtp_port):
        assert relay_once(factory, smtp_backend, policy, clock=clock).sent == 1
    assert _row(factory, email_id).status is OutboxStatus.ENVIADO
    assert len(sink.received) == 1


def test_a_row_that_can_never_render_is_dead_lettered(
    factory, smtp_server, smtp_backend, policy, clock
):
    email_id = _queue(factory, "certification:9:approved")
    with factory() as session:
        row = session.get(OutboxEmail, email_id)
        row.context = {"folio": "0501423523"}  # e.g. a template changed under queued rows
        session.add(row)
    assert relay_once(factory, smtp_backend, policy, clock=clock).dead == 1
    assert "razon_social" in (_row(factory, email_id).last_error or "")
    assert smtp_server.received == []


def test_backoff_doubles_is_capped_and_jitter_only_shortens():
    policy = RelayPolicy(
        backoff=timedelta(seconds=60), backoff_max=timedelta(minutes=30), jitter=0.25
    )
    assert [backoff_delay(n, policy, 0).total_seconds() for n in range(1, 8)] == [
        60,
        120,
        240,
        480,
        960,
        1800,
        1800,
    ]
    assert backoff_delay(1, policy, 0.999).total_seconds() == pytest.approx(45, abs=0.1)
    assert backoff_delay(500, policy, 0.5) == timedelta(minutes=30) * 0.875


def test_file_backend_writes_one_eml_per_message_that_parses_back(factory, policy, clock, tmp_path):
    ids = [_queue(factory, f"certification:{n}:approved") for n in range(2)]
    backend = FileBackend(tmp_path / "mail")
    assert relay_once(factory, backend, policy, clock=clock).sent == 2
    files = sorted((tmp_path / "mail").iterdir())
    assert len(files) == 2 and all(f.suffix == ".eml" for f in files)
    for email_id in ids:
        with factory() as session:
            email = QueuedEmail.from_row(session.get(OutboxEmail, email_id))
        path = tmp_path / "mail" / (email.message_id.strip("<>") + ".eml")
        parsed = BytesParser(policy=email_policy.default).parsebytes(path.read_bytes())
        original = compose(email)
        for header in ("From", "To", "Subject", "Date", "Message-ID"):
            assert parsed[header] == original[header]
        for kind in ("plain", "html"):
            assert body(parsed, kind) == body(original, kind)
        assert path.read_bytes() == message_bytes(
            email, read_files(email)
        )  # what SMTP would have carried


class Recorder:
    """Accepts everything and remembers what it was asked to send."""

    def __init__(self) -> None:
        self.refs: list[int] = []
        self.lock = threading.Lock()

    async def deliver(
        self, envelopes: AsyncIterable[Envelope], report: Report, *, deadline: float
    ) -> None:
        async for envelope in envelopes:
            with self.lock:
                self.refs.append(envelope.ref)
            report(Delivered(envelope.ref))


def test_concurrent_relays_send_every_email_exactly_once(factory, clock):
    with factory() as session:
        for n in range(60):
            queue_email(
                session,
                key=f"bulk:{n}",
                template="aprobacion",
                to=[OK],
                context=SAMPLES["aprobacion"],
            )
    with factory() as session:
        ids = [row.id for row in session.exec(select(OutboxEmail)).all()]
    assert len(ids) == 60
    recorder = Recorder()
    small = RelayPolicy(batch_size=7, jitter=0)
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def relay_until_empty() -> None:
        barrier.wait()
        try:
            while relay_once(factory, recorder, small, clock=clock).claimed:
                pass
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=relay_until_empty) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert Counter(recorder.refs) == Counter(ids)
    assert all(_row(factory, i).status is OutboxStatus.ENVIADO for i in ids)


def test_postgresql_claims_skip_rows_another_open_claim_holds(pg_url, policy, clock):
    engine = make_engine(pg_url)
    try:
        with Session(engine) as session:
            for n in range(10):
                session.add(
                    OutboxEmail(
                        idempotency_key=f"k{n}",
                        message_id=f"<{n}@sia.infonavit.example>",
                        template="aprobacion",
                        recipients=[OK],
                        context=SAMPLES["aprobacion"],
                        status=OutboxStatus.PENDIENTE,
                    )
                )
            session.commit()
        few = RelayPolicy(batch_size=4, claim_timeout=policy.claim_timeout)
        with Session(engine) as first, Session(engine) as second:
            # Both transactions are open at once; the second must neither wait nor overlap.
            second.connection().exec_driver_sql("SET lock_timeout = '2s'")
            mine = claim_batch(first, token="a", now=clock(), policy=few)
            theirs = claim_batch(second, token="b", now=clock(), policy=few)
            first.commit()
            second.commit()
            later = claim_batch(first, token="c", now=clock(), policy=few)
            first.commit()
        claimed = [e.id for e in mine + theirs + later]
        assert len(mine) == len(theirs) == 4 and len(later) == 2
        assert len(set(claimed)) == 10
    finally:
        engine.dispose()
