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
