"""Issue folios: 10 digits, unique, never reused."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session, col

from core.clock import utcnow
from schema import FolioIssue

# Keeps every folio at 10 significant-looking digits like INFONAVIT's ("0501423523").
FOLIO_BASE = 500_000_000


# Compiled once; run on the session's connection, in its transaction, without the ORM's unit of
# work (every page of avisos issues a folio).
_ISSUE = sa.insert(FolioIssue).returning(col(FolioIssue.id))


def issue_folio(session: Session, purpose: str) -> str:
    issued = session.connection().execute(_ISSUE, {"purpose": purpose, "issued_at": utcnow()})
    number = issued.scalar_one()
    assert number is not None  # a primary key just generated
    return f"{FOLIO_BASE + number:010d}"
