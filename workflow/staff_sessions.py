"""Staff sessions (``workflow.browser_sessions``) and API tokens.

The API's bearer token, like the session cookie, is a random string the server never stores:
rows are keyed by its SHA-256. "Sign out everywhere" (or deactivating the account) revokes every
session of that person.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from sqlmodel import Session, col, select, update

from core.clock import utcnow
from schema import StaffSession, StaffToken, StaffUser
from workflow.audit import record_event
from workflow.browser_sessions import (
    TOUCH_EVERY,
    OpenedSession,
    digest,
    live_session,
    open_browser_session,
    revoke,
)

TOKEN_DAYS = 365


def open_session(
    session: Session, user: StaffUser, *, address: str, user_agent: str
) -> OpenedSession[StaffSession]:
    """A brand-new session for ``user`` (a new id at every sign-in: no fixation)."""
    assert user.id is not None
    return open_browser_session(
        session, partial(StaffSession, staff_id=user.id), address=address, user_agent=user_agent
    )


def resume_session(session: Session, cookie: str) -> tuple[StaffSession, StaffUser] | None:
    """The live session behind ``cookie`` and its active user, or None (then the cookie is dead)."""
    row = live_session(session, StaffSession, cookie)
    if row is None:
        return None
    user = session.get(StaffUser, row.staff_id)
    if user is None or not user.is_active:
        return None
    return row, user


def end_session(session: Session, row: StaffSession) -> None:
    revoke(session, row)
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
        token_hash=digest(token),
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
    row = session.exec(select(StaffToken).where(StaffToken.token_hash == digest(token))).first()
    now = utcnow()
    if row is None or row.revoked_at is not None or now >= row.expires_at:
        return None
    user = session.get(StaffUser, row.staff_id)
    if user is None or not user.is_active:
        return None
    if row.last_used_at is None or now - row.last_used_at >= TOUCH_EVERY:
        row.last_used_at = now
        session.add(row)
        session.commit()
    return user
