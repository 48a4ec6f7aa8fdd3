"""Staff sessions and API tokens, kept server-side so that signing out ends them.

The browser's cookie and the API's bearer token are random strings the server never stores:
rows are keyed by their SHA-256. A session ends after ``staff_idle_minutes`` without a request or
``staff_session_hours`` after sign-in, whichever comes first; signing out revokes it, and
"sign out everywhere" (or deactivating the account) revokes every session of that person.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlmodel import Session, col, delete, select, update

from core.clock import utcnow
from core.config import get_settings
from schema import StaffSession, StaffToken, StaffUser
from workflow.audit import record_event

# last_seen_at is written at most this often: a page view must not always be a write.
_TOUCH_EVERY = timedelta(minutes=1)
TOKEN_DAYS = 365


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class OpenedSession:
    cookie: str  # for the browser only; never stored
    row: StaffSession


def open_session(
    session: Session, user: StaffUser, *, address: str, user_agent: str
) -> OpenedSession:
    """A brand-new session for ``user`` (a new id at every sign-in: no fixation)."""
    assert user.id is not None
    now = utcnow()
    settings = get_settings()
    cookie = secrets.token_urlsafe(32)
    row = StaffSession(
        id=_digest(cookie),
        staff_id=user.id,
        csrf_token=secrets.token_urlsafe(32),
        created_at=now,
        last_seen_at=now,
        expires_at=now + timedelta(hours=settings.staff_session_hours),
        address=address[:64],
        user_agent=user_agent[:300],
    )
    session.add(row)
    # Expired rows are useless even as evidence of a stolen cookie: pruned as new ones come.
    session.exec(delete(StaffSession).where(col(StaffSession.expires_at) < now))
    return OpenedSession(cookie, row)


def resume_session(session: Session, cookie: str) -> tuple[StaffSession, StaffUser] | None:
    """The live session behind ``cookie`` and its active user, or None (then the cookie is dead)."""
    if not cookie or len(cookie) > 100:
        return None
    row = session.get(StaffSession, _digest(cookie))
    if row is None or row.revoked_at is not None:
        return None
    now = utcnow()
    idle = timedelta(minutes=get_settings().staff_idle_minutes)
    if now >= row.expires_at or now - row.last_seen_at >= idle:
        return None
    user = session.get(StaffUser, row.staff_id)
    if user is None or not user.is_active:
        return None
    if now - row.last_seen_at >= _TOUCH_EVERY:
        row.last_seen_at = now
        session.add(row)
        session.commit()
    return row, user


def csrf_matches(row: StaffSession, sent: str | None) -> bool:
    return sent is not None and hmac.compare_digest(row.csrf_token.encode(), sent.encode())


def end_session(session: Session, row: StaffSession) -> None:
    row.revoked_at = utcnow()
    session.add(row)
    record_event(
        session,
        actor=f"staff:{row.staff_id}",
        action="staff.signed_out",
        entity_type="staff_user",
        entity_id=row.staff_id,
    )


def end_all_sessions(session: Session, user: StaffUser, *, actor: str) -> int:
    """Revoke every live session of ``user`` (sign out everywhere, or a deactivated account)."""
    assert user.id is not None
    result = session.exec(
        update(StaffSession)
        .where(col(StaffSession.staff_id) == user.id, col(StaffSession.revoked_at).is_(None))
        .values(revoked_at=utcnow())
    )
    record_event(
        session,
        actor=actor,
        action="staff.signed_out_everywhere",
        entity_type="staff_user",
        entity_id=user.id,
        data={"sessions": result.rowcount},
    )
    return int(result.rowcount)


@dataclass(frozen=True)
class IssuedToken:
    token: str  # shown once
    row: StaffToken


def issue_token(session: Session, user: StaffUser, name: str, *, actor: str) -> IssuedToken:
    assert user.id is not None
    token = "sia_" + secrets.token_urlsafe(32)
    row = StaffToken(
        token_hash=_digest(token),
        staff_id=user.id,
        name=name,
        expires_at=utcnow() + timedelta(days=TOKEN_DAYS),
    )
    session.add(row)
    session.flush()
    assert row.id is not None
    record_event(
        session,
        actor=actor,
        action="staff.token_issued",
        entity_type="staff_user",
        entity_id=user.id,
        data={"token_id": row.id, "name": name},
    )
    return IssuedToken(token, row)


def authenticate_token(session: Session, token: str) -> StaffUser | None:
    if not token.startswith("sia_") or len(token) > 100:
        return None
    row = session.exec(select(StaffToken).where(StaffToken.token_hash == _digest(token))).first()
    now = utcnow()
    if row is None or row.revoked_at is not None or now >= row.expires_at:
        return None
    user = session.get(StaffUser, row.staff_id)
    if user is None or not user.is_active:
        return None
    if row.last_used_at is None or now - row.last_used_at >= _TOUCH_EVERY:
        row.last_used_at = now
        session.add(row)
        session.commit()
    return user
