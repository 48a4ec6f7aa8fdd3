"""Build the MIME message of a rendered email: the bytes that go on the wire, and the same
message as an ``EmailMessage``.

The bytes are written here directly rather than through ``email``'s message classes and
generator: those cost about 0.5 ms a message (parsing back every header they are given, then
refolding it), which made building, not the network, the relay's limit. What is written is
plain RFC 5322/2045: quoted-printable text parts (via ``binascii``), base64 attachments,
RFC 2047 encoded words for non-ASCII names and subjects, RFC 2231 filenames, header lines
folded to 78 characters (wherever a space allows), CRLF line ends, only 7-bit bytes.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Iterator, Sequence
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import format_datetime, formataddr
from functools import lru_cache
from urllib.parse import quote

from core.config import get_settings
from mailer.addresses import parse_mailbox
from mailer.attachments import Attachment
from mailer.render import RenderedEmail

_CRLF = "\r\n"
_LINE = 78  # RFC 5322's recommended line length, the folding target
# UTF-8 bytes per encoded word: "=?utf-8?b?" + 56 base64 characters + "?=" is 68 characters,
# within RFC 2047's 75 and short enough to follow "Subject: " on a 78-character line.
_WORD_BYTES = 42
# Characters of one RFC 2231 continuation's value (a line then stays under 78).
_PARAM_CHARS = 60
# RFC 5322 atext: what a display name's word may hold without quoting or encoding.
_ATEXT = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+")


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
    (text, HTML), wrapped in ``multipart/mixed`` when it has attachments."""
    # Boundaries come from the Message-ID, so one email always serializes to the same bytes.
    # "=_" never occurs in quoted-printable or base64 text: no part can contain a boundary.
    boundary = "=_sia_" + hashlib.sha256(message_id.encode()).hexdigest()[:24]
    body = _multipart(
        "alternative",
        f"{boundary}_alt",
        [_text_part(rendered.text, "plain"), _text_part(rendered.html, "html")],
    )
    if attachments:
        files = [_attachment_part(attachment, data) for attachment, data in attachments]
        body = _multipart("mixed", f"{boundary}_mix", [body, *files])
    headers = _headers(
        ("MIME-Version", "1.0"),
        ("From", _mailbox(sender)),
        ("To", ", ".join(_mailbox(address) for address in to)),
        ("Subject", _unstructured(rendered.subject)),
        ("Date", format_datetime(dated.astimezone(get_settings().tz))),
        ("Message-ID", message_id),
        ("Content-Language", "es-MX"),
        # RFC 3834: tells autoresponders (vacation notices) not to answer a no-reply sender.
        ("Auto-Submitted", "auto-generated"),
    )
    return headers + body


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


def _headers(*fields: tuple[str, str]) -> bytes:
    """Header lines, folded, without the blank line that ends them: a part's body follows it.

    ValueError for a value that would end its line early (and so add headers of its own), or
    is not ASCII.
    """
    lines = []
    for name, value in fields:
        if "\r" in value or "\n" in value:
            raise ValueError(f"line break in the {name} header: {value!r}")
        lines.append(_fold(f"{name}: {value}") + _CRLF)
    return "".join(lines).encode("ascii")


def _fold(line: str) -> str:
    """Break ``line`` before spaces so that each piece fits in 78 characters when it can.

    Only an existing space becomes CRLF + space, so unfolding gives the line back unchanged
    (RFC 5322 §2.2.3); a word longer than a line stays whole.
    """
    if len(line) <= _LINE:
        return line
    folded, current = [], ""
    for word in line.split(" "):
        # A fold before an empty word (two spaces in a row) could leave a line of only spaces.
        if current and word and len(current) + 1 + len(word) > _LINE:
            folded.append(current)
            current = " " + word
        else:
            current = f"{current} {word}" if current else word
    folded.append(current)
    return _CRLF.join(folded)


def _encoded_words(text: str) -> str:
    """``text`` as RFC 2047 "b" encoded words separated by spaces (which decoding drops)."""
    return " ".join(
        f"=?utf-8?b?{base64.b64encode(chunk).decode('ascii')}?=" for chunk in _utf8_chunks(text)
    )


def _utf8_chunks(text: str) -> Iterator[bytes]:
    """UTF-8 of ``text`` in pieces of at most ``_WORD_BYTES``, never splitting a character."""
    data = text.encode("utf-8")
    start = 0
    while start < len(data):
        end = min(start + _WORD_BYTES, len(data))
        # Back off from a continuation byte (10xxxxxx) to the start of its character.
        while end < len(data) and data[end] & 0xC0 == 0x80:
            end -= 1
        yield data[start:end]
        start = end


def _needs_encoding(text: str) -> bool:
    # ASCII that looks like an encoded word would be decoded by the reader: encode it too.
    return not text.isascii() or "=?" in text or "\r" in text or "\n" in text


def _unstructured(text: str) -> str:
    return _encoded_words(text) if _needs_encoding(text) else text


@lru_cache(maxsize=4096)  # the sender's is the same in every message
def _mailbox(value: str) -> str:
    address = parse_mailbox(value)
    name = address.display_name
    if name and _needs_encoding(name):
        return f"{_phrase(name)} <{address.addr_spec}>"
    return formataddr((name, address.addr_spec))


def _phrase(name: str) -> str:
    """A display name as words: runs of those that need it become encoded words (with their
    spaces inside), plain atoms stay as they are.

    Spaces sit inside encoded words or next to a plain atom, never between two encoded words:
    RFC 2047 decoders drop such a space, Python's address parser keeps it, and the name must
    read the same to both. Only a run longer than one encoded word is split between two.
    """
    words: list[str] = []
    run: list[str] = []
    for token in name.split(" "):
        if token and _ATEXT.fullmatch(token) and "=?" not in token:
            if run:
                words.append(_encoded_words(" ".join(run)))
                run.clear()
            words.append(token)
        else:
            run.append(token)
    if run:
        words.append(_encoded_words(" ".join(run)))
    return " ".join(words)


def _multipart(subtype: str, boundary: str, parts: Sequence[bytes]) -> bytes:
    """A multipart entity: its Content-Type, a blank line, the parts between delimiters."""
    delimiter = f"--{boundary}{_CRLF}".encode("ascii")
    head = _headers(("Content-Type", f'multipart/{subtype}; boundary="{boundary}"'))
    # The CRLF before each delimiter belongs to the delimiter (RFC 2046 §5.1.1), not the part.
    inner = b"".join(delimiter + part + b"\r\n" for part in parts)
    return b"%s\r\n%s--%s--\r\n" % (head, inner, boundary.encode("ascii"))


def _text_part(content: str, subtype: str) -> bytes:
    head = _headers(
        ("Content-Type", f'text/{subtype}; charset="utf-8"'),
        ("Content-Transfer-Encoding", "quoted-printable"),
    )
    # One line-end convention in, CRLF out: b2a_qp follows the input's first line end, and a
    # text without any would otherwise get bare LF soft breaks.
    lines = content.replace("\r\n", "\n").replace("\r", "\n")
    encoded = binascii.b2a_qp(lines.encode("utf-8"), istext=True)
    return head + b"\r\n" + encoded.replace(b"\n", b"\r\n")


def _attachment_part(attachment: Attachment, data: bytes) -> bytes:
    head = _headers(
        ("Content-Type", attachment.content_type),
        ("Content-Transfer-Encoding", "base64"),
        ("Content-Disposition", "attachment; " + _filename_parameter(attachment.filename)),
    )
    # Any bytes, text or not, arrive exactly as stored; 76-character lines.
    return head + b"\r\n" + base64.encodebytes(data).replace(b"\n", b"\r\n")


def _filename_parameter(filename: str) -> str:
    """``filename*=utf-8''…`` (RFC 2231), split into numbered continuations when long."""
    value = "utf-8''" + quote(filename, safe="")
    if len(value) <= _PARAM_CHARS:
        return f"filename*={value}"
    pieces = []
    while value:
        cut = min(_PARAM_CHARS, len(value))
        # Never split a %XX escape between two continuations.
        percent = value.rfind("%", max(cut - 2, 0), cut)
        if percent != -1 and cut < len(value):
            cut = percent
        pieces.append(value[:cut])
        value = value[cut:]
    return "; ".join(f"filename*{n}*={piece}" for n, piece in enumerate(pieces))
