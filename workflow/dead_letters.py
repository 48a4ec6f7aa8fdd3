"""Emails the relay gave up on (``fallido``), sent again at an administrator's request.

The retry goes back through the outbox (``mailer.outbox.requeue``: pending, a fresh set of
attempts, the relay kicked after the commit) and is audited here, since the mailer sits beside
the workflow and cannot write the audit log itself.
"""

from __future__ import annotations

from sqlmodel import Session

from mailer.outbox import requeue
from schema import OutboxEmail, OutboxStatus
from workflow.audit import record_event
from workflow.refusals import OutboxReason, OutboxRefused


def retry_dead_letter(session: Session, email_id: int, *, actor: str) -> OutboxEmail:
    """Put a dead-lettered email back in the relay's hands. An email that is no longer dead
    (retried already, by a double click or another administrator) is left as it is."""
    row = session.get(OutboxEmail, email_id, with_for_update=True)
    if row is None:
        raise OutboxRefused(
            OutboxReason.NO_SUCH_EMAIL,
            f"No existe el correo {email_id} en la bandeja de salida; recargue la página.",
        )
    if row.status is not OutboxStatus.FALLIDO:
        return row
    attempts, error = row.attempts, row.last_error
    requeue(session, email_id)
    record_event(
        session,
        actor=actor,
        action="outbox.requeued",
        entity_type="outbox_email",
        entity_id=email_id,
        from_state=OutboxStatus.FALLIDO.value,
        to_state=OutboxStatus.PENDIENTE.value,
        data={
            "key": row.idempotency_key,
            "template": row.template,
            "attempts": attempts,
            "last_error": (error or "")[:500],
        },
    )
    return row
