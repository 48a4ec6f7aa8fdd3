"""Folios: 10-digit numbers, unique, never reused (DOMAIN §2).

Each folio is a row of this ledger; its autoincrement key (PostgreSQL identity, SQLite
AUTOINCREMENT) plays the part of a database sequence on both databases and also records what
each folio was issued for.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from core.clock import utcnow
from schema.base import UTCDateTime


class FolioIssue(SQLModel, table=True):
    __tablename__ = "folio_issues"
    __table_args__ = {"sqlite_autoincrement": True}

    id: int | None = Field(default=None, primary_key=True)
    purpose: str = Field(max_length=50)
    issued_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
