"""Failed sign-ins, kept only as long as they can slow a guesser down (see workflow/throttle.py)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from core.clock import utcnow
from schema.base import UTCDateTime


class SignInFailure(SQLModel, table=True):
    __tablename__ = "sign_in_failures"

    id: int | None = Field(default=None, primary_key=True)
    # What was being guessed and from where: "personal:ana@x|ip:10.0.0.7", or "ip:10.0.0.7".
    key: str = Field(max_length=400, index=True)
    failed_at: datetime = Field(
        default_factory=utcnow, sa_type=UTCDateTime, nullable=False, index=True
    )
