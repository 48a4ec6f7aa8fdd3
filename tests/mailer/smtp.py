"""A real SMTP server (aiosmtpd) on 127.0.0.1 that records what it accepts and can be told to
refuse recipients, fail DATA or answer slowly."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any, cast

from aiosmtpd.controller import Controller


@dataclass(frozen=True)
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        return BytesParser(policy=policy.default).parsebytes(self.data)


@dataclass
class Sink:
    """aiosmtpd handler. ``refuse`` maps an address to the reply for its RCPT."""

    refuse: dict[str, str] = field(default_factory=dict)
    data_reply: str | None = None  # e.g. "451 4.3.0 Try again later"
    delay: float = 0.0
    received: list[Received] = field(default_factory=list)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.data_reply:
            return self.data_reply
        self.received.append(
            Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.content)
        )
        return "250 2.0.0 Message accepted for delivery"

    def message_ids(self) -> list[str]:
        return [str(r.message["Message-ID"]) for r in self.received]


def body(message: EmailMessage, kind: str) -> str:
    """The ``plain`` or ``html`` alternative with LF line ends (on the wire they are CRLF)."""
    part = message.get_body((kind,))
    assert part is not None
    return cast(str, part.get_content()).replace("\r\n", "\n")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return cast(int, probe.getsockname()[1])


@contextmanager
def serving(sink: Sink, port: int) -> Iterator[Any]:
    controller = Controller(sink, hostname="127.0.0.1", port=port, server_hostname="sink.test")
    controller.start()
    try:
        yield controller
    finally:
        controller.stop()
