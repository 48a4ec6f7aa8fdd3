"""The outbox relay: claim due emails, send them over a few reused connections, mark each one.

A run claims a batch in its own short transaction (status ``enviando``, a fresh claim token,
``claimed_at``) and commits, so other relays skip those rows while it sends. Claiming uses
``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL; SQLite serializes writers, and the claim
``UPDATE`` re-checks that each row is still due either way. A run that goes on claims its next
batch (with its own token) while the last messages of the current one are on the wire, so the
connections stay open and busy from one batch to the next.

Each message is built just before a connection is free for it, in the event loop that sends
(about 0.2 ms of CPU: short enough to slip between the servers' replies; a thread would add
the hand-over and the GIL without adding a core). Each distinct attachment is read once, in a
thread (reading may be a database query), and kept while emails still to be built need it. An
email that cannot be built is marked failed on its own; the others go on.

Each outcome is written soon after the backend reports it, together with those reported within
``MARK_DELAY`` and while the previous write ran, guarded by the claim token: a relay whose
claim went stale and was taken over changes nothing. A relay that dies between sending and
marking leaves rows ``enviando``; after ``claim_timeout`` they are claimed again and resent
with the same Message-ID (at-least-once delivery: at most one duplicate per crash).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from jinja2 import TemplateError
from sqlmodel import Session, col, select

from core.clock import utcnow
from core.config import Settings
from core.db import SessionFactory
from mailer.attachments import Attachment, read_attachment
from mailer.backends import (
    Delivered,
    Envelope,
    Failed,
    MailBackend,
    NotAttempted,
    Outcome,
)
from mailer.compose import QueuedEmail, envelope_for
from mailer.secrets import erase, has_secrets
from schema import OutboxEmail, OutboxStatus

logger = logging.getLogger(__name__)

Clock = Callable[[], datetime]

_ERROR_MAX = 2000
# How long one task keeps taking batches before leaving the rest to the next kick or sweep.
RUN_BUDGET = timedelta(minutes=2)
# How long a reported outcome waits for others to share its write: one short transaction per
# ~50 ms rather than one per message, and still marked within a blink of the server's reply.
MARK_DELAY = 0.05

_OUTBOX: sa.Table = OutboxEmail.__table__  # type: ignore[attr-defined]
_C = _OUTBOX.c


@dataclass(frozen=True)
class RelayPolicy:
    batch_size: int = 200
    max_attempts: int = 10
    backoff: timedelta = timedelta(minutes=1)
    backoff_max: timedelta = timedelta(hours=1)
    # Each delay is shortened by up to this fraction, so the emails that failed together during
    # an outage do not all come back in the same second.
    jitter: float = 0.2
    claim_timeout: timedelta = timedelta(minutes=10)

    @classmethod
    def from_settings(cls, settings: Settings) -> RelayPolicy:
        return cls(
            batch_size=settings.mail_batch_size,
            max_attempts=settings.mail_max_attempts,
            backoff=timedelta(seconds=settings.mail_backoff_seconds),
            backoff_max=timedelta(seconds=settings.mail_backoff_max_seconds),
            claim_timeout=timedelta(seconds=settings.mail_claim_timeout_seconds),
        )


@dataclass(frozen=True)
class RelayStats:
    claimed: int = 0
    sent: int = 0
    retrying: int = 0  # failed for now; back to `pendiente` with a later next_attempt_at
    dead: int = 0  # `fallido`: permanent refusal or out of attempts
    released: int = 0  # claimed but not started in time; back to `pendiente` as they were

    def __add__(self, other: RelayStats) -> RelayStats:
        return RelayStats(
            *(getattr(self, f.name) + getattr(other, f.name) for f in fields(RelayStats))
        )


def backoff_delay(attempts: int, policy: RelayPolicy, spread: float) -> timedelta:
    """Wait after the ``attempts``-th failure: ``backoff × 2^(attempts−1)`` capped at
    ``backoff_max``, then shortened by ``jitter × spread`` (``spread`` in [0, 1))."""
    doubled: timedelta = policy.backoff * 2 ** min(attempts - 1, 32)
    return min(doubled, policy.backoff_max) * (1 - policy.jitter * spread)


def _due(now: datetime, policy: RelayPolicy) -> sa.ColumnElement[bool]:
    return sa.or_(
        sa.and_(_C.status == OutboxStatus.PENDIENTE, _C.next_attempt_at <= now),
        sa.and_(_C.status == OutboxStatus.ENVIANDO, _C.claimed_at < now - policy.claim_timeout),
    )


def claim_batch(
    session: Session, *, token: str, now: datetime, policy: RelayPolicy
) -> list[QueuedEmail]:
    """Claim up to ``batch_size`` due emails for ``token`` in the session's transaction; the
    caller commits. Due: pending whose time has come, or a claim older than ``claim_timeout``."""
    candidates = (
        sa.select(_C.id)
        .where(_due(now, policy))
        .order_by(_C.next_attempt_at, _C.id)
        .limit(policy.batch_size)
    )
    if session.get_bind().dialect.name == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True)
    ids = list(session.scalars(candidates))
    if not ids:
        return []
    session.execute(
        sa.update(_OUTBOX)
        .where(_C.id.in_(ids), _due(now, policy))
        .values(status=OutboxStatus.ENVIANDO, claim_token=token, claimed_at=now)
    )
    rows = session.exec(
        select(OutboxEmail).where(OutboxEmail.claim_token == token).order_by(col(OutboxEmail.id))
    ).all()
    return [QueuedEmail.from_row(row) for row in rows]


def relay_once(
    session_factory: SessionFactory,
    backend: MailBackend,
    policy: RelayPolicy,
    *,
    clock: Clock = utcnow,
    spread: Callable[[], float] = random.random,
) -> RelayStats:
    """Claim one batch, send it through ``backend`` and record every outcome."""
    return _relay(session_factory, backend, policy, clock, spread, budget=None)


def relay_pending(
    session_factory: SessionFactory,
    backend: MailBackend,
    policy: RelayPolicy,
    *,
    clock: Clock = utcnow,
    spread: Callable[[], float] = random.random,
    budget: timedelta = RUN_BUDGET,
) -> RelayStats:
    """Batches until nothing more is due, a batch delivers nothing (the server is in trouble:
    backoff decides when to try again) or the budget is spent, all through one backend run."""
    return _relay(session_factory, backend, policy, clock, spread, budget=budget)


def _relay(
    session_factory: SessionFactory,
    backend: MailBackend,
    policy: RelayPolicy,
    clock: Clock,
    spread: Callable[[], float],
    *,
    budget: timedelta | None,
) -> RelayStats:
    run = _Run(session_factory, policy, clock, spread)
    first = run.adopt(*run.claim())
    if not first:
        return RelayStats()
    now = time.monotonic()
    # Stop starting messages well before the first (oldest) claim could be taken over as stale.
    run.deadline = now + policy.claim_timeout.total_seconds() / 2
    if budget is not None:
        run.claim_until = min(run.deadline, now + budget.total_seconds())
    return asyncio.run(run.deliver(backend, first))


@dataclass(frozen=True)
class _Claimed:
    token: str
    email: QueuedEmail


class _Files:
    """The attachments of the claimed emails, each read once and in a thread (reading may be a
    database query), and kept only while an email still to be built needs it."""

    def __init__(self) -> None:
        self._wanted: Counter[str] = Counter()
        self._data: dict[str, bytes] = {}

    def expect(self, emails: Sequence[QueuedEmail]) -> None:
        self._wanted.update(item.path for email in emails for item in email.attachments)

    async def of(self, email: QueuedEmail) -> list[tuple[Attachment, bytes]]:
        files = []
        for item in email.attachments:
            data = self._data.get(item.path)
            if data is None:
                data = self._data[item.path] = await asyncio.to_thread(read_attachment, item)
            files.append((item, data))
        return files

    def done(self, email: QueuedEmail) -> None:
        for item in email.attachments:
            self._wanted[item.path] -= 1
            if self._wanted[item.path] <= 0:
                del self._wanted[item.path]
                self._data.pop(item.path, None)


class _Run:
    """One relay run: its claims, the envelopes built from them, the outcomes written back.

    Its state is touched only by the event loop's thread (and by the caller's before the loop
    starts); threads do the database work and hand their results back.
    """

    def __init__(
        self,
        session_factory: SessionFactory,
        policy: RelayPolicy,
        clock: Clock,
        spread: Callable[[], float],
    ) -> None:
        self.session_factory = session_factory
        self.policy = policy
        self.clock = clock
        self.spread = spread
        self.deadline = 0.0
        self.claim_until: float | None = None  # None: this run takes one batch only
        self.claimed = 0
        self.files = _Files()
        self.pending: dict[int, _Claimed] = {}  # claimed, no outcome reported yet
        # The latest claim's emails, and what the backend has said about them so far.
        self.batch: frozenset[int] = frozenset()
        self.batch_reported = 0
        self.batch_delivered = 0
        # None last: the backend is done. Created outside the loop, bound to it on first use.
        self.outcomes: asyncio.Queue[tuple[Outcome, _Claimed] | None] = asyncio.Queue()
        self.sent = asyncio.Event()

    def claim(self) -> tuple[str, list[QueuedEmail]]:
        token = uuid.uuid4().hex
        with self.session_factory() as session:
            return token, claim_batch(session, token=token, now=self.clock(), policy=self.policy)

    def adopt(self, token: str, emails: list[QueuedEmail]) -> list[QueuedEmail]:
        self.pending.update((email.id, _Claimed(token, email)) for email in emails)
        self.files.expect(emails)
        self.claimed += len(emails)
        self.batch = frozenset(email.id for email in emails)
        self.batch_reported = self.batch_delivered = 0
        return emails

    async def deliver(self, backend: MailBackend, first: list[QueuedEmail]) -> RelayStats:
        async def send() -> None:
            try:
                await backend.deliver(self._envelopes(first), self.report, deadline=self.deadline)
            finally:
                self.outcomes.put_nowait(None)
                self.sent.set()

        sending = asyncio.create_task(send())
        try:
            stats = await self._record()
            await sending
        finally:
            if not sending.done():
                sending.cancel()
                with suppress(asyncio.CancelledError):
                    await sending
        return RelayStats(claimed=self.claimed) + stats

    def report(self, outcome: Outcome) -> None:
        claimed = self.pending.pop(outcome.ref)
        if outcome.ref in self.batch:
            self.batch_reported += 1
            self.batch_delivered += isinstance(outcome, Delivered)
        self.outcomes.put_nowait((outcome, claimed))

    async def _envelopes(self, batch: list[QueuedEmail]) -> AsyncIterator[Envelope]:
        """Each claimed email's envelope, built only when the backend takes it: building then
        overlaps with the network waits of the connections."""
        while batch:
            for email in batch:
                envelope = await self._build(email)
                if envelope is not None:
                    yield envelope
            batch = await self._next_batch(len(batch))

    async def _build(self, email: QueuedEmail) -> Envelope | None:
        try:
            if time.monotonic() >= self.deadline:  # it would not be started: skip the build
                self.report(NotAttempted(email.id))
                return None
            return envelope_for(email, await self.files.of(email))
        except OSError as exc:  # storage not reachable right now
            self.report(Failed(email.id, f"adjunto ilegible: {exc}", permanent=False))
        except (ValueError, LookupError, TemplateError) as exc:  # can never render
            self.report(Failed(email.id, f"no se pudo generar: {exc}", permanent=True))
        except Exception as exc:  # e.g. the blob store's database is down: only this one waits
            logger.exception("outbox email %s could not be built", email.id)
            self.report(Failed(email.id, f"no se pudo generar: {exc!r}", permanent=False))
        finally:
            self.files.done(email)
        return None

    async def _next_batch(self, previous: int) -> list[QueuedEmail]:
        if self.claim_until is None or previous < self.policy.batch_size:
            return []  # one batch was asked for, or nothing more was due
        if time.monotonic() >= self.claim_until:
            return []
        if self.batch_reported and not self.batch_delivered:
            return []  # the server is in trouble: backoff decides when to try again
        return self.adopt(*await asyncio.to_thread(self.claim))

    async def _record(self) -> RelayStats:
        marker = _Marker(self.session_factory, self.policy)
        stats = RelayStats()
        finished = False
        while not finished:
            ready = [await self.outcomes.get()]
            if ready[0] is not None:
                # The outcomes the other connections report in the next moment share this
                # write (unless sending is over: nothing more is coming).
                with suppress(TimeoutError):
                    await asyncio.wait_for(self.sent.wait(), MARK_DELAY)
            # So does everything reported while the previous write ran.
            while not self.outcomes.empty():
                ready.append(self.outcomes.get_nowait())
            finished = ready[-1] is None
            batch = [item for item in ready if item is not None]
            if batch:
                stats += await asyncio.to_thread(marker.record, batch, self.clock(), self.spread)
        return stats


@dataclass(frozen=True)
class _Marker:
    """Writes outcomes, each only while the claim it was sent under still holds."""

    session_factory: SessionFactory
    policy: RelayPolicy

    def record(
        self,
        outcomes: Sequence[tuple[Outcome, _Claimed]],
        now: datetime,
        spread: Callable[[], float],
    ) -> RelayStats:
        # Rows that change the same way (typically every delivered one) share one UPDATE.
        groups: dict[tuple[str, str, tuple[tuple[str, Any], ...]], list[int]] = defaultdict(list)
        for outcome, claimed in outcomes:
            kind, values = self._change(outcome, claimed.email, now, spread)
            groups[claimed.token, kind, tuple(sorted(values.items()))].append(outcome.ref)
        counts = dict.fromkeys(("sent", "retrying", "dead", "released"), 0)
        with self.session_factory() as session:
            # A sent email's secrets leave the row with it (while the claim is still ours).
            for outcome, claimed in outcomes:
                context = claimed.email.context
                if isinstance(outcome, Delivered) and has_secrets(context):
                    session.execute(
                        sa.update(_OUTBOX)
                        .where(_C.id == outcome.ref, _C.claim_token == claimed.token)
                        .values(context=erase(context))
                    )
            for (token, kind, change), ids in groups.items():
                result: Any = session.execute(
                    sa.update(_OUTBOX)
                    .where(
                        _C.id.in_(ids),
                        _C.claim_token == token,
                        _C.status == OutboxStatus.ENVIANDO,
                    )
                    .values(dict(change))
                )
                counts[kind] += result.rowcount
        return RelayStats(**counts)

    def _change(
        self, outcome: Outcome, email: QueuedEmail, now: datetime, spread: Callable[[], float]
    ) -> tuple[str, dict[str, Any]]:
        released: dict[str, Any] = {"claim_token": None}
        if isinstance(outcome, NotAttempted):
            return "released", {**released, "status": OutboxStatus.PENDIENTE}
        if isinstance(outcome, Delivered):
            note = "Destinatarios rechazados: " + "; ".join(outcome.refused)
            return "sent", {
                **released,
                "status": OutboxStatus.ENVIADO,
                "sent_at": now,
                "last_error": note[:_ERROR_MAX] if outcome.refused else None,
            }
        attempts = email.attempts + 1
        change = {**released, "attempts": attempts, "last_error": outcome.error[:_ERROR_MAX]}
        if outcome.permanent or attempts >= self.policy.max_attempts:
            logger.warning("outbox email %s dead-lettered: %s", outcome.ref, outcome.error)
            return "dead", {**change, "status": OutboxStatus.FALLIDO}
        delay = backoff_delay(attempts, self.policy, spread())
        return "retrying", {
            **change,
            "status": OutboxStatus.PENDIENTE,
            "next_attempt_at": now + delay,
        }
