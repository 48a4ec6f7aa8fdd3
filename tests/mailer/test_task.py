"""The relay task on a real Celery worker, with the real Redis broker and SMTP server."""

import time
from collections.abc import Iterator

import pytest
from sqlmodel import select

from core import config
from core.db import SessionFactory
from mailer import queue_email
from mailer.outbox import RELAY_TASK
from schema import OutboxEmail, OutboxStatus
from tests.conftest import real_worker
from tests.mailer.samples import SAMPLES
from tests.mailer.smtp import Sink
from workers import queues
from workers.app import app


@pytest.fixture
def kicks() -> list[str]:
    """Here the kick after commit really goes to the broker."""
    return []


@pytest.fixture
def mail_worker(redis_settings, smtp_server: Sink, smtp_port: int, monkeypatch) -> Iterator[Sink]:
    monkeypatch.setenv("SIA_MAIL_URL", f"smtp://127.0.0.1:{smtp_port}")
    config.get_settings.cache_clear()
    with real_worker():
        yield smtp_server


def test_relay_runs_on_the_mail_queue_and_is_swept_every_minute():
    route = app.amqp.router.route({}, RELAY_TASK)
    assert route["queue"].name == queues.MAIL
    sweeps = [e for e in app.conf.beat_schedule.values() if e["task"] == RELAY_TASK]
    assert [e["schedule"] for e in sweeps] == [60.0]


def test_a_committed_email_is_sent_by_the_worker_the_commit_kicked(
    mail_worker: Sink, factory: SessionFactory
):
    with factory() as session:
        row = queue_email(
            session,
            key="certification:1:approved",
            template="aprobacion",
            to=["José Núñez <jose.nunez@example.mx>"],
            context=SAMPLES["aprobacion"],
        )
    deadline = time.monotonic() + 20
    while not mail_worker.received and time.monotonic() < deadline:
        time.sleep(0.1)
    assert mail_worker.message_ids() == [row.message_id]
    status = None
    while status is not OutboxStatus.ENVIADO and time.monotonic() < deadline:
        time.sleep(0.1)
        with factory() as session:
            status = session.exec(select(OutboxEmail.status).where(OutboxEmail.id == row.id)).one()
    assert status is OutboxStatus.ENVIADO
