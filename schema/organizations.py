"""Vendors (desarrolladores) and employers (patrones) known to the back office."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from core.clock import utcnow
from schema.base import UTCDateTime, enum_column


class OrganizationKind(StrEnum):
    DESARROLLADOR = "desarrollador"
    PATRON = "patron"


class Organization(SQLModel, table=True):
    __tablename__ = "organizations"
    __table_args__ = (
        # A desarrollador is its RFC; a patrón is its NRP, and one RFC may hold several NRPs.
        sa.Index(
            "uq_organizations_desarrollador_rfc",
            "rfc",
            unique=True,
            postgresql_where=sa.text("kind = 'desarrollador'"),
            sqlite_where=sa.text("kind = 'desarrollador'"),
        ),
        # The review queue finds a vendor by any part of its RFC or razón social: trigram
        # indexes on PostgreSQL (extension pg_trgm); SQLite, which has none, gets plain ones.
        sa.Index(
            "ix_organizations_rfc_trgm",
            "rfc",
            postgresql_using="gin",
            postgresql_ops={"rfc": "gin_trgm_ops"},
        ),
        sa.Index(
            "ix_organizations_razon_social_trgm",
            "razon_social",
            postgresql_using="gin",
            postgresql_ops={"razon_social": "gin_trgm_ops"},
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: OrganizationKind = Field(sa_column=enum_column(OrganizationKind, nullable=False))
    rfc: str = Field(max_length=13, index=True)
    razon_social: str = Field(max_length=300)
    nrp: str | None = Field(default=None, max_length=11, unique=True)
    email: str = Field(max_length=320)
    # The SIA password is emailed once and kept only as an argon2 hash (DOMAIN §2).
    sia_password_hash: str | None = Field(default=None, max_length=200)
    # Bumped whenever the SIA password is generated, recovered or cancelled: a sandbox token
    # issued under an older one stops working at once.
    sia_password_version: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
