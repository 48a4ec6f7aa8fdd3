"""Queue tasks only once the transaction that caused them has committed.

A task sent before the commit could run before its rows are visible, or run for a change that
is then rolled back. IDs travel as arguments; the task reads the committed rows itself.
Anything that must not be lost if the broker is unreachable right after the commit is also
swept from the database by beat (the outbox, pending submissions), so this is the fast path,
not the only one.
"""

from __future__ import annotations

import logging
from typing import Any

from celery.canvas import Signature
from sqlalchemy import event
from sqlalchemy.orm import Session

logger = logging.getLogger(__name__)
_KEY = "sia.pending_tasks"


def enqueue_after_commit(session: Session, signature: Signature[Any]) -> None:
    session.info.setdefault(_KEY, []).append(signature)


@event.listens_for(Session, "after_commit")
def _send_pending(session: Session) -> None:
    pending: list[Signature[Any]] = session.info.pop(_KEY, [])
    for signature in pending:
        try:
            signature.apply_async()
        except Exception:
            # The commit stands; the beat sweep picks the work up from the database.
            logger.exception("could not queue %s after commit", signature.task)


@event.listens_for(Session, "after_rollback")
def _drop_pending(session: Session) -> None:
    session.info.pop(_KEY, None)
