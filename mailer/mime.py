"""Build the MIME message of a rendered email: the bytes that go on the wire, and the same
message as an ``EmailMessage``."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime
from email import policy
from email.charset import BASE64, QP, Charset
from email.encoders import encode_base64
from email.header import Header
from email.message import EmailMessage, Message
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.parser import BytesParser
from email.policy import Compat32
from email.utils import format_datetime, formataddr
from typing import Any

from core.config import get_settings
from mailer.addresses import parse_mailbox
from mailer.attachments import Attachment
from mailer.render import RenderedEmail

# Quoted-printable keeps every line 7-bit and short: the message crosses any relay unchanged,
# with or without 8BITMIME, and the bytes written to a .eml are the bytes sent.
_UTF8_QP = Charset("utf-8")
_UTF8_QP.body_encoding = QP
# Encoded words in base64: splitting them to length is arithmetic, where "q" (and "shortest")
# re-measures every prefix character by character.
_UTF8_B = Charset("utf-8")
_UTF8_B.header_encoding = BASE64


class _WirePolicy(Compat32):
    """compat32 with CRLF line ends that writes a short ASCII header as it is instead of
    running it through ``Header`` to fold it (most of a message's header cost)."""

    def fold_binary(self, name: str, value: Any) -> bytes:
        line = f"{name}: {value}" if isinstance(value, str) else ""
        fits = self.max_line_length is None or len(line) <= self.max_line_length
        if line and fits and line.isascii() and "\r" not in line and "\n" not in line:
            return f"{line}{self.linesep}".encode("ascii")
        return super().fold_binary(name, value)


_WIRE = _WirePolicy(linesep="\r\n")


def mime_bytes(
    rendered: RenderedEmail,
    *,
    sender: str,
    to: Sequence[str],
    message_id: str,
    dated: datetime,
    attachments: Sequence[tuple[Attachment, bytes]] = (),
) -> bytes:
    """The message as it goes on the wire (CRLF line ends, 7-bit): a ``multipart/alternative``
    (text, HTML), wrapped in ``multipart/mixed`` when it has attachments. Non-ASCII names and
    subjects become RFC 2047 encoded words, non-ASCII filenames RFC 2231 parameters.

    Built with the compat32 classes from headers encoded here: the modern API parses every
    header it is given and refolds it on output, about 3 ms a message, which would make MIME
    building, not the network, the relay's limit.
    """
    # Boundaries come from the Message-ID, so one email always serializes to the same bytes.
    # "=_" never occurs in quoted-printable or base64 text: no part can contain a boundary.
    boundary = "=_sia_" + hashlib.sha256(message_id.encode()).hexdigest()[:24]
    body = MIMEMultipart("alternative", boundary=f"{boundary}_alt")
    body.attach(_text_part(rendered.text, "plain"))
    body.attach(_text_part(rendered.html, "html"))
    message: Message = body
    if attachments:
        message = MIMEMultipart("mixed", boundary=f"{boundary}_mix")
        del body["MIME-Version"]
        message.attach(body)
        for attachment, data in attachments:
            message.attach(_attachment_part(attachment, data))
    message["From"] = _mailbox_header(sender)
    message["To"] = ", ".join(_mailbox_header(address) for address in to)
    message["Subject"] = Header(rendered.subject, _UTF8_B, header_name="Subject")  # type: ignore[assignment]
    message["Date"] = format_datetime(dated.astimezone(get_settings().tz))
    message["Message-ID"] = message_id
    message["Content-Language"] = "es-MX"
    # RFC 3834: tells autoresponders (vacation notices) not to answer a no-reply sender.
    message["Auto-Submitted"] = "auto-generated"
    return message.as_bytes(policy=_WIRE)


def build_message(
    rendered: RenderedEmail,
    *,
    sender: str,
    to: Sequence[str],
    message_id: str,
    dated: datetime,
    attachments: Sequence[tuple[Attachment, bytes]] = (),
) -> EmailMessage:
    """The message of ``mime_bytes`` as an ``EmailMessage`` (decoded headers, parts)."""
    return parse_message(
        mime_bytes(
            rendered,
            sender=sender,
            to=to,
            message_id=message_id,
            dated=dated,
            attachments=attachments,
        )
    )


def parse_message(raw: bytes) -> EmailMessage:
    return BytesParser(policy=policy.SMTP).parsebytes(raw)


def _mailbox_header(value: str) -> str:
    address = parse_mailbox(value)
    return formataddr((address.display_name, address.addr_spec), charset=_UTF8_B)


def _text_part(content: str, subtype: str) -> MIMEText:
    part = MIMEText(content, subtype, _UTF8_QP)  # type: ignore[arg-type]  # accepts a Charset
    del part["MIME-Version"]  # said once, on the whole message
    return part


def _attachment_part(attachment: Attachment, data: bytes) -> MIMEBase:
    part = MIMEBase(attachment.maintype, attachment.subtype)
    del part["MIME-Version"]
    part.set_payload(data)
    encode_base64(part)  # any bytes, text or not, arrive exactly as stored
    part.add_header(
        "Content-Disposition", "attachment", filename=("utf-8", "", attachment.filename)
    )
    return part
