"""Stored files kept in the database (``core.storage``'s database store).

A row is immutable and named by the same key a file under the storage dir would have
(``area/ab/<sha256><suffix>``), so paths recorded elsewhere resolve in either store. On PostgreSQL
the bytes are kept out of line and uncompressed (the migration sets ``STORAGE EXTERNAL``): most are
zip containers, PNG, JPEG or PDF already, which compressing again would only cost CPU.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from core.clock import utcnow
from schema.base import UTCDateTime


class Blob(SQLModel, table=True):
    __tablename__ = "blobs"

    key: str = Field(primary_key=True, max_length=200)
    sha256: str = Field(max_length=64)
    size: int
    data: bytes = Field(sa_type=sa.LargeBinary)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
