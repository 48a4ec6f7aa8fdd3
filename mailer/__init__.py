"""Email: templates, the transactional outbox and its relay.

Callers only need ``queue_email`` (in their own transaction) and, for attachments,
``store_attachment``; the relay task does the sending. Staff tools: ``dead_letters``, ``requeue``.
"""

from mailer.attachments import Attachment, store_attachment
from mailer.outbox import dead_letters, queue_email, requeue

__all__ = ["Attachment", "dead_letters", "queue_email", "requeue", "store_attachment"]
