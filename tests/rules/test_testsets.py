import copy
import json
import random
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from rules.avisos import AVISO_CATALOG
from rules.identities import is_valid_curp, is_valid_nrp, is_valid_nss, is_valid_rfc
from rules.retention import calculate_json
from rules.signing import load_public_key_pem, verify_document
from rules.testset_features import FEATURES, Feature, features_covered
from rules.testset_periods import (
    PERIODICIDADES,
    bimester_start,
    periodicidad_of,
    random_period,
)
from rules.testsets import (
    ANSWERS_FILE,
    AVISOS_DIR,
    TEMPLATE_FILE,
    TEST_SET_FILE,
    GeneratedTestSet,
    GenerationError,
    generate_test_set,
    new_seed,
    write_test_set,
)

MX = ZoneInfo("America/Mexico_City")
EMITIDO = datetime(2026, 3, 2, 10, 0, tzinfo=MX)
KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
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


def generate(seed: str = "semilla-fija", **overrides: Any) -> GeneratedTestSet:
    arguments: dict[str, Any] = {
        "seed": seed,
        "vendor_rfc": "CAC840428RH1",
        "folio": "0501423523",
        "ronda": 1,
        "emitido": EMITIDO,
        "private_key": KEY,
    }
    return generate_test_set(**(arguments | overrides))


@pytest.fixture(scope="module")
def generated():
    return generate()


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


# --- coverage -----------------------------------------------------------------------------------


@settings(max_examples=25, deadline=None)
@given(
    seed=st.text(min_size=1, max_size=20),
    emitido=st.datetimes(
        min_value=datetime(2025, 12, 1), max_value=datetime(2027, 6, 30), timezones=st.just(MX)
    ),
)
def test_every_generated_set_covers_every_feature(seed, emitido):
    generated = generate(seed, emitido=emitido)
    assert features_covered(generated.test_set, generated.avisos) == FEATURES
    last = min(emitido.date(), date(2026, 12, 31))  # the parameter table ends with 2026
    assert all(case["periodo"]["hasta"] <= last.isoformat() for case in generated.test_set["casos"])


def test_features_ignore_the_labels_the_generator_wrote(generated):
    relabelled = copy.deepcopy(generated.test_set)
    for case in relabelled["casos"]:
        case["periodo"]["periodicidad"] = "semanal"
        case["seccion"] = "muestra"
    assert features_covered(relabelled, generated.avisos) == FEATURES


def test_features_follow_the_data(generated):
    doc = copy.deepcopy(generated.test_set)
    for case in doc["casos"]:
        case["ausencias"], case["incapacidades"] = [], []
        case["trabajador"]["salarioDiario"] = "99999.00"
    found = features_covered(doc, generated.avisos)
    assert Feature.AUSENCIAS_ANTES_REFORMA not in found
    assert Feature.AUSENCIAS_DESPUES_REFORMA not in found
    assert Feature.TOPE_SALARIO_MINIMO not in found

    avisos = copy.deepcopy(list(generated.avisos))
    for response in avisos:
        response["avisos"] = [
            aviso
            for aviso in response["avisos"]
            if aviso["tipoAviso"]["clase"] not in ("SUSPENSION", "MODIFICACION")
        ]
    found = features_covered(generated.test_set, avisos)
    assert Feature.SUSPENSION not in found
    assert Feature.MODIFICACION not in found


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
        ({"ronda": 0}, "ronda"),
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


# --- periods -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("desde", "hasta", "expected"),
    [
        (date(2024, 2, 1), date(2024, 2, 29), "mensual"),
        (date(2024, 2, 16), date(2024, 2, 29), "quincenal"),
        (date(2025, 2, 16), date(2025, 2, 28), "quincenal"),
        (date(2026, 1, 1), date(2026, 1, 15), "quincenal"),
        (date(2026, 1, 2), date(2026, 1, 15), "catorcenal"),
        (date(2026, 6, 29), date(2026, 7, 5), "semanal"),
        (date(2026, 1, 1), date(2026, 1, 10), None),
    ],
)
def test_periodicidad_is_read_from_the_dates(desde, hasta, expected):
    assert periodicidad_of(desde, hasta) == expected


@pytest.mark.parametrize("periodicidad", PERIODICIDADES)
def test_random_periods_honour_their_placement(periodicidad):
    rng = random.Random(periodicidad)
    first, last = date(2024, 1, 1), date(2026, 3, 1)
    for _ in range(30):
        period = random_period(rng, periodicidad, first, last, placement="bimester-start")
        assert period.desde == bimester_start(period.desde) and period.hasta <= last
        period = random_period(rng, periodicidad, first, last, containing=date(2024, 2, 29))
        assert period.desde <= date(2024, 2, 29) <= period.hasta
        assert periodicidad_of(period.desde, period.hasta) == periodicidad
        if periodicidad in ("semanal", "catorcenal"):
            period = random_period(rng, periodicidad, first, last, placement="crosses-bimester")
            assert bimester_start(period.desde) != bimester_start(period.hasta)
            assert first <= period.desde and period.hasta <= last


def test_calendar_periods_cannot_cross_a_bimester():
    with pytest.raises(GenerationError):
        random_period(
            random.Random(1),
            "mensual",
            date(2024, 1, 1),
            date(2024, 12, 31),
            placement="crosses-bimester",
        )


def test_a_window_too_short_for_the_period_is_refused():
    start = date(2026, 1, 1)
    with pytest.raises(GenerationError):
        random_period(random.Random(1), "catorcenal", start, start + timedelta(days=10))
