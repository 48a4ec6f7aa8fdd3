"""From an outbox row to the bytes a backend sends: render, attach, serialize.

The message depends only on the row (its Date is the row's creation time, its Message-ID comes
from the key), so a resend after a crash is the same message, byte for byte. Reading the
attachments (I/O, possibly a database query) is kept apart from building (CPU only), so the relay
can read them once per batch away from its event loop.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from typing import Any

from core.config import get_settings
from mailer.addresses import parse_mailbox
from mailer.attachments import Attachment, read_attachment
from mailer.backends import Envelope
from mailer.mime import mime_bytes, parse_message
from mailer.render import render
from mailer.secrets import unseal
from schema import OutboxEmail


@dataclass(frozen=True)
class QueuedEmail:
    """What the relay needs of a row, detached from the session that loaded it."""

    id: int
    message_id: str
    template: str
    recipients: tuple[str, ...]
    context: dict[str, Any]
    attachments: tuple[Attachment, ...]
    attempts: int
    created_at: datetime

    @classmethod
    def from_row(cls, row: OutboxEmail) -> QueuedEmail:
        assert row.id is not None
        return cls(
            id=row.id,
            message_id=row.message_id,
            template=row.template,
            recipients=tuple(row.recipients),
            context=dict(row.context),
            attachments=tuple(Attachment.from_json(item) for item in row.attachments),
            attempts=row.attempts,
            created_at=row.created_at,
        )


Files = Sequence[tuple[Attachment, bytes]]


def read_files(email: QueuedEmail) -> list[tuple[Attachment, bytes]]:
    """Each attachment of ``email`` with its bytes (OSError when the store cannot give them now)."""
    return [(item, read_attachment(item)) for item in email.attachments]


def message_bytes(email: QueuedEmail, files: Files) -> bytes:
    """The message on the wire, from the row and its attachments' bytes (``read_files``).

    Raises ValueError/LookupError/jinja2.TemplateError for a row that can never render.
    """
    return mime_bytes(
        render(email.template, unseal(email.context)),
        sender=get_settings().mail_from,
        to=email.recipients,
        message_id=email.message_id,
        dated=email.created_at,
        attachments=files,
    )


def compose(email: QueuedEmail) -> EmailMessage:
    """The row's message, e.g. to show staff what was sent."""
    return parse_message(message_bytes(email, read_files(email)))


def envelope_for(email: QueuedEmail, files: Files) -> Envelope:
    return Envelope(
        ref=email.id,
        message_id=email.message_id,
        sender=parse_mailbox(get_settings().mail_from).addr_spec,
        recipients=tuple(parse_mailbox(r).addr_spec for r in email.recipients),
        data=message_bytes(email, files),
    )
