"""Tab 1: responses must be validly signed, of this round, and cover every aviso of the round."""

from __future__ import annotations

import base64
import copy
import json
from dataclasses import replace
from typing import Any

from evidence.checks.json_responses import check_json_tab
from evidence.checks.round import build_round
from evidence.findings import Code
from evidence.tabs.json_responses import JsonDocument, JsonTab
from rules.signing import sign_document
from tests.evidence.checks.builder import (
    PRIVATE_KEY,
    PUBLIC_KEY,
    avisos_zip,
    check_spec,
    codes,
    evidence_spec,
    generated,
    zip_of,
)
from tests.evidence.fixtures.build import EmbeddedObject, SheetSpec


def _tab1(gen: Any, zipped: bytes) -> list[SheetSpec]:
    spec = evidence_spec(gen)
    spec[0] = replace(spec[0], objects=[EmbeddedObject("respuestas.zip", zipped)])
    return spec


def _narrowed(
    response: dict[str, Any], keep: list[dict[str, Any]], consulta: str
) -> dict[str, Any]:
    """What the sandbox answers for a narrower window: fewer avisos, its own folioConsulta."""
    narrowed = copy.deepcopy(response)
    narrowed.update(folioConsulta=consulta, avisos=keep, desde=keep[0]["fechaAviso"])
    return sign_document(narrowed, PRIVATE_KEY)


def test_response_of_another_test_set_is_foreign() -> None:
    gen, other = generated(), generated("otro-set", folio="0501423999")
    result = check_spec(_tab1(gen, avisos_zip([*gen.avisos, *other.avisos])), gen)
    assert codes(result) == ["T1-FOREIGN"]
    found = result.findings[0]
    assert found.expected == gen.test_set["patron"]["nrp"]
    assert found.actual == other.test_set["patron"]["nrp"]
    assert "no del patrón de este set" in found.message


def test_signed_response_with_avisos_of_another_set_is_foreign_even_for_this_patron() -> None:
    gen, other = generated(), generated("otro-set", folio="0501423999")
    mixed = copy.deepcopy(gen.avisos[0])
    mixed["avisos"] = [*mixed["avisos"], other.avisos[0]["avisos"][0]]
    mixed = sign_document(mixed, PRIVATE_KEY)
    result = check_spec(_tab1(gen, avisos_zip([*gen.avisos, mixed])), gen)
    assert codes(result) == ["T1-FOREIGN"]
    assert result.findings[0].actual == other.avisos[0]["avisos"][0]["folio"]


def test_one_digit_changed_breaks_the_signature() -> None:
    gen = generated()
    original = json.dumps(gen.avisos[0], ensure_ascii=False, indent=2)
    valor = next(a["valorDescuento"] for a in gen.avisos[0]["avisos"] if a["valorDescuento"])
    changed = f"{(int(valor[0]) + 1) % 10}{valor[1:]}"
    altered = original.replace(f'"valorDescuento": "{valor}"', f'"valorDescuento": "{changed}"', 1)
    assert altered != original
    # The intact response is there too, so only the altered copy is at fault.
    files = {"avisos/original.json": original.encode(), "avisos/alterado.json": altered.encode()}
    result = check_spec(_tab1(gen, zip_of(files)), gen)
    assert codes(result) == ["T1-SIGNATURE"]
    assert "«avisos/alterado.json»" in result.findings[0].message


def test_avisos_only_in_an_altered_response_are_missing() -> None:
    gen = generated()
    altered = copy.deepcopy(gen.avisos[0])
    altered["registroPatronal"] = altered["registroPatronal"][::-1]
    result = check_spec(_tab1(gen, avisos_zip([altered])), gen)
    workers = {aviso["nss"] for aviso in gen.avisos[0]["avisos"]}
    assert codes(result) == ["T1-SIGNATURE"] + ["T1-MISSING"] * len(workers)


def test_narrowed_responses_that_cover_every_aviso_belong() -> None:
    gen = generated()
    response = gen.avisos[0]
    avisos = response["avisos"]
    half = len(avisos) // 2
    parts = [
        _narrowed(response, avisos[:half], "0000000001"),
        _narrowed(response, avisos[half:], "0000000002"),
    ]
    assert check_spec(_tab1(gen, avisos_zip(parts)), gen).findings == ()


def test_missing_avisos_are_reported_once_per_worker_with_their_folios() -> None:
    gen = generated()
    response = gen.avisos[0]
    case = gen.test_set["casos"][0]
    theirs = [a for a in response["avisos"] if a["nss"] == case["nss"]]
    others = [a for a in response["avisos"] if a["nss"] != case["nss"]]
    result = check_spec(_tab1(gen, avisos_zip([_narrowed(response, others, "0000000003")])), gen)
    assert codes(result) == ["T1-MISSING"]
    found = result.findings[0]
    assert found.case == case["caso"]
    assert found.expected == ", ".join(a["folio"] for a in theirs)
    assert case["nss"] in found.message


def test_unsigned_response_is_a_signature_finding() -> None:
    gen = generated()
    unsigned = {k: v for k, v in gen.avisos[0].items() if k != "firma"}
    result = check_spec(_tab1(gen, avisos_zip([*gen.avisos, unsigned])), gen)
    assert codes(result) == ["T1-SIGNATURE"]
    assert "no tiene firma" in result.findings[0].message


def test_a_tab_without_zip_is_not_checked_for_missing_avisos() -> None:
    gen = generated()
    spec = evidence_spec(gen)
    spec[0] = replace(spec[0], objects=[])
    result = check_spec(spec, gen)
    assert codes(result) == ["T1-NO-ZIP"]
    assert result.verdict == "ilegible"
    assert Code.T1_MISSING not in {f.code for f in result.findings}


def test_a_document_nested_beyond_any_response_fails_the_signature_without_crashing() -> None:
    gen = generated()
    nested: list[Any] = []
    for _ in range(5_000):
        nested = [nested]
    document = {"a": nested, "firma": base64.b64encode(bytes(64)).decode()}
    tab = JsonTab(("z.zip",), (JsonDocument("z.zip", "hondo.json", document),))
    round_ = build_round(gen.test_set, gen.answers, gen.avisos)
    findings = check_json_tab(tab, round_, PUBLIC_KEY)
    assert findings[0].code is Code.T1_SIGNATURE
    assert "no es una respuesta" in findings[0].message
    assert {f.code for f in findings[1:]} == {Code.T1_MISSING}
