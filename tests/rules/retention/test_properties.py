"""Properties of the retention calculator over random cases (hypothesis)."""

from __future__ import annotations

import dataclasses
import random
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from rules.avisos import (
    Aviso,
    AvisoClass,
    Discount,
    DiscountType,
    Modificacion,
    Retencion,
    Suspension,
)
from rules.parameters import Zone
from rules.retention.calculator import RetentionCase, RetentionResult, Worker, calculate
from rules.retention.money import round_cents

NSS = "12345678901"
# Every parameter is in the shipped table for these years (2022 lacks the UMI).
FIRST_DAY = date(2023, 1, 1)
LAST_DAY = date(2026, 12, 31)
SETTINGS = settings(max_examples=150, deadline=None)


def _money(maximum: int, places: int) -> st.SearchStrategy[Decimal]:
    return st.integers(0, maximum * 10**places).map(lambda n: Decimal(n).scaleb(-places))


DISCOUNTS = st.one_of(
    st.builds(Discount, st.just(DiscountType.PORCENTAJE), _money(100, 2)),
    st.builds(Discount, st.just(DiscountType.CUOTA_FIJA), _money(10_000, 2)),
    st.builds(Discount, st.just(DiscountType.VSM), _money(60, 4)),
)
WORKERS = st.builds(
    Worker,
    sbc=_money(2_000, 2),
    # Salaries near the minimum wages make the cap condition flip often.
    daily_wage=st.one_of(
        st.sampled_from([Decimal(v) for v in ("207.44", "248.93", "278.80", "315.04", "440.87")]),
        _money(600, 2),
    ),
    zone=st.sampled_from(Zone),
)


def _clamp(day: date) -> date:
    return min(max(day, FIRST_DAY), LAST_DAY)


@st.composite
def periods(draw: st.DrawFn) -> tuple[date, date]:
    start = draw(st.dates(FIRST_DAY, LAST_DAY - timedelta(days=61)))
    return start, start + timedelta(days=draw(st.integers(0, 61)))


RETENCION, MODIFICACION, SUSPENSION = AvisoClass
_CLAVES = {RETENCION: "01", MODIFICACION: "04", SUSPENSION: "06"}


@st.composite
def avisos(
    draw: st.DrawFn,
    earliest: date,
    latest: date,
    kinds: tuple[AvisoClass, ...],
    count: tuple[int, int],
    series: str,
) -> list[Aviso]:
    """Avisos of ``kinds`` taking effect in ``[earliest, latest]``; folios unique per ``series``."""
    numbers = draw(
        st.lists(st.integers(0, 10**6), min_size=count[0], max_size=count[1], unique=True)
    )
    result: list[Aviso] = []
    for number in numbers:
        kind = draw(st.sampled_from(kinds))
        effective = draw(st.dates(_clamp(earliest), _clamp(latest)))
        header: dict[str, Any] = {
            "folio": f"{series}{number:09d}",
            "fecha_aviso": draw(st.dates(effective - timedelta(days=20), effective)),
            "clave": _CLAVES[kind],
            "nss": NSS,
        }
        if kind is SUSPENSION:
            result.append(Suspension(**header, fecha_fin=effective))
        elif kind is RETENCION:
            result.append(Retencion(**header, fecha_inicio=effective, discount=draw(DISCOUNTS)))
        else:
            result.append(Modificacion(**header, fecha_inicio=effective, discount=draw(DISCOUNTS)))
    return result


def credit_avisos(first: date, last: date) -> st.SearchStrategy[list[Aviso]]:
    """A Retencion before or in the period, then up to three avisos of any class."""
    earliest = first - timedelta(days=90)
    return st.tuples(
        avisos(earliest, last, (RETENCION,), (1, 1), "1"),
        avisos(earliest, last, tuple(AvisoClass), (0, 3), "2"),
    ).map(lambda pair: pair[0] + pair[1])


@st.composite
def cases(draw: st.DrawFn) -> RetentionCase:
    first, last = draw(periods())
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    return RetentionCase(
        desde=first,
        hasta=last,
        worker=draw(WORKERS),
        avisos=tuple(draw(credit_avisos(first, last))),
        ausencias=frozenset(draw(st.lists(st.sampled_from(days), max_size=4))),
        incapacidades=frozenset(draw(st.lists(st.sampled_from(days), max_size=3))),
    )


def _within(case: RetentionCase, first: date, last: date) -> RetentionCase:
    """The same worker and avisos over a part of the period."""
    return dataclasses.replace(
        case,
        desde=first,
        hasta=last,
        ausencias=frozenset(d for d in case.ausencias if first <= d <= last),
        incapacidades=frozenset(d for d in case.incapacidades if first <= d <= last),
    )


@SETTINGS
@given(cases())
def test_the_cap_is_never_exceeded(case: RetentionCase) -> None:
    for subperiod in calculate(case).subperiods:
        if subperiod.cap is not None:
            assert (
                subperiod.cap
                == Fraction(case.worker.sbc) * Fraction("0.20") * subperiod.discounted_days
            )
            assert subperiod.amortization <= subperiod.cap
            assert round_cents(subperiod.amortization) <= round_cents(subperiod.cap)
        assert subperiod.amortization <= subperiod.uncapped
        assert subperiod.uncapped == subperiod.daily_amount * subperiod.discounted_days


@SETTINGS
@given(cases())
def test_subperiods_are_ordered_inside_the_period_and_one_bimester_each(
    case: RetentionCase,
) -> None:
    result = calculate(case)
    previous_end = case.desde - timedelta(days=1)
    for subperiod in result.subperiods:
        assert previous_end < subperiod.desde <= subperiod.hasta <= case.hasta
        assert (subperiod.desde.month - 1) // 2 == (subperiod.hasta.month - 1) // 2
        assert subperiod.desde.year == subperiod.hasta.year
        assert 0 < subperiod.discounted_days <= (subperiod.hasta - subperiod.desde).days + 1
        previous_end = subperiod.hasta
    assert result.total == result.amortization + result.seguro_danios


@SETTINGS
@given(cases(), st.data())
def test_splitting_a_period_keeps_the_amortization(
    case: RetentionCase, data: st.DataObject
) -> None:
    length = (case.hasta - case.desde).days
    if length == 0:
        return
    cut = case.desde + timedelta(days=data.draw(st.integers(0, length - 1)))
    whole = calculate(case)
    parts = [
        calculate(_within(case, case.desde, cut)),
        calculate(_within(case, cut + timedelta(days=1), case.hasta)),
    ]

    assert sum(p.amortization_exact for p in parts) == whole.amortization_exact
    assert abs(sum(p.amortization for p in parts) - whole.amortization) <= Decimal("0.02")
    # The first active day of a bimester falls in exactly one of the two parts.
    assert sum(p.seguro_danios for p in parts) == whole.seguro_danios


@st.composite
def suspended_cases(draw: st.DrawFn) -> tuple[RetentionCase, date]:
    """A case whose credit is suspended inside the period with no RETENCION after that."""
    first, last = draw(periods().filter(lambda p: p[0] < p[1]))
    stop = first + timedelta(days=draw(st.integers(1, (last - first).days)))
    before = [a for a in draw(credit_avisos(first, last)) if _effective(a) < stop]
    suspension = Suspension(
        folio="9999999999", fecha_aviso=stop, clave="07", nss=NSS, fecha_fin=stop
    )
    later = draw(avisos(stop, LAST_DAY, (MODIFICACION, SUSPENSION), (0, 3), "3"))
    case = RetentionCase(
        desde=first, hasta=last, worker=draw(WORKERS), avisos=(*before, suspension, *later)
    )
    return case, stop


def _effective(aviso: Aviso) -> date:
    return aviso.fecha_fin if isinstance(aviso, Suspension) else aviso.fecha_inicio


@SETTINGS
@given(suspended_cases(), st.integers(1, 60))
def test_days_after_a_suspension_never_count(
    suspended: tuple[RetentionCase, date], extra_days: int
) -> None:
    case, stop = suspended
    result = calculate(case)
    longer = dataclasses.replace(case, hasta=min(case.hasta + timedelta(days=extra_days), LAST_DAY))

    assert all(subperiod.hasta < stop for subperiod in result.subperiods)
    assert calculate(longer).amortization_exact == result.amortization_exact


@SETTINGS
@given(suspended_cases(), st.data())
def test_a_modification_after_a_suspension_never_reactivates(
    suspended: tuple[RetentionCase, date], data: st.DataObject
) -> None:
    case, stop = suspended
    modifications = data.draw(avisos(stop, LAST_DAY, (MODIFICACION,), (1, 3), "4"))
    modified = dataclasses.replace(case, avisos=(*case.avisos, *modifications))

    assert calculate(modified) == calculate(case)


@SETTINGS
@given(cases(), st.randoms(use_true_random=False))
def test_the_order_of_the_avisos_array_means_nothing(
    case: RetentionCase, rng: random.Random
) -> None:
    shuffled = list(case.avisos)
    rng.shuffle(shuffled)

    result: RetentionResult = calculate(dataclasses.replace(case, avisos=tuple(shuffled)))

    assert result == calculate(case)
