"""The Celery application, configured from core.config for every process."""

from __future__ import annotations

from typing import Any

from celery import Celery

from core import enqueue
from core.config import Settings, get_settings
from workers import queues
from workers.schedule import beat_schedule

TASK_MODULES = [
    "workers.tasks.system",
    "workers.tasks.certifications",
    "workers.tasks.deadlines",
    "workers.tasks.evidence",
    "workers.tasks.mail",
    "workers.tasks.relationships",
]


def celery_config(settings: Settings) -> dict[str, Any]:
    config: dict[str, Any] = {
        "broker_url": settings.broker_url,
        "result_backend": settings.result_backend,
        "broker_connection_retry_on_startup": True,
        # A task is acknowledged only once done, and a worker that dies mid-task hands it back:
        # tasks are idempotent, so running one twice is safe while losing one is not.
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "task_time_limit": settings.task_time_limit,
        "task_soft_time_limit": settings.task_time_limit - 60,
        "task_serializer": "json",
        "result_serializer": "json",
        "accept_content": ["json"],
        "result_accept_content": ["json"],
        "result_expires": 7 * 24 * 3600,
        "result_extended": True,
        "task_track_started": True,
        "task_queues": queues.TASK_QUEUES,
        "task_default_queue": queues.DEFAULT,
        "task_default_exchange": queues.DEFAULT,
        "task_default_routing_key": queues.DEFAULT,
        "task_routes": {
            "sia.mail.*": {"queue": queues.MAIL, "routing_key": queues.MAIL},
            "sia.evidence.*": {"queue": queues.EVIDENCE, "routing_key": queues.EVIDENCE},
        },
        "beat_schedule": beat_schedule(settings),
        "timezone": settings.timezone,
        "enable_utc": True,
        "worker_hijack_root_logger": False,
        # Pidbox queue names contain dots, which the filesystem transport cannot route.
        "worker_enable_remote_control": not settings.is_embedded_broker,
    }
    if settings.is_embedded_broker:
        folder = settings.broker_dir
        for sub in ("queue", "control", "processed"):
            (folder / sub).mkdir(parents=True, exist_ok=True)
        config["broker_transport_options"] = {
            "data_folder_in": str(folder / "queue"),
            "data_folder_out": str(folder / "queue"),
            "control_folder": str(folder / "control"),
            "processed_folder": str(folder / "processed"),
        }
    else:
        config["broker_transport_options"] = {
            "visibility_timeout": settings.broker_visibility_timeout
        }
        config["result_backend_transport_options"] = {
            "visibility_timeout": settings.broker_visibility_timeout
        }
    if settings.result_backend.startswith("db+sqlite:///"):
        settings.var_dir.mkdir(parents=True, exist_ok=True)
    return config


def create_app(settings: Settings | None = None) -> Celery:
    """The Celery app; also the sender behind ``core.enqueue`` for this process."""
    celery = Celery("sia", set_as_current=True)
    celery.config_from_object(celery_config(settings or get_settings()))
    celery.conf.include = TASK_MODULES
    # Nobody waits for these results; asking for them would make every send subscribe to the
    # result backend first, and a commit would hang ~20 s on a Redis that is down instead of
    # failing fast and leaving the work to the sweeps.
    enqueue.install_sender(lambda task, args: celery.send_task(task, args=args, ignore_result=True))
    return celery


app = create_app()
