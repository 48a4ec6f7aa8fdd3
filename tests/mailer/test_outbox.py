"""queue_email: one row per key, written only by a transaction that commits."""

import threading
import time
from collections.abc import Sequence
from typing import Any

import pytest
from sqlmodel import Session, func, select

from core.db import SessionFactory
from mailer import queue_email, store_attachment
from mailer.attachments import Attachment, read_attachment
from mailer.catalog import ContextError
from mailer.outbox import RELAY_TASK
from mailer.relay import relay_once
from schema import OutboxEmail, OutboxStatus
from tests.mailer.samples import SAMPLES

TO = ["José Núñez <jose.nunez@example.mx>"]


def _queue(session: Session, key: str, to: Sequence[str] = TO, **extra: Any) -> OutboxEmail:
    return queue_email(
        session, key=key, template="aprobacion", to=to, context=SAMPLES["aprobacion"], **extra
    )


def _count(factory: SessionFactory) -> int:
    with factory() as session:
        return session.exec(select(func.count()).select_from(OutboxEmail)).one()


def test_same_key_twice_is_one_row_and_one_email(factory, smtp_server, smtp_backend, policy, clock):
    with factory() as session:
        first = _queue(session, "certification:1:approved")
        assert _queue(session, "certification:1:approved") is first
    with factory() as session:
        again = _queue(session, "certification:1:approved", to=["otro@example.mx"])
        assert again.id == first.id and again.recipients == ["José Núñez <jose.nunez@example.mx>"]
    assert _count(factory) == 1
    assert first.status is OutboxStatus.PENDIENTE and first.attempts == 0
    assert relay_once(factory, smtp_backend, policy, clock=clock).sent == 1
    assert relay_once(factory, smtp_backend, policy, clock=clock).claimed == 0
    assert len(smtp_server.received) == 1


def test_rolled_back_transaction_leaves_no_row_and_no_email(
    factory, smtp_server, smtp_backend, policy, clock
):
    with pytest.raises(RuntimeError), factory() as session:
        _queue(session, "certification:2:approved")
        raise RuntimeError("the change that caused the email failed")
    assert _count(factory) == 0
    assert relay_once(factory, smtp_backend, policy, clock=clock).claimed == 0
    assert smtp_server.received == []


def test_racing_transactions_with_one_key_write_one_row_and_both_commit(factory):
    inserted, release = threading.Event(), threading.Event()
    ids: dict[str, int | None] = {}
    errors: list[BaseException] = []

    def first() -> None:
        try:
            with factory() as session:
                ids["first"] = _queue(session, "certification:3:approved").id
                inserted.set()
                release.wait(10)  # hold the transaction open while the second one inserts
        except BaseException as exc:
            errors.append(exc)
            inserted.set()

    def second() -> None:
        inserted.wait(10)
        try:
            with factory() as session:
                ids["second"] = _queue(session, "certification:3:approved").id
                # The conflict did not spoil the caller's transaction: it goes on and commits.
                ids["other"] = _queue(session, "certification:3:cancelled").id
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    inserted.wait(10)
    time.sleep(0.5)  # let the second transaction reach the conflicting insert
    release.set()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert ids["second"] == ids["first"] and ids["other"] != ids["first"]
    assert _count(factory) == 2


def test_mistakes_fail_when_queuing_and_write_nothing(factory):
    with factory() as session:
        with pytest.raises(ContextError, match="razon_social"):
            queue_email(
                session, key="k1", template="aprobacion", to=TO, context={"folio": "0501423523"}
            )
        with pytest.raises(ValueError, match="email address"):
            _queue(session, "k2", to=["no es un correo"])
        with pytest.raises(ValueError, match="recipient"):
            _queue(session, "k3", to=[])
        with pytest.raises(FileNotFoundError):
            _queue(session, "k4", attachments=[Attachment("a.pdf", "application/pdf", "x/none")])
        with pytest.raises(ValueError, match="key"):
            _queue(session, "k" * 201)
    assert _count(factory) == 0


def test_message_id_is_derived_from_the_key(factory):
    with factory() as session:
        one = _queue(session, "certification:4:approved")
        two = _queue(session, "certification:5:approved")
    assert one.message_id.startswith("<") and one.message_id.endswith("@sia.infonavit.example>")
    assert one.message_id != two.message_id
    with factory() as session:
        session.delete(session.get(OutboxEmail, one.id))
    with factory() as session:  # the same event queued anew gets the same Message-ID
        assert _queue(session, "certification:4:approved").message_id == one.message_id


def test_attachments_are_stored_once_by_content_and_rows_only_point_at_them(factory, settings):
    data = b"%PDF-1.7 responsiva \xf1"
    first = store_attachment(data, "Responsiva Ñandú.pdf", "application/pdf")
    second = store_attachment(data, "otra.pdf", "application/pdf")
    assert first.path == second.path and first.path.startswith("adjuntos/")
    assert read_attachment(first) == data
    with factory() as session:
        row = _queue(session, "certification:6:approved", attachments=[first])
    assert row.attachments == [
        {"filename": "Responsiva Ñandú.pdf", "content_type": "application/pdf", "path": first.path}
    ]


def test_a_transaction_kicks_the_relay_once_however_many_emails_it_queues(factory, kicks):
    with factory() as session:
        for n in range(3):
            _queue(session, f"certification:7:{n}")
    with factory() as session:
        _queue(session, "certification:8:approved")
        _queue(session, "certification:8:approved")
    assert kicks == [RELAY_TASK, RELAY_TASK]
