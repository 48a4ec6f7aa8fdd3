"""Text a database can store, from whatever a hostile workbook put in its cells and files.

JSON and spreadsheets can carry characters that PostgreSQL refuses in ``text`` and ``jsonb``: NUL
(a ``\\u0000`` escape in JSON, ``_x0000_`` in an xlsx cell, a BIFF string) and half of a surrogate
pair (a ``\\ud800`` escape). Left in a reading, they would make storing the examination fail, and
the upload would never get its verdict. What is stored shows each of them as U+FFFD, the
replacement character, as a text viewer would; the checks have already run on the text as it came.
(The other thing a store refuses, a number past the double range, is refused when the JSON is
read: ``evidence.tabs.json_responses``.)
"""

from __future__ import annotations

from typing import Any, NamedTuple

import orjson

from rules.json_text import compact_json

REPLACEMENT = "\ufffd"


def _text(value: str) -> str:
    value = value.replace("\x00", REPLACEMENT)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        value = "".join(REPLACEMENT if "\ud800" <= c <= "\udfff" else c for c in value)
    return value


def _cleaned(value: Any) -> Any:
    if isinstance(value, str):
        return _text(value)
    if isinstance(value, dict):
        return {_cleaned(key): _cleaned(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_cleaned(item) for item in value]
    return value


class StorableJson(NamedTuple):
    text: bytes  # compact UTF-8 JSON
    # Written by the standard library: it may hold integers past 64 bits, which orjson would
    # read back as floats; read it with the standard library, whose integers are exact.
    wide_integers: bool


def storable_json(value: Any) -> StorableJson:
    """``value`` (JSON-ready data) as JSON text, with NUL and lone surrogates replaced (see the
    module). What the reader process sends its parent: encoding it is also the check, so clean
    data, nearly always, is walked once, by orjson."""
    try:
        text = orjson.dumps(value)
        # A literal backslash before "u0000" in some text also matches, and costs only the walk.
        if b"\\u0000" not in text:
            return StorableJson(text, wide_integers=False)
    except orjson.JSONEncodeError:
        pass  # a lone surrogate, or an integer past 64 bits (fine to store)
    return StorableJson(*compact_json(_cleaned(value)))
