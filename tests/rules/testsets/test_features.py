"""What a test set covers, proved from its data (DOMAIN §7)."""

import copy
from datetime import date, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from rules.testsets.features import FEATURES, Feature, features_covered
from tests.rules.testsets.samples import MX, generate


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
