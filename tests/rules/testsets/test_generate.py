"""Generating and writing a round's test set (DOMAIN §7)."""

import json
import random
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from rules.avisos import AVISO_CATALOG
from rules.identities import is_valid_curp, is_valid_nrp, is_valid_nss, is_valid_rfc
from rules.retention.contract import calculate_json
from rules.signing import load_public_key_pem, verify_document
from rules.testsets.features import FEATURES, features_covered
from rules.testsets.generate import (
    ANSWERS_FILE,
    AVISOS_DIR,
    TEMPLATE_FILE,
    TEST_SET_FILE,
    GenerationError,
    new_seed,
    write_test_set,
)
from rules.testsets.periods import periodicidad_of
from tests.rules.testsets.samples import EMITIDO, KEY, MX, generate

CASE_KEYS = {
    "caso",
    "seccion",
    "nss",
    "nombre",
    "periodo",
    "trabajador",
    "ausencias",
    "incapacidades",
    "cfdi",
}
ANSWER_KEYS = {"subperiodos", "amortizacion", "seguroDanios", "total", "tope", "importeDiario"}


def _keys(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _keys(item)
    elif isinstance(value, list):
        for item in value:
            yield from _keys(item)


def _files(directory: Path) -> dict[Path, bytes]:
    return {
        path.relative_to(directory): path.read_bytes()
        for path in sorted(directory.rglob("*"))
        if path.is_file()
    }


# --- documents --------------------------------------------------------------------------------


def test_test_set_has_the_fields_and_cases_of_section_7(generated):
    doc = generated.test_set
    assert list(doc) == [
        "folio",
        "ronda",
        "semilla",
        "emitido",
        "desarrollador",
        "patron",
        "casos",
    ]
    assert doc["emitido"] == "2026-03-02T10:00:00-06:00"
    assert doc["desarrollador"] == {"rfc": "CAC840428RH1"}
    assert set(doc["patron"]) == {"rfc", "nrp", "razonSocial"}
    ids = [case["caso"] for case in doc["casos"]]
    assert ids == [f"M{i:02d}" for i in range(1, 7)] + [f"E{i:02d}" for i in range(1, 11)]
    for case in doc["casos"]:
        assert set(case) == CASE_KEYS
        assert case["seccion"] == ("muestra" if case["caso"][0] == "M" else "evaluacion")
        assert set(case["periodo"]) == {"desde", "hasta", "periodicidad"}
        assert set(case["trabajador"]) == {"sbc", "salarioDiario", "zona"}
    marked = [case for case in doc["casos"] if case["cfdi"]]
    assert len(marked) == 1 and marked[0]["seccion"] == "evaluacion"


def test_cases_never_state_tipo_or_valor_nor_any_answer(generated):
    keys = set(_keys(generated.test_set))
    assert not keys & {"tipoDescuento", "valorDescuento", *ANSWER_KEYS}
    assert not set(_keys(list(generated.avisos))) & ANSWER_KEYS


def test_each_case_has_its_own_valid_worker_and_a_period_from_2024_to_emitido(generated):
    cases = generated.test_set["casos"]
    assert len({case["nss"] for case in cases}) == len(cases)
    for case in cases:
        assert is_valid_nss(case["nss"])
        desde = date.fromisoformat(case["periodo"]["desde"])
        hasta = date.fromisoformat(case["periodo"]["hasta"])
        assert date(2024, 1, 1) <= desde <= hasta <= EMITIDO.date()
        assert periodicidad_of(desde, hasta) == case["periodo"]["periodicidad"]
        absent = [*case["ausencias"], *case["incapacidades"]]
        assert len(set(absent)) == len(absent)
        assert all(desde <= date.fromisoformat(day) <= hasta for day in absent)
        assert Decimal(case["trabajador"]["sbc"]) >= Decimal(case["trabajador"]["salarioDiario"])


def test_avisos_response_is_signed_and_covers_every_worker(generated):
    (response,) = generated.avisos
    public_key = KEY.public_key()
    assert verify_document(response, public_key)
    assert response["registroPatronal"] == generated.patron.nrp
    assert response["folioConsulta"].isdigit() and len(response["folioConsulta"]) == 10
    avisos = response["avisos"]
    folios = [aviso["folio"] for aviso in avisos]
    assert len(set(folios)) == len(folios)
    assert response["folioConsulta"] not in folios
    assert {aviso["nss"] for aviso in avisos} == {c["nss"] for c in generated.test_set["casos"]}
    for aviso in avisos:
        assert response["desde"] <= aviso["fechaAviso"] <= response["hasta"]
        assert aviso["fechaAviso"] <= EMITIDO.date().isoformat()
        assert AVISO_CATALOG[aviso["tipoAviso"]["clave"]] == aviso["tipoAviso"]["clase"]
        assert is_valid_rfc(aviso["rfc"], kind="fisica") and is_valid_curp(aviso["curp"])


def test_sandbox_patron_is_a_valid_company(generated):
    patron = generated.patron
    assert is_valid_rfc(patron.rfc, kind="moral")
    assert is_valid_nrp(patron.nrp)
    assert generated.test_set["patron"] == {
        "rfc": patron.rfc,
        "nrp": patron.nrp,
        "razonSocial": patron.razon_social,
    }


def test_answers_are_the_calculator_output_of_every_case(generated):
    assert list(generated.answers) == [case["caso"] for case in generated.test_set["casos"]]
    for answer in generated.answers.values():
        assert Decimal(answer["total"]) > 0


# --- reproducibility --------------------------------------------------------------------------


def test_same_seed_writes_byte_identical_files(tmp_path):
    public_key = KEY.public_key()
    random.seed(1)
    write_test_set(generate(), tmp_path / "a", public_key)
    random.seed(2)  # the generator must not depend on the global random state
    write_test_set(generate(), tmp_path / "b", public_key)
    first, second = _files(tmp_path / "a"), _files(tmp_path / "b")
    assert first == second
    assert set(first) >= {
        Path(TEST_SET_FILE),
        Path(ANSWERS_FILE),
        Path(TEMPLATE_FILE),
        Path("llave-publica.pem"),
    }
    assert any(path.parts[0] == AVISOS_DIR for path in first)


def test_different_seeds_give_different_sets():
    one, other = generate("uno"), generate("otro")
    assert one.test_set["casos"] != other.test_set["casos"]
    assert one.avisos[0]["avisos"] != other.avisos[0]["avisos"]
    assert one.patron != other.patron


def test_new_seed_is_different_every_time():
    seeds = {new_seed() for _ in range(20)}
    assert len(seeds) == 20
    assert all(len(seed) >= 32 for seed in seeds)


# --- writing ----------------------------------------------------------------------------------


def test_recomputing_from_the_written_files_gives_the_answers(tmp_path, generated):
    write_test_set(generated, tmp_path, KEY.public_key())
    test_set = json.loads((tmp_path / TEST_SET_FILE).read_text(encoding="utf-8"))
    public_key = load_public_key_pem((tmp_path / "llave-publica.pem").read_bytes())
    by_nss: dict[str, list[dict[str, Any]]] = {}
    for path in sorted((tmp_path / AVISOS_DIR).glob("*.json")):
        response = json.loads(path.read_text(encoding="utf-8"))
        assert verify_document(response, public_key), path
        for aviso in response["avisos"]:
            by_nss.setdefault(aviso["nss"], []).append(aviso)
    recomputed = {
        case["caso"]: calculate_json(
            {
                "periodo": {key: case["periodo"][key] for key in ("desde", "hasta")},
                "trabajador": case["trabajador"],
                "avisos": by_nss[case["nss"]],
                "ausencias": case["ausencias"],
                "incapacidades": case["incapacidades"],
            }
        )
        for case in test_set["casos"]
    }
    assert recomputed == json.loads((tmp_path / ANSWERS_FILE).read_text(encoding="utf-8"))


def test_written_json_is_readable_utf8_not_escaped(tmp_path, generated):
    write_test_set(generated, tmp_path, KEY.public_key())
    text = (tmp_path / TEST_SET_FILE).read_text(encoding="utf-8")
    assert "\\u" not in text and "\n  " in text
    assert json.loads(text) == generated.test_set


def test_write_refuses_a_public_key_that_does_not_match(tmp_path, generated):
    other = Ed25519PrivateKey.from_private_bytes(bytes(32)).public_key()
    with pytest.raises(GenerationError, match="llave pública"):
        write_test_set(generated, tmp_path, other)
    assert not (tmp_path / TEST_SET_FILE).exists()


# --- inputs ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"vendor_rfc": "CAC840428RH2"}, "RFC"),
        ({"folio": "12345"}, "folio"),
        ({"round": 0}, "ronda"),
        ({"seed": ""}, "semilla"),
        ({"emitido": datetime(2026, 3, 2, 10, 0)}, "zona horaria"),
        ({"emitido": datetime(2025, 6, 1, tzinfo=MX)}, "reforma"),
        ({"muestras": 2, "evaluacion": 3}, "al menos"),
        ({"evaluacion": 0}, "evaluación"),
    ],
)
def test_bad_inputs_are_refused_in_spanish(overrides, message):
    with pytest.raises(GenerationError, match=message):
        generate(**overrides)


def test_case_counts_can_be_changed():
    generated = generate(muestras=3, evaluacion=5)
    ids = [case["caso"] for case in generated.test_set["casos"]]
    assert ids == ["M01", "M02", "M03", "E01", "E02", "E03", "E04", "E05"]
    assert features_covered(generated.test_set, generated.avisos) == FEATURES


def test_emitido_is_written_in_mexico_city_time():
    utc = datetime(2026, 3, 2, 16, 0, tzinfo=ZoneInfo("UTC"))
    assert generate(emitido=utc).test_set["emitido"] == "2026-03-02T10:00:00-06:00"
