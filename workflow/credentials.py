"""Checking a password without holding a database connection meanwhile.

argon2 is slow on purpose (tens of milliseconds of CPU and memory per check). Done while the
request's transaction holds a pooled connection, a burst of sign-ins used to empty the pool and
turn into errors; the connection is given back first, and the check of an unknown account costs
the same as a wrong password, so timing does not tell which accounts exist.
"""

from __future__ import annotations

from functools import cache

from sqlmodel import Session

from core.security import hash_password, verify_password


@cache
def _dummy_hash() -> str:
    return hash_password("cuenta-inexistente")


def password_matches(session: Session, password: str, password_hash: str | None) -> bool:
    """``password`` against ``password_hash`` (None: an account that does not exist, always
    False after the same work). Commits the session's read-only transaction first."""
    if session.in_transaction() and not (session.new or session.dirty or session.deleted):
        session.commit()
    if password_hash is None:
        verify_password(password, _dummy_hash())
        return False
    return verify_password(password, password_hash)
