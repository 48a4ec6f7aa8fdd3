"""A real worker (celery.contrib.testing) on the real Redis broker and result backend."""

from collections.abc import Iterator

import pytest
from sqlmodel import Session

from core.config import Settings
from core.enqueue import enqueue_after_commit
from tests.conftest import real_worker
from workers.app import app, celery_config
from workers.tasks.system import ping


@pytest.fixture
def redis_worker(redis_settings) -> Iterator[None]:
    with real_worker():
        yield


def test_reliability_settings():
    conf = app.conf
    assert conf.task_acks_late and conf.task_reject_on_worker_lost
    assert conf.worker_prefetch_multiplier == 1
    assert conf.accept_content == ["json"] and conf.task_serializer == "json"
    assert conf.task_time_limit and conf.task_soft_time_limit < conf.task_time_limit
    redis = celery_config(Settings(broker_url="redis://x", result_backend="redis://y"))
    assert redis["broker_transport_options"]["visibility_timeout"] > redis["task_time_limit"]
    assert {q.name for q in conf.task_queues} >= {"default", "mail", "evidence"}
    assert conf.beat_schedule


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_task_round_trip_through_redis(redis_worker):
    answer = ping.delay().get(timeout=20)
    assert answer["pong"] is True


def test_tasks_are_queued_by_name_only_after_commit(redis_worker, engine, monkeypatch):
    sent = []

    def send(task, args):  # the sender workers.app installs, keeping the result to wait on
        sent.append(app.send_task(task, args=args))

    monkeypatch.setattr("core.enqueue._sender", send)
    with Session(engine) as session:
        enqueue_after_commit(session, "sia.system.ping")
        session.rollback()
    assert sent == []  # a rolled-back change sends nothing
    with Session(engine) as session:
        enqueue_after_commit(session, "sia.system.ping")
        enqueue_after_commit(session, "sia.system.ping")  # the same call, sent once
        assert sent == []  # not before the commit
        session.commit()
    [result] = sent
    assert result.get(timeout=20)["pong"] is True


def test_importing_the_celery_app_installs_the_sender():
    from core import enqueue

    assert enqueue._sender is not None
