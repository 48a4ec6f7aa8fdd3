"""Properties over random test sets: the generator's answers pass; a changed total is caught."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.evidence.checks.builder import (
    calculation_rows,
    check_spec,
    evidence_spec,
    generated,
)

SEEDS = st.integers(min_value=0, max_value=10**9).map(lambda n: f"propiedad-{n}")


@settings(max_examples=6, deadline=None)
@given(seed=SEEDS)
def test_workbook_filled_with_the_generators_answers_passes(seed: str) -> None:
    gen = generated(seed)
    result = check_spec(evidence_spec(gen), gen)
    assert result.verdict == "sin_inconsistencias", result.to_json()
    assert result.findings == ()


@settings(max_examples=6, deadline=None)
@given(
    seed=SEEDS,
    which=st.integers(min_value=0, max_value=9),
    change=st.decimals(min_value=Decimal("0.02"), max_value=Decimal("5000"), places=2),
    lower=st.booleans(),
)
def test_changing_one_evaluacion_total_by_two_cents_or_more_fails_naming_it(
    seed: str, which: int, change: Decimal, lower: bool
) -> None:
    gen = generated(seed)
    evaluacion = [c["caso"] for c in gen.test_set["casos"] if c["seccion"] == "evaluacion"]
    target = evaluacion[which % len(evaluacion)]
    delta = -change if lower else change
    spec = evidence_spec(gen)
    rows = calculation_rows(
        gen.test_set, gen.answers, lambda caso, total: total + delta if caso == target else total
    )
    result = check_spec([spec[0], replace(spec[1], rows=rows), *spec[2:]], gen)
    assert result.verdict == "con_inconsistencias"
    assert [(f.code.value, f.case) for f in result.findings] == [("T2-TOTAL-MISMATCH", target)]
