"""What a database refuses (NUL, half a surrogate pair) is replaced before a reading is stored."""

import json
from typing import Any

import orjson
import pytest
from hypothesis import assume, given

from evidence.storable import REPLACEMENT, storable_json
from tests.json_values import json_values


def storable(value: Any) -> Any:
    """What the parent reads back from the JSON text, with the reader it is told to use."""
    text, wide_integers = storable_json(value)
    return json.loads(text) if wide_integers else orjson.loads(text)


def _texts(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [t for pair in value.items() for part in pair for t in _texts(part)]
    if isinstance(value, list):
        return [t for item in value for t in _texts(item)]
    return []


@pytest.mark.parametrize(
    ("given_text", "stored"),
    [
        ("a\x00b", f"a{REPLACEMENT}b"),
        ("x\ud800y", f"x{REPLACEMENT}y"),
        ("\udfff\x00", REPLACEMENT * 2),
        ("par válido 😀", "par válido 😀"),
    ],
)
def test_refused_characters_become_the_replacement_character(given_text, stored):
    value = {"filas": [[given_text, 1]], given_text: {"n": 10**30}}
    assert storable(value) == {"filas": [[stored, 1]], stored: {"n": 10**30}}


def test_clean_data_is_written_as_it_is():
    value = {"texto": "sin nada raro", "n": 2**63, "f": 1.5, "l": [None, True]}
    assert storable_json(value) == (orjson.dumps(value), False)


def test_integers_past_64_bits_are_read_back_exactly():
    value = {"n": 10**30, "m": -(2**64)}
    assert storable_json(value).wide_integers
    assert storable(value) == value


def test_text_that_only_spells_an_escape_is_kept():
    value = {"texto": "una barra \\u0000 escrita, no un nulo", "n": 10**30}
    assert storable(value) == value


@given(json_values)
def test_every_stored_text_is_utf8_without_nul(value):
    for text in _texts(storable(value)):
        assert "\x00" not in text
        text.encode("utf-8")


def _utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate
        return False
    return True


@given(json_values)
def test_what_holds_nothing_refused_is_read_back_as_it_was(value):
    assume(all(_utf8(text) and "\x00" not in text for text in _texts(value)))
    assert storable(value) == value
