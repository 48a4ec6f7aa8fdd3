"""Backends chosen by URL, the file backend, and the SMTP backend's own behaviour."""

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from email import policy
from email.parser import BytesParser

import pytest

from core.config import Settings
from mailer.backends import (
    Delivered,
    Envelope,
    Failed,
    FileBackend,
    NotAttempted,
    Outcome,
    SmtpBackend,
    SmtpConfig,
    backend_from_settings,
    backend_from_url,
)
from mailer.relay import RelayPolicy
from tests.mailer.smtp import Sink, serving

MESSAGE = (
    b"From: no-responder@sia.infonavit.example\r\nTo: a@example.mx\r\n"
    b"Subject: =?utf-8?q?Prueba_=C3=91?=\r\nMessage-ID: <m{n}@sia.infonavit.example>\r\n\r\n"
    b"Hola\r\n"
)


def _envelopes(count: int) -> list[Envelope]:
    return [
        Envelope(
            ref=n,
            message_id=f"<m{n}@sia.infonavit.example>",
            sender="no-responder@sia.infonavit.example",
            recipients=("a@example.mx",),
            data=MESSAGE.replace(b"{n}", str(n).encode()),
        )
        for n in range(count)
    ]


async def _stream(envelopes: list[Envelope]) -> AsyncIterator[Envelope]:
    for envelope in envelopes:
        yield envelope


def _deliver(backend, envelopes, *, deadline: float | None = None) -> list[Outcome]:
    outcomes: list[Outcome] = []
    ends = time.monotonic() + 30 if deadline is None else deadline
    asyncio.run(backend.deliver(_stream(envelopes), outcomes.append, deadline=ends))
    return outcomes


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://mail:25", SmtpConfig("mail", 25)),
        ("smtp://mailcatcher", SmtpConfig("mailcatcher", 25)),
        (
            "smtp+starttls://sia%40infonavit.example:p%C3%A1ss%2Fw%3Ard@smtp.example:587",
            SmtpConfig(
                "smtp.example",
                587,
                start_tls=True,
                username="sia@infonavit.example",
                password="páss/w:rd",
            ),
        ),
        (
            "smtps://usuario:secreto@smtp.example",
            SmtpConfig("smtp.example", 465, use_tls=True, username="usuario", password="secreto"),
        ),
    ],
)
def test_smtp_urls_name_host_port_tls_and_decoded_credentials(url, expected):
    backend = backend_from_url(url, connections=3, timeout=7)
    assert isinstance(backend, SmtpBackend)
    assert backend.config == expected
    assert (backend.connections, backend.timeout) == (3, 7)
    assert "secreto" not in repr(backend.config) and "páss" not in repr(backend.config)


def test_file_urls_take_absolute_and_relative_directories(tmp_path):
    assert backend_from_url(f"file://{tmp_path}/mail") == FileBackend(tmp_path / "mail")
    assert backend_from_url("file://./var/mail") == FileBackend(
        __import__("pathlib").Path("./var/mail")
    )


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("imap://mail:143", "esquema"),
        ("smtp://:25", "servidor"),
        ("smtp://mail:puerto", "puerto"),
        ("file://", "directorio"),
        ("smtp://usuario:secreto@mail:25", "sin cifrar"),
    ],
)
def test_bad_mail_urls_are_refused_in_spanish(url, problem):
    with pytest.raises(ValueError, match=problem):
        backend_from_url(url)


def test_backend_and_policy_follow_sia_environment_variables(tmp_path, monkeypatch):
    for name, value in {
        "SIA_MAIL_URL": "smtp+starttls://u:p@relay.example:2525",
        "SIA_MAIL_CONNECTIONS": "5",
        "SIA_MAIL_TIMEOUT_SECONDS": "12.5",
        "SIA_MAIL_BATCH_SIZE": "40",
        "SIA_MAIL_MAX_ATTEMPTS": "4",
        "SIA_MAIL_BACKOFF_SECONDS": "30",
        "SIA_MAIL_BACKOFF_MAX_SECONDS": "900",
        "SIA_MAIL_CLAIM_TIMEOUT_SECONDS": "120",
    }.items():
        monkeypatch.setenv(name, value)
    settings = Settings(var_dir=tmp_path)
    backend = backend_from_settings(settings)
    assert isinstance(backend, SmtpBackend)
    assert (backend.config.port, backend.connections, backend.timeout) == (2525, 5, 12.5)
    assert RelayPolicy.from_settings(settings) == RelayPolicy(
        batch_size=40,
        max_attempts=4,
        backoff=timedelta(seconds=30),
        backoff_max=timedelta(minutes=15),
        claim_timeout=timedelta(minutes=2),
    )


def test_file_backend_writes_each_message_atomically_once(tmp_path):
    backend = FileBackend(tmp_path / "mail")
    envelopes = _envelopes(2)
    assert _deliver(backend, envelopes) == [Delivered(0), Delivered(1)]
    assert _deliver(backend, envelopes[:1]) == [Delivered(0)]  # a resend overwrites
    files = sorted(p.name for p in (tmp_path / "mail").iterdir())
    assert files == ["m0@sia.infonavit.example.eml", "m1@sia.infonavit.example.eml"]
    parsed = BytesParser(policy=policy.default).parsebytes(
        (tmp_path / "mail" / files[1]).read_bytes()
    )
    assert parsed["Subject"] == "Prueba Ñ" and parsed["Message-ID"] == envelopes[1].message_id


def test_nothing_starts_after_the_deadline(tmp_path, smtp_server, smtp_backend):
    past = time.monotonic() - 1
    assert _deliver(FileBackend(tmp_path), _envelopes(2), deadline=past) == [
        NotAttempted(0),
        NotAttempted(1),
    ]
    assert _deliver(smtp_backend, _envelopes(2), deadline=past) == [
        NotAttempted(0),
        NotAttempted(1),
    ]
    assert smtp_server.received == []


def test_unreachable_server_fails_every_message_as_temporary(smtp_port):
    backend = SmtpBackend(SmtpConfig("127.0.0.1", smtp_port), connections=3, timeout=2)
    outcomes = _deliver(backend, _envelopes(5))
    assert sorted(o.ref for o in outcomes) == [0, 1, 2, 3, 4]
    assert all(isinstance(o, Failed) and not o.permanent for o in outcomes)


class CountingSink(Sink):
    sessions: int = 0

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        self.sessions += 1
        session.host_name = hostname
        return responses


def test_sessions_are_reused_and_only_opened_for_work(smtp_port):
    sink = CountingSink()
    backend = SmtpBackend(SmtpConfig("127.0.0.1", smtp_port), connections=4, timeout=5)
    with serving(sink, smtp_port):
        assert _deliver(backend, _envelopes(1)) == [Delivered(0)]
        assert sink.sessions == 1
        outcomes = _deliver(backend, _envelopes(40))
    assert sorted(o.ref for o in outcomes if isinstance(o, Delivered)) == list(range(40))
    assert sink.sessions == 1 + 4
    assert len(sink.received) == 41


class RefusesFirst(CountingSink):
    async def handle_DATA(self, server, session, envelope) -> str:
        if not self.refused_once:
            self.refused_once = True
            return "451 4.3.0 Try again later"
        return await super().handle_DATA(server, session, envelope)

    refused_once: bool = False


def test_a_refusal_leaves_the_session_usable_for_the_next_messages(smtp_port):
    sink = RefusesFirst()
    backend = SmtpBackend(SmtpConfig("127.0.0.1", smtp_port), connections=1, timeout=5)
    with serving(sink, smtp_port):
        outcomes = _deliver(backend, _envelopes(3))
    assert outcomes == [
        Failed(0, "451 4.3.0 Try again later", permanent=False),
        Delivered(1),
        Delivered(2),
    ]
    assert sink.sessions == 1


async def _slowly(envelopes: list[Envelope], seconds: float) -> AsyncIterator[Envelope]:
    """A source that takes a while to build each envelope, as the relay's does."""
    for envelope in envelopes:
        await asyncio.sleep(seconds)
        yield envelope


def test_a_deadline_mid_build_still_reports_every_envelope_once(smtp_server, smtp_port):
    backend = SmtpBackend(SmtpConfig("127.0.0.1", smtp_port), connections=2, timeout=5)
    outcomes: list[Outcome] = []
    # Building is the slow part here: when time runs out, an envelope is being built.
    source = _slowly(_envelopes(12), 0.05)
    asyncio.run(backend.deliver(source, outcomes.append, deadline=time.monotonic() + 0.25))
    assert sorted(o.ref for o in outcomes) == list(range(12))
    delivered = [o.ref for o in outcomes if isinstance(o, Delivered)]
    assert 0 < len(delivered) < 12
    assert all(isinstance(o, NotAttempted) for o in outcomes if o.ref not in delivered)
    assert sorted(smtp_server.message_ids()) == sorted(
        f"<m{n}@sia.infonavit.example>" for n in delivered
    )


def test_a_source_that_breaks_stops_delivery_with_its_error(smtp_server, smtp_backend):
    async def breaks() -> AsyncIterator[Envelope]:
        for envelope in _envelopes(2):
            yield envelope
        raise RuntimeError("no se pudo construir")

    outcomes: list[Outcome] = []
    with pytest.raises(RuntimeError, match="no se pudo construir"):
        asyncio.run(smtp_backend.deliver(breaks(), outcomes.append, deadline=time.monotonic() + 30))
    assert sorted(outcomes, key=lambda o: o.ref) == [Delivered(0), Delivered(1)]
    assert len(smtp_server.received) == 2
