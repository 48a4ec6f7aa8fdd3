"""Emails waiting to be sent, written in the same transaction as the change that causes them."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from core.clock import utcnow
from schema.base import JSONType, UTCDateTime, enum_column


class OutboxStatus(StrEnum):
    PENDIENTE = "pendiente"
    ENVIANDO = "enviando"
    ENVIADO = "enviado"
    FALLIDO = "fallido"  # dead-lettered after the last attempt; visible to staff


class OutboxEmail(SQLModel, table=True):
    __tablename__ = "outbox_emails"
    __table_args__ = (sa.Index("ix_outbox_emails_status_next", "status", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    # e.g. "certification:17:test_set_sent:2"; a retried task or duplicate event hits it.
    idempotency_key: str = Field(max_length=200, unique=True)
    message_id: str = Field(max_length=250, unique=True)
    template: str = Field(max_length=100)
    recipients: list[str] = Field(sa_type=JSONType)
    context: dict[str, Any] = Field(sa_type=JSONType)
    attachments: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSONType)
    status: OutboxStatus = Field(sa_column=enum_column(OutboxStatus, nullable=False))
    attempts: int = Field(default=0)
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    claim_token: str | None = Field(default=None, max_length=64)
    claimed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str | None = Field(default=None, sa_type=sa.Text)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
