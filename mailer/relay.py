"""The outbox relay: claim due emails, send them over a few reused connections, mark each one.

A run claims a batch in its own short transaction (status ``enviando``, a fresh claim token,
``claimed_at``) and commits, so other relays skip those rows while it sends. Claiming uses
``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL; SQLite serializes writers, and the claim
``UPDATE`` re-checks that each row is still due either way. Each outcome is written as soon as
the backend reports it, guarded by the claim token: a relay whose claim went stale and was
taken over changes nothing. A relay that dies between sending and marking leaves rows
``enviando``; after ``claim_timeout`` they are claimed again and resent with the same
Message-ID (at-least-once delivery: at most one duplicate per crash).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
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
from mailer.backends import (
    Delivered,
    Envelope,
    Failed,
    MailBackend,
    NotAttempted,
    Outcome,
    Report,
)
from mailer.compose import QueuedEmail, envelope_for
from mailer.secrets import erase, has_secrets
from schema import OutboxEmail, OutboxStatus

logger = logging.getLogger(__name__)

Clock = Callable[[], datetime]

_ERROR_MAX = 2000
# How long one task keeps taking batches before leaving the rest to the next kick or sweep.
RUN_BUDGET = timedelta(minutes=2)

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
    token = uuid.uuid4().hex
    with session_factory() as session:
        claimed = claim_batch(session, token=token, now=clock(), policy=policy)
    if not claimed:
        return RelayStats()
    # Stop starting messages well before the claim could be taken over as stale.
    deadline = time.monotonic() + policy.claim_timeout.total_seconds() / 2
    marker = _Marker(session_factory, token, {email.id: email for email in claimed}, policy)
    stats = asyncio.run(_deliver(backend, claimed, marker, deadline, clock, spread))
    return RelayStats(claimed=len(claimed)) + stats


def relay_pending(
    session_factory: SessionFactory,
    backend: MailBackend,
    policy: RelayPolicy,
    *,
    clock: Clock = utcnow,
    budget: timedelta = RUN_BUDGET,
) -> RelayStats:
    """Batches until nothing more is due, a batch delivers nothing (the server is in trouble:
    backoff decides when to try again) or the budget is spent."""
    total = RelayStats()
    ends = time.monotonic() + budget.total_seconds()
    while True:
        stats = relay_once(session_factory, backend, policy, clock=clock)
        total += stats
        if stats.claimed < policy.batch_size or not stats.sent or time.monotonic() >= ends:
            return total


def _envelopes(claimed: Sequence[QueuedEmail], report: Report) -> Iterator[Envelope]:
    """Each email's envelope, built only when the backend takes it: rendering and MIME
    serialization then overlap with the network waits of the other connections."""
    for email in claimed:
        try:
            yield envelope_for(email)
        except OSError as exc:  # storage not reachable right now
            report(Failed(email.id, f"adjunto ilegible: {exc}", permanent=False))
        except (ValueError, LookupError, TemplateError) as exc:  # can never render
            report(Failed(email.id, f"no se pudo generar: {exc}", permanent=True))


async def _deliver(
    backend: MailBackend,
    claimed: Sequence[QueuedEmail],
    marker: _Marker,
    deadline: float,
    clock: Clock,
    spread: Callable[[], float],
) -> RelayStats:
    outcomes: asyncio.Queue[Outcome | None] = asyncio.Queue()

    async def send() -> None:
        try:
            envelopes = _envelopes(claimed, outcomes.put_nowait)
            await backend.deliver(envelopes, outcomes.put_nowait, deadline=deadline)
        finally:
            outcomes.put_nowait(None)

    sending = asyncio.create_task(send())
    stats = RelayStats()
    try:
        finished = False
        while not finished:
            # Everything reported while the previous write ran goes in one transaction.
            ready = [await outcomes.get()]
            while not outcomes.empty():
                ready.append(outcomes.get_nowait())
            finished = ready[-1] is None
            batch = [outcome for outcome in ready if outcome is not None]
            if batch:
                stats += await asyncio.to_thread(marker.record, batch, clock(), spread)
        await sending
    finally:
        if not sending.done():
            sending.cancel()
            with suppress(asyncio.CancelledError):
                await sending
    return stats


@dataclass(frozen=True)
class _Marker:
    """Writes outcomes, each only while this relay's claim on the row still holds."""

    session_factory: SessionFactory
    token: str
    claimed: dict[int, QueuedEmail]
    policy: RelayPolicy

    def record(
        self, outcomes: Sequence[Outcome], now: datetime, spread: Callable[[], float]
    ) -> RelayStats:
        # Rows that change the same way (typically every delivered one) share one UPDATE.
        groups: dict[tuple[str, tuple[tuple[str, Any], ...]], list[int]] = defaultdict(list)
        for outcome in outcomes:
            kind, values = self._change(outcome, now, spread)
            groups[kind, tuple(sorted(values.items()))].append(outcome.ref)
        counts = dict.fromkeys(("sent", "retrying", "dead", "released"), 0)
        with self.session_factory() as session:
            # A sent email's secrets leave the row with it (while the claim is still ours).
            for outcome in outcomes:
                context = self.claimed[outcome.ref].context
                if isinstance(outcome, Delivered) and has_secrets(context):
                    session.execute(
                        sa.update(_OUTBOX)
                        .where(_C.id == outcome.ref, _C.claim_token == self.token)
                        .values(context=erase(context))
                    )
            for (kind, change), ids in groups.items():
                result: Any = session.execute(
                    sa.update(_OUTBOX)
                    .where(
                        _C.id.in_(ids),
                        _C.claim_token == self.token,
                        _C.status == OutboxStatus.ENVIANDO,
                    )
                    .values(dict(change))
                )
                counts[kind] += result.rowcount
        return RelayStats(**counts)

    def _change(
        self, outcome: Outcome, now: datetime, spread: Callable[[], float]
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
        attempts = self.claimed[outcome.ref].attempts + 1
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
