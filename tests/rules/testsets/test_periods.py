"""Payroll periods of a test set: periodicidades read from dates, random placement."""

import random
from datetime import date, timedelta

import pytest

from rules.testsets.periods import (
    PERIODICIDADES,
    GenerationError,
    bimester_start,
    periodicidad_of,
    random_period,
)


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
