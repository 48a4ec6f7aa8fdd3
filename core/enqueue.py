"""Queue tasks, by name, only once the transaction that caused them has committed.

A task sent before the commit could run before its rows are visible, or run for a change that
is then rolled back. IDs travel as arguments; the task reads the committed rows itself.
Anything that must not be lost if the broker is unreachable right after the commit is also
swept from the database by beat (the outbox, pending submissions), so this is the fast path,
not the only one.

This is a port: the layers below ``workers`` name the task they want and never import the
Celery app. The process that can reach a broker installs the sender (``workers.app`` does so
when it is imported: the worker, the web server and the CLI all import it).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

logger = logging.getLogger(__name__)
_KEY = "sia.pending_tasks"

TaskSender = Callable[[str, tuple[Any, ...]], object]
_sender: TaskSender | None = None


def install_sender(sender: TaskSender) -> None:
    """Where queued task names go after each commit (one sender per process)."""
    global _sender
    _sender = sender


def enqueue_after_commit(session: Session, task: str, *args: Any) -> None:
    """Send task ``task`` with ``args`` (JSON values) once ``session`` commits; never if it
    rolls back. Queuing the same call twice in one transaction sends it once."""
    pending: list[tuple[str, tuple[Any, ...]]] = session.info.setdefault(_KEY, [])
    if (task, args) not in pending:
        pending.append((task, args))


@event.listens_for(Session, "after_commit")
def _send_pending(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint released: the transaction that matters has not committed yet
    pending: list[tuple[str, tuple[Any, ...]]] = session.info.pop(_KEY, [])
    for task, args in pending:
        if _sender is None:
            logger.error("no task sender installed; %s%r is left for the beat sweep", task, args)
            continue
        try:
            _sender(task, args)
        except Exception:
            # The commit stands; the beat sweep picks the work up from the database.
            logger.exception("could not queue %s after commit", task)


@event.listens_for(Session, "after_rollback")
def _drop_pending(session: Session) -> None:
    if not session.in_nested_transaction():
        session.info.pop(_KEY, None)
