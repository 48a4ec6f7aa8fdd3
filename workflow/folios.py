"""Issue folios: 10 digits, unique, never reused."""

from __future__ import annotations

from sqlalchemy import insert
from sqlmodel import Session, col

from core.clock import utcnow
from schema import FolioIssue

# Keeps every folio at 10 significant-looking digits like INFONAVIT's ("0501423523").
FOLIO_BASE = 500_000_000


def issue_folio(session: Session, purpose: str) -> str:
    # A Core insert: every page of avisos issues one, and the ORM's unit of work for a row
    # nobody reads back costs several times the statement.
    issued = session.execute(
        insert(FolioIssue).values(purpose=purpose, issued_at=utcnow()).returning(col(FolioIssue.id))
    ).scalar_one()
    return f"{FOLIO_BASE + issued:010d}"
