"""Dates and timestamps that travel as the text the domain already wrote (``isoformat()``).

Typed as ``date``/``datetime``, pydantic would re-serialize them (UTC as "Z" instead of
"+00:00"), changing what clients parse today; the schema still says which format they have.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

IsoDate = Annotated[str, Field(json_schema_extra={"format": "date", "examples": ["2026-03-02"]})]
IsoDateTime = Annotated[
    str,
    Field(
        json_schema_extra={"format": "date-time", "examples": ["2026-03-02T16:00:00.123456+00:00"]}
    ),
]
