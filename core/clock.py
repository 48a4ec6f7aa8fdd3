"""The one clock the code asks for the current moment.

Deadlines are legal terms: tests, demos and operators must be able to see what the system does
on a given day. ``SIA_NOW`` (settings) stops the clock at a moment for a whole process;
``travel_to`` (``--now`` of the CLI, tests) moves it for a block of code.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

from core.config import get_settings

_travelled: ContextVar[datetime | None] = ContextVar("sia_now", default=None)


def utcnow() -> datetime:
    """Now, as an aware UTC datetime."""
    moment = _travelled.get() or get_settings().now
    return datetime.now(UTC) if moment is None else moment.astimezone(UTC)


@contextmanager
def travel_to(moment: datetime) -> Iterator[None]:
    """Within the block, ``utcnow()`` answers ``moment`` (which must carry its time zone)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("La fecha y hora debe indicar su zona horaria.")
    token = _travelled.set(moment)
    try:
        yield
    finally:
        _travelled.reset(token)
