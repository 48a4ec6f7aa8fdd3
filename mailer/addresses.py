"""Email addresses as people write them (``José Núñez <jose@example.mx>``) and as SMTP
needs them."""

from __future__ import annotations

import hashlib
from email import policy
from email.headerregistry import Address
from functools import lru_cache


@lru_cache(maxsize=4096)  # the sender is parsed for every message; parsing is slow
def parse_mailbox(value: str) -> Address:
    """Exactly one mailbox with a local part and a domain, or ValueError.

    The addr-spec must be ASCII: SMTPUTF8 is not assumed of the relay. Display names may be
    any Unicode (they travel RFC 2047 encoded).
    """
    header = policy.SMTP.header_factory("To", value)
    addresses: tuple[Address, ...] = getattr(header, "addresses", ())
    if header.defects or len(addresses) != 1:
        raise ValueError(f"not exactly one email address: {value!r}")
    address: Address = addresses[0]
    if not address.username or not address.domain or not address.addr_spec.isascii():
        raise ValueError(f"not a deliverable ASCII email address: {value!r}")
    return address


def message_id_for(key: str, sender: str) -> str:
    """A Message-ID derived from the idempotency key, so every resend of one email reuses it
    and the recipient's client shows a duplicate as the same message."""
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    return f"<{digest}@{parse_mailbox(sender).domain}>"
