"""The cases of a test set: which case exercises what, and each case's worker, period and avisos.

Every §7 feature that needs a particular case (a crossing period, the leap day, the cap, a
suspension or modification inside the period, absences on each side of the reform, the seguro of
a bimester's first period) goes to its own randomly chosen case, built so that it holds whatever
else is drawn; tipos and periodicidades are spread so that each appears at least once. Everything
else (dates, salaries, valores, credit histories, names) is random.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from typing import Any, Literal

from rules.avisos import Discount, DiscountType
from rules.identities import Persona, fake_nss, fake_numero_credito, fake_persona
from rules.parameters import Parameters, Series, Zone
from rules.retention.calculator import ABSENCES_DISCOUNTED_FROM, CAP_SHARE
from rules.testsets.avisos import (
    SUSPENSION_CLAVES,
    Event,
    aviso_document,
    credit_history,
    modification,
    notice_date,
)
from rules.testsets.features import Feature
from rules.testsets.periods import (
    PERIODICIDADES,
    GenerationError,
    Period,
    Periodicidad,
    random_period,
)

PERIODS_FROM = date(2024, 1, 1)  # §6: every parameter is confirmed from 2024 on
LEAP_DAY = date(2024, 2, 29)
# Features that each need a case built for them; the others follow from spreading tipos and
# periodicidades over the cases.
DEDICATED_FEATURES = (
    Feature.CRUZA_BIMESTRE,
    Feature.FEBRERO_BISIESTO,
    Feature.TOPE_SALARIO_MINIMO,
    Feature.SUSPENSION,
    Feature.MODIFICACION,
    Feature.AUSENCIAS_ANTES_REFORMA,
    Feature.AUSENCIAS_DESPUES_REFORMA,
    Feature.SEGURO_DANIOS,
)

_CENT = Decimal("0.01")
_WIDEST_BIMESTER = 62
_PORCENTAJES = (Decimal("20.00"), Decimal("25.00"), Decimal("30.00"))


@dataclass(frozen=True, slots=True)
class CasePlan:
    caso: str
    seccion: Literal["muestra", "evaluacion"]
    periodicidad: Periodicidad
    tipo: DiscountType
    feature: Feature | None
    cfdi: bool


@dataclass(frozen=True, slots=True)
class Window:
    """The days payroll periods may use: from 2024 to the issue date (or the last known
    parameter, whichever is earlier)."""

    first: date
    last: date


@dataclass(frozen=True, slots=True)
class BuiltCase:
    document: dict[str, Any]  # one entry of ``casos`` in set-de-pruebas.json
    avisos: list[dict[str, Any]]


class IdSource:
    """Hands out folios, NSS and números de crédito never repeated within one test set."""

    def __init__(self, rng: random.Random, reserved: set[str]) -> None:
        self._rng = rng
        self._used = set(reserved)

    def _unique(self, draw: Callable[[], str]) -> str:
        value = draw()
        while value in self._used:
            value = draw()
        self._used.add(value)
        return value

    def folio(self) -> str:
        return self._unique(lambda: f"{self._rng.randint(10**8, 10**10 - 1):010d}")

    def nss(self, nacimiento: date) -> str:
        return self._unique(lambda: fake_nss(self._rng, nacimiento=nacimiento))

    def credito(self, otorgado: date) -> str:
        return self._unique(lambda: fake_numero_credito(self._rng, otorgado=otorgado))


def case_window(issue_date: date, params: Parameters) -> Window:
    """The window of periods for a set issued on ``issue_date``; it must reach past the reform."""
    known_until = date.fromordinal(
        min(series.ends[-1] for series in (params.umi, params.sm_general, params.sm_zlfn)) - 1
    )
    window = Window(PERIODS_FROM, min(issue_date, known_until))
    # The after-reform absences need any periodicidad to fit after 1 Nov 2025.
    needed = ABSENCES_DISCOUNTED_FROM.replace(day=30)
    if window.last < needed:
        raise GenerationError(
            f"Un set de pruebas necesita periodos hasta el {needed.isoformat()} (después de la "
            f"reforma de 2025); la fecha de emisión o la tabla de parámetros llega solo al "
            f"{window.last.isoformat()}."
        )
    return window


def plan_cases(rng: random.Random, *, muestras: int, evaluacion: int) -> list[CasePlan]:
    ids = [f"M{i:02d}" for i in range(1, muestras + 1)]
    ids += [f"E{i:02d}" for i in range(1, evaluacion + 1)]
    count = len(ids)
    if muestras < 0 or evaluacion < 1 or count < len(DEDICATED_FEATURES):
        raise GenerationError(
            f"Un set de pruebas necesita al menos {len(DEDICATED_FEATURES)} casos y un caso de "
            f"evaluación; se pidieron {muestras} muestras y {evaluacion} de evaluación."
        )
    features: dict[int, Feature] = dict(
        zip(rng.sample(range(count), len(DEDICATED_FEATURES)), DEDICATED_FEATURES, strict=True)
    )
    periodicidades: list[Periodicidad] = [rng.choice(PERIODICIDADES) for _ in ids]
    # Calendar halves and months never cross a bimester.
    free = [i for i in range(count) if features.get(i) is not Feature.CRUZA_BIMESTRE]
    for i, periodicidad in zip(rng.sample(free, len(PERIODICIDADES)), PERIODICIDADES, strict=True):
        periodicidades[i] = periodicidad
    for i, feature in features.items():
        if feature is Feature.CRUZA_BIMESTRE:
            periodicidades[i] = rng.choice(("semanal", "catorcenal"))
    tipos = [rng.choice(tuple(DiscountType)) for _ in ids]
    for i, tipo in zip(rng.sample(range(count), len(DiscountType)), DiscountType, strict=True):
        tipos[i] = tipo
    cfdi = rng.randrange(muestras, count)
    return [
        CasePlan(
            caso=caso,
            seccion="muestra" if i < muestras else "evaluacion",
            periodicidad=periodicidades[i],
            tipo=tipos[i],
            feature=features.get(i),
            cfdi=i == cfdi,
        )
        for i, caso in enumerate(ids)
    ]


def _period(rng: random.Random, plan: CasePlan, window: Window) -> Period:
    first, last = window.first, window.last
    if plan.feature is Feature.AUSENCIAS_ANTES_REFORMA:
        last = ABSENCES_DISCOUNTED_FROM - timedelta(days=1)
    elif plan.feature is Feature.AUSENCIAS_DESPUES_REFORMA:
        first = ABSENCES_DISCOUNTED_FROM
    if plan.feature is Feature.CRUZA_BIMESTRE:
        return random_period(rng, plan.periodicidad, first, last, placement="crosses-bimester")
    if plan.feature is Feature.SEGURO_DANIOS:
        return random_period(rng, plan.periodicidad, first, last, placement="bimester-start")
    containing = LEAP_DAY if plan.feature is Feature.FEBRERO_BISIESTO else None
    return random_period(rng, plan.periodicidad, first, last, containing=containing)


def _value(series: Series, day: date) -> Decimal:
    value = series.value_on(day.toordinal())
    if value is None:
        raise GenerationError(
            f"La tabla de parámetros no tiene {series.name} vigente el {day.isoformat()}."
        )
    return value


def _cents(amount: Decimal) -> Decimal:
    return amount.quantize(_CENT, rounding=ROUND_HALF_UP)


def _random_between(rng: random.Random, low: Decimal, high: Decimal, places: int) -> Decimal:
    """A uniformly drawn amount with ``places`` decimals in ``[low, high]`` (low rounded up)."""
    scale = 10**places
    low_units = int((low * scale).to_integral_value(rounding=ROUND_CEILING))
    units = rng.randint(low_units, max(low_units, int(high * scale)))
    return Decimal(units).scaleb(-places)


@dataclass(frozen=True, slots=True)
class _Salary:
    sbc: Decimal
    salario_diario: Decimal
    zona: Zone


def _salary(rng: random.Random, period: Period, params: Parameters, minimum: bool) -> _Salary:
    zona = Zone.ZLFN if rng.random() < 0.2 else Zone.GENERAL
    wages = params.minimum_wage(zona)
    if minimum:
        # The minimum wage of the period's first day never exceeds that of a later day.
        salario = _value(wages, period.desde)
    else:
        highest = max(_value(wages, period.desde), _value(wages, period.hasta))
        salario = _random_between(rng, highest * Decimal("1.25"), highest * 6, 2)
    # SBC integrates aguinaldo and prima vacacional: at least about 4.5 % above the daily wage.
    factor = Decimal(rng.randint(10452, 11500)) / 10000
    return _Salary(sbc=_cents(salario * factor), salario_diario=salario, zona=zona)


_RANGES = {
    DiscountType.CUOTA_FIJA: (Decimal(500), Decimal(5000)),  # pesos per month
    DiscountType.VSM: (Decimal(8), Decimal(35)),  # times the UMI
}


def _random_discount(rng: random.Random, tipo: DiscountType) -> Discount:
    """A plausible valor of that tipo."""
    if tipo is DiscountType.PORCENTAJE:
        return Discount(tipo, rng.choice(_PORCENTAJES))
    low, high = _RANGES[tipo]
    return Discount(tipo, _random_between(rng, low, high, tipo.decimals))


def _capped_discount(
    rng: random.Random, tipo: DiscountType, sbc: Decimal, umi: Decimal
) -> Discount:
    """A valor whose daily amount exceeds the minimum-wage cap (SBC × 0.20) on every day."""
    if tipo is DiscountType.PORCENTAJE:
        # Above 20 % the percentage itself exceeds the cap of 20 % of the SBC.
        return Discount(tipo, rng.choice([p for p in _PORCENTAJES if p > CAP_SHARE * 100]))
    cap = sbc * CAP_SHARE.numerator / CAP_SHARE.denominator
    # Daily amount = valor × 2 / DB (× UMI): exceed the cap even in a 62-day bimester.
    low = cap * _WIDEST_BIMESTER / 2 * Decimal("1.1")
    if tipo is DiscountType.VSM:
        low /= umi
    return Discount(tipo, _random_between(rng, low, low * Decimal("1.5"), tipo.decimals))


def _other_discount(rng: random.Random, current: Discount) -> Discount:
    while True:
        candidate = _random_discount(rng, rng.choice(tuple(DiscountType)))
        if candidate != current:
            return candidate


def _inside(rng: random.Random, period: Period) -> date:
    """A day after the period's first one, so some days of the period precede it."""
    return period.desde + timedelta(days=rng.randint(1, (period.hasta - period.desde).days))


def _events(
    rng: random.Random, plan: CasePlan, period: Period, discount: Discount, ids: IdSource
) -> list[Event]:
    if plan.feature is None and rng.random() < 0.2:
        # The credit starts inside the period: only part of it is discounted.
        start = _inside(rng, period)
        return [Event("01", start, ids.credito(start), discount)]
    events = credit_history(
        rng, period.desde, discount, ids.credito, lambda: _other_discount(rng, discount)
    )
    credito = events[-1].numero_credito
    if plan.feature is Feature.SUSPENSION:
        events.append(Event(rng.choice(SUSPENSION_CLAVES), _inside(rng, period), credito))
    elif plan.feature is Feature.MODIFICACION:
        new = _other_discount(rng, discount)
        events.append(modification(discount, new, _inside(rng, period), credito))
    return events


def _absences(
    rng: random.Random, plan: CasePlan, period: Period, events: list[Event]
) -> tuple[list[str], list[str]]:
    """Absent days: always for the absence features, sometimes for a case that has none."""
    if plan.feature in (Feature.AUSENCIAS_ANTES_REFORMA, Feature.AUSENCIAS_DESPUES_REFORMA):
        count = rng.randint(1, 3)
    elif plan.feature is None and events[-1].effective < period.desde and rng.random() < 0.3:
        count = rng.randint(1, 2)
    else:
        # Dedicated cases stay free of absences so that no absence can empty the run they need.
        return [], []
    ausencias: list[str] = []
    incapacidades: list[str] = []
    for day in sorted(rng.sample(period.days(), count)):
        (ausencias if rng.random() < 0.5 else incapacidades).append(day.isoformat())
    return ausencias, incapacidades


def build_case(
    rng: random.Random, plan: CasePlan, window: Window, params: Parameters, ids: IdSource
) -> BuiltCase:
    period = _period(rng, plan, window)
    persona: Persona = fake_persona(rng, born_from=date(1965, 1, 1), born_to=date(2003, 12, 31))
    nss = ids.nss(persona.nacimiento)
    capped = plan.feature is Feature.TOPE_SALARIO_MINIMO
    salary = _salary(rng, period, params, minimum=capped)
    if capped:
        umi = min(_value(params.umi, period.desde), _value(params.umi, period.hasta))
        discount = _capped_discount(rng, plan.tipo, salary.sbc, umi)
    else:
        discount = _random_discount(rng, plan.tipo)
    events = _events(rng, plan, period, discount, ids)
    ausencias, incapacidades = _absences(rng, plan, period, events)
    avisos = [
        aviso_document(
            event, folio=ids.folio(), fecha_aviso=notice_date(rng, event), nss=nss, persona=persona
        )
        for event in events
    ]
    document = {
        "caso": plan.caso,
        "seccion": plan.seccion,
        "nss": nss,
        "nombre": persona.nombre_completo,
        "periodo": {
            "desde": period.desde.isoformat(),
            "hasta": period.hasta.isoformat(),
            "periodicidad": period.periodicidad,
        },
        "trabajador": {
            "sbc": str(salary.sbc),
            "salarioDiario": str(salary.salario_diario),
            "zona": str(salary.zona),
        },
        "ausencias": ausencias,
        "incapacidades": incapacidades,
        "cfdi": plan.cfdi,
    }
    return BuiltCase(document=document, avisos=avisos)
