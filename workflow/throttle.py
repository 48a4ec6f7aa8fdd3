"""Sign-in throttling: a client that keeps failing is made to wait before it may try again.

Failures count per account *and* client address, so a guesser cannot lock the rightful owner
out from another address, and per client address across all accounts, so spreading the guesses
over many accounts does not help either. Each door (staff sign-in, the vendors' portal, the
evidence API, the sandbox) counts on its own: a vendor's failures at one door never lock staff
out of another that shares the office's address. Rows live only as long as the window they
count in.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TypeVar

from sqlmodel import Session, col, delete, select

from core.clock import utcnow
from schema import SignInFailure

T = TypeVar("T")

WINDOW = timedelta(minutes=15)
ACCOUNT_LIMIT = 5  # failures for one account from one address within WINDOW
ADDRESS_LIMIT = 50  # failures from one address, any accounts, within WINDOW
# sign_in_failures.key holds 400: the door, this, "|ip:" and an IPv6 address.
_ACCOUNT_MAX_CHARS = 200


class Door(StrEnum):
    PERSONAL = "personal"
    PORTAL = "portal"
    API = "api"
    SANDBOX = "sandbox"
    # Passwords of e.firma private keys, tried in the portal's forms.
    EFIRMA = "efirma"


@dataclass(frozen=True)
class Attempt:
    """Through which door, as whom (an email, an RFC) and from where."""

    door: Door
    account: str
    address: str

    def limits(self) -> tuple[tuple[str, int], ...]:
        # A user name is whatever the client sent; clipped, it still fits the key column (and
        # two guesses that differ only past 200 characters may share a count).
        account = self.account[:_ACCOUNT_MAX_CHARS]
        return (
            (f"{self.door}:{account}|ip:{self.address}", ACCOUNT_LIMIT),
            (f"{self.door}|ip:{self.address}", ADDRESS_LIMIT),
        )


def seconds_to_wait(session: Session, attempt: Attempt, now: datetime) -> int:
    """0 when the attempt may go ahead; otherwise how long until it may."""
    wait = 0.0
    for key, limit in attempt.limits():
        recent = session.exec(
            select(SignInFailure.failed_at)
            .where(SignInFailure.key == key, col(SignInFailure.failed_at) > now - WINDOW)
            .order_by(col(SignInFailure.failed_at).desc())
            .limit(limit)
        ).all()
        if len(recent) >= limit:
            # The oldest of the last ``limit`` failures must leave the window first.
            wait = max(wait, (recent[-1] + WINDOW - now).total_seconds())
    return math.ceil(wait)


def recent_failures(session: Session, attempt: Attempt, now: datetime) -> int:
    """This account's failures from this address within the window (a captcha after a few)."""
    key, limit = attempt.limits()[0]
    return len(
        session.exec(
            select(SignInFailure.id)
            .where(SignInFailure.key == key, col(SignInFailure.failed_at) > now - WINDOW)
            .limit(limit)
        ).all()
    )


def record_failure(session: Session, attempt: Attempt, now: datetime) -> None:
    """Count a failed attempt (the caller commits, whatever else the request does)."""
    session.exec(delete(SignInFailure).where(col(SignInFailure.failed_at) <= now - WINDOW))
    for key, _ in attempt.limits():
        session.add(SignInFailure(key=key, failed_at=now))


def record_success(session: Session, attempt: Attempt) -> None:
    """The account's slate is wiped for this address; the address's own count stays."""
    account_key = attempt.limits()[0][0]
    # Looked up first: most sign-ins follow no failure, and a DELETE would take SQLite's write
    # lock on every authenticated request (the API's status polls among them).
    failed = select(SignInFailure.id).where(SignInFailure.key == account_key).limit(1)
    if session.exec(failed).first() is not None:
        session.exec(delete(SignInFailure).where(col(SignInFailure.key) == account_key))


class Throttled(Exception):
    """Too many recent failures; the message (Spanish) says how long to wait."""

    def __init__(self, seconds: int) -> None:
        minutes = max(1, math.ceil(seconds / 60))
        unit = "minuto" if minutes == 1 else "minutos"
        super().__init__(f"Demasiados intentos fallidos. Vuelva a intentarlo en {minutes} {unit}.")
        self.seconds = seconds


def throttled(session: Session, attempt: Attempt, check: Callable[[], T | None]) -> T | None:
    """Run the credential ``check`` unless ``attempt`` must wait, counting a None as a failure.

    Commits: the count of a failure must outlive the refused request that rolls back. Raises
    Throttled instead of running ``check`` (whose password hashing is the expensive part a
    guesser wants) while the client must wait.
    """
    now = utcnow()
    wait = seconds_to_wait(session, attempt, now)
    if wait:
        raise Throttled(wait)
    result = check()
    if result is None:
        record_failure(session, attempt, now)
    else:
        record_success(session, attempt)
    # Committed here either way: a failure must outlive the refused request, and a web request
    # goes on in another thread of a shared pool; its connection must not wait there with it.
    session.commit()
    return result
