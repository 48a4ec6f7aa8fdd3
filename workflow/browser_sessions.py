"""Browser sessions kept server-side, for staff and companies alike, so that signing out ends them.

The cookie is a random string the server never stores: rows are keyed by its SHA-256. A session
ends after ``staff_idle_minutes`` without a request or ``staff_session_hours`` after sign-in,
whichever comes first; signing out revokes it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Generic, TypeVar

from sqlmodel import Session, col, delete

from core.clock import utcnow
from core.config import get_settings
from schema import BrowserSession

# last_seen_at is written at most this often: a page view must not always be a write.
TOUCH_EVERY = timedelta(minutes=1)

S = TypeVar("S", bound=BrowserSession)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class OpenedSession(Generic[S]):
    cookie: str  # for the browser only; never stored
    row: S


def open_browser_session(
    session: Session, make: Callable[..., S], *, address: str, user_agent: str
) -> OpenedSession[S]:
    """A brand-new session row built by ``make`` (the table's class with its owner bound):
    a new id at every sign-in, whatever cookie the browser brought (no fixation)."""
    now = utcnow()
    cookie = secrets.token_urlsafe(32)
    row = make(
        id=digest(cookie),
        csrf_token=secrets.token_urlsafe(32),
        created_at=now,
        last_seen_at=now,
        expires_at=now + timedelta(hours=get_settings().staff_session_hours),
        address=address[:64],
        user_agent=user_agent[:300],
    )
    session.add(row)
    # Expired rows are useless even as evidence of a stolen cookie: pruned as new ones come.
    table = type(row)
    session.exec(delete(table).where(col(table.expires_at) < now))
    return OpenedSession(cookie, row)


def live_session(session: Session, table: type[S], cookie: str) -> S | None:
    """The unrevoked, unexpired, recently used session behind ``cookie``, touched; or None."""
    if not cookie or len(cookie) > 100:
        return None
    row = session.get(table, digest(cookie))
    if row is None or row.revoked_at is not None:
        return None
    now = utcnow()
    idle = timedelta(minutes=get_settings().staff_idle_minutes)
    if now >= row.expires_at or now - row.last_seen_at >= idle:
        return None
    if now - row.last_seen_at >= TOUCH_EVERY:
        row.last_seen_at = now
        session.add(row)
        session.commit()
    return row


def csrf_matches(row: BrowserSession, sent: str | None) -> bool:
    return sent is not None and hmac.compare_digest(row.csrf_token.encode(), sent.encode())


def revoke(session: Session, row: BrowserSession) -> None:
    row.revoked_at = utcnow()
    session.add(row)
