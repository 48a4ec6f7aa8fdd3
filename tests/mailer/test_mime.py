"""The wire bytes written by hand in mailer.mime read back, through the standard library's
parser, as exactly what was given: awkward names, subjects, bodies, filenames and bytes."""

import random
import re
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

import pytest

from mailer.attachments import Attachment
from mailer.mime import mime_bytes
from mailer.render import RenderedEmail

SENDER = "SIA Certificación <no-responder@sia.infonavit.example>"
DATED = datetime(2026, 3, 2, 16, 0, tzinfo=UTC)

NAMES = [
    "José Núñez <jose@example.mx>",
    '"Pérez, Juan" <juan@example.mx>',
    '"Smith, John" <john@example.mx>',
    '"Dice \\"hola\\" y se va" <hola@example.mx>',
    "Parece =?raro <palabra@example.mx>",
    "María de los Ángeles Hernández-Gutiérrez y Rodríguez de la Peña Ñandú <maria@example.mx>",
    "sin-nombre@example.mx",
]

SUBJECTS = [
    "Prueba",
    "Certificación aprobada: firme los términos — folio 0501423523",
    "An ASCII subject that is long enough to need folding over more than one line of the header",
    "Parece =?utf-8?q?una_palabra?= pero no lo es",
    "Ñ" * 60,
    "🙂 emoji al principio y al final 🙂",
]

TEXT = (
    "Línea con espacios al final   \n"
    "\tcon tabulador al inicio y al final\t\n"
    ".\n"
    ". un punto al inicio\n"
    "From el principio de una línea\n"
    "Igualdad = 3D y =?utf-8?q?x?=\n" + "larga " * 40 + "\n" + "ñ" * 120 + "\n\n"
    "sin salto de línea al final"
)


def _message(raw: bytes) -> EmailMessage:
    return BytesParser(policy=policy.default).parsebytes(raw)


def _build(subject: str = SUBJECTS[1], text: str = TEXT, files=(), to=NAMES) -> bytes:
    rendered = RenderedEmail(subject=subject, text=text, html=f"<p>{text}</p>")
    return mime_bytes(
        rendered,
        sender=SENDER,
        to=to,
        message_id="<abc@sia.infonavit.example>",
        dated=DATED,
        attachments=files,
    )


def _assert_wire_form(raw: bytes) -> None:
    assert raw.isascii()
    assert b"\r" not in raw.replace(b"\r\n", b"") and b"\n" not in raw.replace(b"\r\n", b"")
    for line in raw.split(b"\r\n"):
        assert len(line) <= 78, line
    message = _message(raw)
    assert not message.defects
    for part in message.walk():
        assert not part.defects, part.get_content_type()


@pytest.mark.parametrize("subject", SUBJECTS)
def test_subjects_come_back_as_written(subject):
    raw = _build(subject=subject)
    _assert_wire_form(raw)
    assert _message(raw)["Subject"] == subject


def test_every_mailbox_comes_back_with_its_name_and_address():
    raw = _build()
    _assert_wire_form(raw)
    got = [(a.display_name, a.addr_spec) for a in _message(raw)["To"].addresses]
    assert got == [
        ("José Núñez", "jose@example.mx"),
        ("Pérez, Juan", "juan@example.mx"),
        ("Smith, John", "john@example.mx"),
        ('Dice "hola" y se va', "hola@example.mx"),
        ("Parece =?raro", "palabra@example.mx"),
        (
            "María de los Ángeles Hernández-Gutiérrez y Rodríguez de la Peña Ñandú",
            "maria@example.mx",
        ),
        ("", "sin-nombre@example.mx"),
    ]
    sender = _message(raw)["From"].addresses[0]
    assert (sender.display_name, sender.addr_spec) == (
        "SIA Certificación",
        "no-responder@sia.infonavit.example",
    )
    # RFC 2047: no encoded word longer than 75 characters.
    assert all(len(word) <= 75 for word in re.findall(rb"=\?utf-8\?b\?[^?]*\?=", raw))


@pytest.mark.parametrize(
    "text", [TEXT, "", "a", "x" * 500, "fin con retorno\r\nsolo\rretorno\r\n", "   \n\n  "]
)
def test_text_and_html_come_back_as_written(text):
    raw = _build(text=text)
    _assert_wire_form(raw)
    message = _message(raw)
    unix = text.replace("\r\n", "\n").replace("\r", "\n")
    for kind, expected in (("plain", unix), ("html", f"<p>{unix}</p>")):
        part = message.get_body((kind,))
        assert part is not None
        assert part["Content-Transfer-Encoding"] == "quoted-printable"
        content = part.get_content().replace("\r\n", "\n")
        # The decoder ends a last line that had none; nothing else may differ.
        assert content in (expected, expected + "\n")


def test_attachments_come_back_byte_for_byte_with_their_names():
    noise = random.Random(17).randbytes(10_000)
    files = [
        (Attachment("set-de-pruebas.json", "application/json", "x/1"), b'{"a": 1}'),
        (Attachment("vacío.bin", "application/octet-stream", "x/2"), b""),
        (Attachment("ruido; con \"comillas\" y 'apóstrofos'.bin", "application/zip", "x/3"), noise),
        (
            Attachment(
                "Términos y condiciones de la aprobación del desarrollador " * 3 + ".pdf",
                "application/pdf",
                "x/4",
            ),
            bytes(range(256)) * 4,
        ),
    ]
    raw = _build(files=files)
    _assert_wire_form(raw)
    message = _message(raw)
    assert message.get_content_type() == "multipart/mixed"
    alternative, *attached = message.iter_parts()
    assert alternative.get_content_type() == "multipart/alternative"
    assert [(p.get_filename(), p.get_content_type(), p.get_content()) for p in attached] == [
        (a.filename, a.content_type, data) for a, data in files
    ]


def test_headers_every_message_carries():
    message = _message(_build())
    assert message["MIME-Version"] == "1.0"
    assert message["Date"] == "Mon, 02 Mar 2026 10:00:00 -0600"
    assert message["Message-ID"] == "<abc@sia.infonavit.example>"
    assert message["Content-Language"] == "es-MX"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message.get_content_type() == "multipart/alternative"


def test_the_same_email_is_the_same_bytes():
    files = [(Attachment("a.txt", "text/plain", "x/1"), b"hola")]
    assert _build(files=files) == _build(files=files)
    assert _build() != _build(subject="Otro asunto")


def test_a_header_value_cannot_smuggle_in_headers_of_its_own():
    sneaky = Attachment("a.txt", "text/plain\r\nBcc:otro@example.mx", "x/1")
    with pytest.raises(ValueError, match="line break"):
        _build(files=[(sneaky, b"hola")])
