"""Queue emails in the caller's transaction; staff tools for the ones that could not be sent.

An email exists exactly when the change that caused it commits: ``queue_email`` only adds a
row, and the relay task is kicked after the commit (beat sweeps the outbox every minute too,
in case the broker was unreachable at that moment).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from core.clock import utcnow
from core.config import get_settings
from core.enqueue import enqueue_after_commit
from mailer.addresses import message_id_for, parse_mailbox
from mailer.attachments import Attachment, attachment_stored, store_attachment
from mailer.catalog import context_to_json
from mailer.secrets import seal
from schema import OutboxEmail, OutboxStatus

__all__ = ["dead_letters", "queue_email", "requeue", "store_attachment"]

logger = logging.getLogger(__name__)

RELAY_TASK = "sia.mail.relay"
_KEY_MAX = 200  # OutboxEmail.idempotency_key


def queue_email(
    session: Session,
    *,
    key: str,
    template: str,
    to: Sequence[str],
    context: Mapping[str, Any],
    attachments: Sequence[Attachment] = (),
) -> OutboxEmail:
    """Add the email to the outbox in the caller's transaction (never commits).

    ``key`` names the event that causes the email (e.g. ``certification:17:test_set:2``): a
    second call with the same key, from a retried task or a concurrent transaction, returns
    the existing row and writes nothing. The context is checked against the template's
    TypedDict (``mailer.catalog``) here, so a mistake fails the caller, not the relay.
    """
    if not key or len(key) > _KEY_MAX:
        raise ValueError(f"idempotency key must have 1 to {_KEY_MAX} characters: {key!r}")
    stored_context = seal(context_to_json(template, context))
    if not to:
        raise ValueError("an email needs at least one recipient")
    recipients = [str(parse_mailbox(address)) for address in to]
    for attachment in attachments:
        if not attachment_stored(attachment):
            raise FileNotFoundError(f"attachment {attachment.path!r} is not in the blob store")

    existing = _by_key(session, key)
    if existing is not None:
        return existing
    row = OutboxEmail(
        idempotency_key=key,
        message_id=message_id_for(key, get_settings().mail_from),
        template=template,
        recipients=recipients,
        context=stored_context,
        attachments=[attachment.as_json() for attachment in attachments],
        status=OutboxStatus.PENDIENTE,
    )
    try:
        # A concurrent transaction may insert the same key after our look-up; the unique
        # constraint decides, and the savepoint keeps the caller's transaction usable.
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        winner = _by_key(session, key)
        if winner is None:
            raise
        logger.debug("outbox key %r was queued by a concurrent transaction", key)
        return winner
    # One kick per transaction however many emails it queues (a repeated enqueue is sent
    # once): the relay takes them all.
    enqueue_after_commit(session, RELAY_TASK)
    return row


def _by_key(session: Session, key: str) -> OutboxEmail | None:
    return session.exec(select(OutboxEmail).where(OutboxEmail.idempotency_key == key)).first()


def dead_letters(session: Session) -> list[OutboxEmail]:
    """Emails given up on (``fallido``), oldest first, with ``last_error`` saying why."""
    return list(
        session.exec(
            select(OutboxEmail)
            .where(OutboxEmail.status == OutboxStatus.FALLIDO)
            .order_by(col(OutboxEmail.id))
        ).all()
    )


def requeue(session: Session, email_id: int, *, now: datetime | None = None) -> OutboxEmail:
    """Give a dead-lettered email a fresh set of attempts, starting now (staff action)."""
    row = session.get(OutboxEmail, email_id, with_for_update=True)
    if row is None:
        raise LookupError(f"No existe el correo {email_id} en la bandeja de salida.")
    if row.status is not OutboxStatus.FALLIDO:
        raise ValueError(
            f"El correo {email_id} está «{row.status.value}»; solo se reenvía un correo fallido."
        )
    row.status = OutboxStatus.PENDIENTE
    row.attempts = 0
    row.next_attempt_at = now or utcnow()
    row.claim_token = None
    session.add(row)
    session.flush()
    logger.info("outbox email %s requeued", email_id)
    enqueue_after_commit(session, RELAY_TASK)
    return row
