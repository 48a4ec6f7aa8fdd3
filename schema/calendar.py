"""Non-working days published by INFONAVIT, on top of the statutory ones."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Field, SQLModel

from core.clock import utcnow
from schema.base import UTCDateTime


class NonWorkingDay(SQLModel, table=True):
    __tablename__ = "non_working_days"

    day: dt.date = Field(primary_key=True)
    description: str = Field(max_length=200)
    source: str = Field(max_length=100)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
