"""Where messages go, chosen by ``SIA_MAIL_URL``.

- ``smtp://host:25`` plain SMTP (a local relay or mail catcher; no opportunistic TLS),
- ``smtp+starttls://user:pass@host:587`` SMTP upgraded with STARTTLS, then AUTH,
- ``smtps://user:pass@host:465`` SMTP over TLS from the first byte, then AUTH,
- ``file://DIR`` one ``<message-id>.eml`` per message (the embedded default).

TLS verifies the server's certificate and host name against the system CA store (``SSL_CERT_FILE``
names another bundle); credentials are only ever sent inside TLS.

A backend delivers a stream of envelopes and reports one outcome per envelope as soon as it is
known, so the relay can mark a row sent right after the server's 250 instead of after the whole
batch.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections import deque
from collections.abc import AsyncIterable, AsyncIterator, Callable
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlsplit

from aiosmtplib import SMTP, SMTPException, SMTPRecipientsRefused, SMTPResponseException

from core.config import Settings
from core.storage import write_atomically


@dataclass(frozen=True)
class Envelope:
    ref: int  # the caller's id for this message, echoed in its outcome
    message_id: str
    sender: str  # addr-spec for MAIL FROM
    recipients: tuple[str, ...]  # addr-specs for RCPT TO
    data: bytes  # the serialized message, CRLF line ends


@dataclass(frozen=True)
class Delivered:
    ref: int
    # Recipients the server refused while accepting the others ("addr: 550 …"); the message
    # went out, so retrying would duplicate it for everyone else.
    refused: tuple[str, ...] = ()


@dataclass(frozen=True)
class Failed:
    ref: int
    error: str
    permanent: bool  # a 5xx about this message: retrying cannot help


@dataclass(frozen=True)
class NotAttempted:
    ref: int  # the batch ran out of time before this one started


Outcome = Delivered | Failed | NotAttempted
Report = Callable[[Outcome], None]


class MailBackend(Protocol):
    async def deliver(
        self, envelopes: AsyncIterable[Envelope], report: Report, *, deadline: float
    ) -> None:
        """Report exactly one outcome per envelope, each as soon as it is known; envelopes not
        started before ``deadline`` (a ``time.monotonic()`` value) are reported
        ``NotAttempted``. ``envelopes`` builds each one as it is taken (and may claim more
        rows on the way, judging by the outcomes reported so far): take them only when ready
        to send, and take every one, even just to report it."""


def _eml_name(message_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9@._-]", "_", message_id.strip("<>")) + ".eml"


@dataclass(frozen=True)
class FileBackend:
    """Writes each message atomically as ``<message-id>.eml``; a resend overwrites the same file."""

    directory: Path

    async def deliver(
        self, envelopes: AsyncIterable[Envelope], report: Report, *, deadline: float
    ) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        async for envelope in envelopes:
            if time.monotonic() >= deadline:
                report(NotAttempted(envelope.ref))
                continue
            try:
                write_atomically(self.directory / _eml_name(envelope.message_id), envelope.data)
            except OSError as exc:
                report(Failed(envelope.ref, f"{type(exc).__name__}: {exc}", permanent=False))
            else:
                report(Delivered(envelope.ref))


@dataclass(frozen=True)
class SmtpConfig:
    hostname: str
    port: int
    use_tls: bool = False
    start_tls: bool = False
    username: str | None = None
    password: str | None = field(default=None, repr=False)


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _is_permanent(code: int) -> bool:
    return 500 <= code < 600


def _failure(envelope: Envelope, exc: Exception) -> Failed:
    """A refusal is permanent when every reason is a 5xx; 4xx and connection trouble retry."""
    if isinstance(exc, SMTPRecipientsRefused):
        reasons = [f"{r.recipient}: {r.code} {r.message}" for r in exc.recipients]
        permanent = all(_is_permanent(r.code) for r in exc.recipients)
        return Failed(envelope.ref, "; ".join(reasons), permanent)
    if isinstance(exc, SMTPResponseException):
        return Failed(envelope.ref, f"{exc.code} {exc.message}", _is_permanent(exc.code))
    if isinstance(exc, ValueError):  # an address aiosmtplib refuses to put in an envelope
        return Failed(envelope.ref, _describe(exc), permanent=True)
    return Failed(envelope.ref, _describe(exc), permanent=False)


class _Work:
    """The envelopes a backend's sessions share: a bounded queue between the one task that
    builds them and the sessions that send them.

    The builder keeps up to ``ahead`` of them ready, one at a time and yielding in between, so
    building happens while the sessions wait on the server; without it every session would
    build its next message the moment its reply arrives, all of them at once, and the last
    would wait for all the others' builds. An envelope a session could not send (it failed
    to connect) goes back for the others.
    """

    def __init__(self, envelopes: AsyncIterable[Envelope], ahead: int) -> None:
        self._source = aiter(envelopes)
        self._ahead = ahead
        self._ready: deque[Envelope] = deque()
        self._returned: deque[Envelope] = deque()
        self._exhausted = False
        self._stopping = False
        self._available = asyncio.Event()  # something was built, or nothing is left to build
        self._room = asyncio.Event()  # a ready envelope was taken, or building should stop

    async def build_ahead(self) -> None:
        try:
            while not self._stopping:
                envelope = await anext(self._source, None)
                if envelope is None:
                    break
                self._ready.append(envelope)
                self._available.set()
                await asyncio.sleep(0)  # read the servers' replies between two builds
                while len(self._ready) >= self._ahead and not self._stopping:
                    self._room.clear()
                    await self._room.wait()
        finally:
            self._exhausted = True
            self._available.set()

    def stop(self) -> None:
        """Build nothing more after the envelope in hand; ``rest`` reports the others."""
        self._stopping = True
        self._room.set()

    async def take(self) -> Envelope | None:
        while True:
            if self._returned:
                return self._returned.popleft()
            if self._ready:
                self._room.set()
                return self._ready.popleft()
            if self._exhausted:
                return None
            self._available.clear()
            await self._available.wait()

    def give_back(self, envelope: Envelope) -> None:
        self._returned.append(envelope)
        self._available.set()

    async def rest(self) -> AsyncIterator[Envelope]:
        while self._returned:
            yield self._returned.popleft()
        while self._ready:
            yield self._ready.popleft()
        async for envelope in self._source:
            yield envelope


class SmtpBackend:
    """Up to ``connections`` SMTP sessions work through the batch together, each one reused
    for as many messages as it can take; a session connects only once it has a message."""

    def __init__(self, config: SmtpConfig, *, connections: int = 1, timeout: float = 30) -> None:
        self.config = config
        self.connections = connections
        self.timeout = timeout

    async def deliver(
        self, envelopes: AsyncIterable[Envelope], report: Report, *, deadline: float
    ) -> None:
        work = _Work(envelopes, ahead=self.connections)
        trouble: list[str] = []
        builder = asyncio.create_task(work.build_ahead())
        try:
            await asyncio.gather(
                *(self._session(work, report, deadline, trouble) for _ in range(self.connections))
            )
        except BaseException:
            builder.cancel()
            with suppress(asyncio.CancelledError):
                await builder
            raise
        # Not cancelled: cancelling would end the source mid-build and lose what it holds.
        work.stop()
        await builder  # a failure to build surfaces here
        # Left over before the deadline: every session failed to connect, which counts as a
        # failed attempt (so backoff applies). After it: not an attempt at all.
        reason = trouble[-1] if trouble and time.monotonic() < deadline else None
        async for envelope in work.rest():
            if reason is None:
                report(NotAttempted(envelope.ref))
            else:
                report(Failed(envelope.ref, reason, permanent=False))

    def _client(self) -> SMTP:
        return SMTP(
            hostname=self.config.hostname,
            port=self.config.port,
            use_tls=self.config.use_tls,
            start_tls=self.config.start_tls,
            username=self.config.username,
            password=self.config.password,
            timeout=self.timeout,
        )

    async def _session(
        self, work: _Work, report: Report, deadline: float, trouble: list[str]
    ) -> None:
        smtp: SMTP | None = None
        try:
            while (envelope := await work.take()) is not None:
                if time.monotonic() >= deadline:  # waiting for it ran out the time: not started
                    work.give_back(envelope)
                    return
                if smtp is None or not smtp.is_connected:
                    smtp = self._client()
                    try:
                        await smtp.connect()  # also STARTTLS and AUTH, as configured
                    except (SMTPException, OSError) as exc:
                        # Not this message's fault: hand it to a session that did connect.
                        trouble.append(_describe(exc))
                        work.give_back(envelope)
                        return
                report(await self._send(smtp, envelope))
        finally:
            if smtp is not None:
                await _close(smtp)

    @staticmethod
    async def _send(smtp: SMTP, envelope: Envelope) -> Outcome:
        try:
            refused, _ = await smtp.sendmail(envelope.sender, envelope.recipients, envelope.data)
        except (SMTPRecipientsRefused, SMTPResponseException, ValueError) as exc:
            return _failure(envelope, exc)
        except (SMTPException, OSError) as exc:
            # Disconnect or timeout mid-transaction: the session's state is unknown, drop it.
            smtp.close()
            return _failure(envelope, exc)
        return Delivered(
            envelope.ref,
            tuple(f"{address}: {r.code} {r.message}" for address, r in refused.items()),
        )


async def _close(smtp: SMTP) -> None:
    if not smtp.is_connected:
        return
    try:
        await smtp.quit()
    except (SMTPException, OSError):
        smtp.close()


_DEFAULT_PORTS = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}


def backend_from_url(url: str, *, connections: int = 1, timeout: float = 30) -> MailBackend:
    """The backend ``url`` names; user and password may be percent-encoded."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "file":
        directory = unquote(parts.netloc + parts.path)
        if not directory:
            raise ValueError(f"SIA_MAIL_URL no válida: falta el directorio en {url!r}")
        return FileBackend(Path(directory))
    if scheme not in _DEFAULT_PORTS:
        raise ValueError(
            f"SIA_MAIL_URL no válida: esquema {parts.scheme!r} desconocido "
            "(usa smtp://, smtp+starttls://, smtps:// o file://)"
        )
    if not parts.hostname:
        raise ValueError("SIA_MAIL_URL no válida: falta el servidor SMTP")
    try:
        port = parts.port or _DEFAULT_PORTS[scheme]
    except ValueError:
        raise ValueError("SIA_MAIL_URL no válida: el puerto no es un número válido") from None
    if scheme == "smtp" and parts.username:
        raise ValueError(
            "SIA_MAIL_URL no válida: smtp:// enviaría usuario y contraseña sin cifrar; "
            "usa smtp+starttls:// o smtps://"
        )
    config = SmtpConfig(
        hostname=parts.hostname,
        port=port,
        use_tls=scheme == "smtps",
        start_tls=scheme == "smtp+starttls",
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password is not None else None,
    )
    return SmtpBackend(config, connections=connections, timeout=timeout)


def backend_from_settings(settings: Settings) -> MailBackend:
    return backend_from_url(
        settings.mail_url,
        connections=settings.mail_connections,
        timeout=settings.mail_timeout_seconds,
    )
