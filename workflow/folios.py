"""Issue folios: 10 digits, unique, never reused."""

from __future__ import annotations

from sqlmodel import Session

from schema import FolioIssue

# Keeps every folio at 10 significant-looking digits like INFONAVIT's ("0501423523").
FOLIO_BASE = 500_000_000


def issue_folio(session: Session, purpose: str) -> str:
    row = FolioIssue(purpose=purpose)
    session.add(row)
    session.flush()
    assert row.id is not None
    return f"{FOLIO_BASE + row.id:010d}"
