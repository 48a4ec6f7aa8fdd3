"""INFONAVIT staff who use the reviewer dashboard."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel

from core.clock import utcnow
from schema.base import UTCDateTime, enum_column


class StaffRole(StrEnum):
    REVISOR = "revisor"
    SUPERVISOR = "supervisor"
    ADMINISTRADOR = "administrador"


class StaffUser(SQLModel, table=True):
    __tablename__ = "staff_users"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=320, unique=True)
    full_name: str = Field(max_length=200)
    role: StaffRole = Field(sa_column=enum_column(StaffRole, nullable=False))
    password_hash: str = Field(max_length=200)
    is_active: bool = Field(default=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    last_login_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class BrowserSession(SQLModel):
    """A signed-in browser (staff or company). The cookie holds an opaque token; the row keeps
    only its SHA-256, so a copy of the table opens no session. Revoked rows are kept until they
    expire, so a stolen cookie presented after sign-out is recognised and refused."""

    id: str = Field(primary_key=True, max_length=64)  # sha256 hex of the cookie's token
    csrf_token: str = Field(max_length=64)
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    last_seen_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False, index=True)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    address: str = Field(max_length=64)
    user_agent: str = Field(default="", max_length=300)


class StaffSession(BrowserSession, table=True):
    __tablename__ = "staff_sessions"

    staff_id: int = Field(foreign_key="staff_users.id", index=True)


class StaffToken(SQLModel, table=True):
    """A bearer token for INFONAVIT's own systems acting as a staff member (the JSON API).
    Shown once when created; only its SHA-256 is kept."""

    __tablename__ = "staff_tokens"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    staff_id: int = Field(foreign_key="staff_users.id", index=True)
    name: str = Field(max_length=100)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
