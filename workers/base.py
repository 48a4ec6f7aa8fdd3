"""The one Task base every task uses."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from celery import Task
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from core.db import session_scope


class SiaTask(Task):  # type: ignore[type-arg]
    """Retries on transient database trouble with backoff; gives each run one transaction."""

    autoretry_for = (OperationalError,)
    retry_backoff = True
    retry_backoff_max = 300
    retry_jitter = True
    max_retries = 8

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        with session_scope() as session:
            yield session
