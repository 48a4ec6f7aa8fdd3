"""The append-only, hash-chained audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from schema.base import JSONType, UTCDateTime

GENESIS_HASH = "0" * 64


class AuditEvent(SQLModel, table=True):
    """One event. `id` is assigned by workflow.audit (not autoincrement) so the chain is gapless."""

    __tablename__ = "audit_events"
    __table_args__ = (
        sa.Index("ix_audit_events_entity", "entity_type", "entity_id"),
        # The metrics fold transitions by time: without it, a scan of the whole log.
        sa.Index("ix_audit_events_entity_type_occurred_at", "entity_type", "occurred_at"),
    )

    id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    occurred_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    actor: str = Field(max_length=100)
    action: str = Field(max_length=100)
    entity_type: str = Field(max_length=50)
    entity_id: int
    from_state: str | None = Field(default=None, max_length=40)
    to_state: str | None = Field(default=None, max_length=40)
    reason: str | None = Field(default=None, sa_type=sa.Text)
    data: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType)
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64, unique=True)


class AuditHead(SQLModel, table=True):
    """The chain's tip: a single row locked by every append, so appends never fork the chain
    and a deleted tail is still detected."""

    __tablename__ = "audit_head"

    id: int = Field(default=1, primary_key=True, sa_column_kwargs={"autoincrement": False})
    last_event_id: int = Field(default=0)
    last_hash: str = Field(default=GENESIS_HASH, max_length=64)
