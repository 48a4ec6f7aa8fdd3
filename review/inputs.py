"""What the web accepts from a client, checked once at the edge for every route.

* Numeric ids in paths are :data:`DbId`: 1 to 2³¹−1. PostgreSQL's ``integer`` ids stop at
  2³¹−1 and SQLite's at 2⁶³−1; a larger number used to reach the driver and fail there (a 500).
  An id out of that range is answered like any other malformed parameter, with the Spanish 422
  of ``review.errors`` (never a 404: no id the system issues can be out of range, so the request
  is malformed rather than about something absent).
* Text is :data:`Text`: no control characters (NUL and the rest of C0, DEL, C1) and no lone
  surrogates. PostgreSQL refuses NUL in text, a surrogate cannot be encoded to UTF-8 for either
  database, and neither belongs in an RFC, a folio, an email address or a password. No field of
  the web takes multi-line text but :data:`Paragraph` (a reviewer's reasons), which allows
  tab and line breaks too.
  :func:`refuse_control_characters` applies the same rule where pydantic does not parse the
  value (HTTP Basic credentials, the fields of a streamed multipart form).
* An uploaded file's name is metadata, not something to refuse a good workbook over:
  :func:`clean_filename` replaces what :data:`Text` refuses.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated

from annotated_types import Interval
from fastapi.exceptions import RequestValidationError
from pydantic import AfterValidator
from pydantic_core import PydanticCustomError

MAX_DB_ID = 2**31 - 1  # PostgreSQL `integer`, the narrowest id column of the two databases

DbId = Annotated[int, Interval(ge=1, le=MAX_DB_ID)]

CONTROL_CHARACTERS = "control_characters"  # the error type review.errors renders in Spanish
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def _refusing(pattern: re.Pattern[str]) -> AfterValidator:
    def check(value: str) -> str:
        if pattern.search(value):
            raise PydanticCustomError(CONTROL_CHARACTERS, "contains control characters")
        return value

    return AfterValidator(check)


Text = Annotated[str, _refusing(_CONTROL)]
# Tab, line feed and carriage return are what separates lines and paragraphs.
Paragraph = Annotated[
    str, _refusing(re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]"))
]


def refuse_control_characters(values: Mapping[str, str], where: str) -> None:
    """Raise the 422 of a request whose ``values`` (by field name) hold a control character;
    ``where`` is the part of the request they came in (``body``, ``header``)."""
    errors = [
        {"type": CONTROL_CHARACTERS, "loc": (where, name), "msg": "contains control characters"}
        for name, value in values.items()
        if _CONTROL.search(value)
    ]
    if errors:
        raise RequestValidationError(errors)


def clean_filename(name: str) -> str:
    """The name as stored and shown: each control character or surrogate becomes «_»."""
    return _CONTROL.sub("_", name)
