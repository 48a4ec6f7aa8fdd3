"""Tab 1's signature check without the walk: the same canonical bytes, the same verdicts.

A response read from the zip is serialized once, straight away, when its text held no float; the
walk over every value (``rules.signing``) is kept for documents that did, which it refuses.
"""

from __future__ import annotations

import json
import random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evidence.checks.json_responses import response_problem
from evidence.checks.round import build_round
from evidence.findings import Code
from evidence.formats.embedded import EmbeddedFile
from evidence.tabs.json_responses import JsonDocument, read_zip
from rules.signing import CanonicalFormError, canonical_json, sign_document
from tests.evidence.checks.builder import PRIVATE_KEY, PUBLIC_KEY, generated, zip_of

SAMPLES = ["", "ñandú", "ÁÉÍÓÚ", "日本語", "🙂 emoji", '"q" \\ b', "t\tn\nl\u2028", "\x00\x1f"]
TEXT = st.text(st.characters(codec="utf-8"), max_size=12) | st.sampled_from(SAMPLES)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(10**40), max_value=10**40)
    | TEXT
    # Amounts as the format carries them: decimal text.
    | st.decimals(allow_nan=False, allow_infinity=False, places=2).map(str)
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=25,
)
FLOATS = st.floats(allow_nan=False, allow_infinity=False)


def written(document: dict[str, Any], style: int) -> bytes:
    """``document`` as a vendor's tool may write it: indented or not, escaped or not, any order."""
    rng = random.Random(style)
    items = list(document.items())
    rng.shuffle(items)
    text = json.dumps(
        dict(items), indent=rng.choice([None, 2, "\t"]), ensure_ascii=rng.random() < 0.5
    )
    return text.encode("utf-8") if rng.random() < 0.8 else b"\xef\xbb\xbf" + text.encode("utf-8")


def read_back(raw: bytes) -> JsonDocument:
    documents, findings = read_zip(EmbeddedFile("respuestas.zip", zip_of({"r.json": raw})))
    assert findings == []
    return documents[0]


def contains_float(value: object) -> bool:
    if isinstance(value, dict):
        return any(map(contains_float, value.values()))
    if isinstance(value, list):
        return any(map(contains_float, value))
    return isinstance(value, float)


@settings(max_examples=150, deadline=None)
@given(document=st.dictionaries(TEXT, VALUES, max_size=6), style=st.integers())
def test_documents_without_floats_have_the_same_canonical_bytes_without_the_walk(
    document: dict[str, Any], style: int
) -> None:
    read = read_back(written(document, style))
    assert read.json_without_floats
    assert read.document == document
    assert canonical_json(read.document, json_without_floats=True) == canonical_json(read.document)


@settings(max_examples=60, deadline=None)
@given(
    document=st.dictionaries(TEXT, VALUES, min_size=1, max_size=4),
    number=FLOATS,
    style=st.integers(),
)
def test_a_float_anywhere_is_noticed_and_left_to_the_walk(
    document: dict[str, Any], number: float, style: int
) -> None:
    key = next(iter(document))
    document[key] = [document[key], {"importe": number}]
    read = read_back(written(document, style))
    assert not read.json_without_floats
    assert contains_float(read.document)
    with pytest.raises(CanonicalFormError, match="como texto"):
        canonical_json(read.document)


def test_integers_written_with_an_exponent_are_floats_too() -> None:
    read = read_back(b'{"a": [1, 2, {"b": 1E2}]}')
    assert not read.json_without_floats
    assert read_back(b'{"a": [1, 2, {"b": 100}]}').json_without_floats


def test_a_lone_surrogate_has_no_canonical_form_either_way() -> None:
    read = read_back(b'{"nombre": "\\ud800JUAN"}')
    assert read.json_without_floats
    for walked in (False, True):
        with pytest.raises(CanonicalFormError, match="Unicode"):
            canonical_json(read.document, json_without_floats=walked)


@pytest.fixture(scope="module")
def signed_round() -> tuple[dict[str, Any], Any]:
    gen = generated()
    return gen.avisos[0], build_round(gen.test_set, gen.answers, gen.avisos)


@pytest.mark.parametrize("style", range(6))
def test_a_signed_response_passes_however_it_is_written(
    signed_round: tuple[dict[str, Any], Any], style: int
) -> None:
    response, round_ = signed_round
    read = read_back(written(response, style))
    assert read.json_without_floats
    assert response_problem(read, round_, PUBLIC_KEY) is None


@pytest.mark.parametrize(
    "alter",
    [
        lambda d: d["avisos"][0].update(nombre=d["avisos"][0]["nombre"] + " "),
        lambda d: d["avisos"][0].update(extra=None),
        lambda d: d.update(folioConsulta=7),
        lambda d: d["avisos"][0].update(valorDescuento=float(d["avisos"][0]["valorDescuento"])),
    ],
    ids=["text", "key", "type", "decimal-as-float"],
)
def test_an_altered_response_fails_its_signature(
    signed_round: tuple[dict[str, Any], Any], alter: Any
) -> None:
    response, round_ = signed_round
    altered = json.loads(json.dumps(response))
    alter(altered)
    problem = response_problem(read_back(written(altered, 0)), round_, PUBLIC_KEY)
    assert problem is not None and problem.code is Code.T1_SIGNATURE


def test_a_response_signed_over_its_canonical_form_verifies_after_reading() -> None:
    document = {"z": "ñ", "a": [1, {"y": None, "b": True}], "m": "𝄞\u2028", "n": 10**30}
    signed = sign_document(document, PRIVATE_KEY)
    gen = generated()
    round_ = build_round(gen.test_set, gen.answers, gen.avisos)
    problem = response_problem(read_back(written(signed, 3)), round_, PUBLIC_KEY)
    # Signed by us and verified: only its registro patronal makes it foreign to this round.
    assert problem is not None and problem.code is Code.T1_FOREIGN
