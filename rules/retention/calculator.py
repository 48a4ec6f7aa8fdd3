"""Retention calculator of DOMAIN.md §6, the typed core: :func:`calculate` takes a
:class:`RetentionCase` and gives a :class:`RetentionResult` with exact amounts.

Days are classified cheaply (date ordinals, bimester bounds, parameter lookups) into runs of
consecutive active days that share every term of the daily amount (bimester, tipo/valor, UMI,
minimum-wage condition); exact arithmetic (integers and ``Fraction``) is then done once per run,
never per day.

``importeDiario`` is the daily amount *before* the cap (SBC × valor/100, valor × 2/DB or
valor × UMI × 2/DB), so that ``importeSinTope`` = ``importeDiario`` × ``diasDescontados`` exactly
(both rounded only for display); when the cap binds, the capped daily amount is ``tope`` divided by
``diasDescontados`` (= SBC × 0.20), which the output already shows through ``tope``.

Where §5/§6 are silent: a MODIFICACION carries the complete new tipo and valor; identical
repeated avisos are harmless but two different avisos with one folio are refused; absences must
lie inside the period; amounts are below 10^12 with at most 10 decimals (valorDescuento: 2, or 4
for tipo 3); a parameter missing from the table is an error only when a discounted day needs it.
"""

from __future__ import annotations

import functools
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import NamedTuple

from rules.avisos import Aviso, Discount, DiscountType, Suspension, Timeline, build_timeline
from rules.parameters import Parameters, Zone, default_parameters
from rules.retention.errors import RetentionInputError, clipped
from rules.retention.money import cents, cents_text, round_cents

__all__ = [
    "ABSENCES_DISCOUNTED_FROM",
    "CAP_SHARE",
    "SEGURO_DANIOS",
    "RetentionCase",
    "RetentionResult",
    "Subperiod",
    "Worker",
    "calculate",
]

# Absences are discounted from the Nov–Dec 2025 bimester on (2025 reform; *Decision*: all tipos).
ABSENCES_DISCOUNTED_FROM = date(2025, 11, 1)
CAP_SHARE = Fraction(20, 100)  # of the SBC, per discounted day, for minimum-wage workers
SEGURO_DANIOS = Decimal("15.00")  # per bimester, in the period of its first active day

_REFORM = ABSENCES_DISCOUNTED_FROM.toordinal()
_ZERO = Fraction(0)


# --- model -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Worker:
    """``trabajador``: the cap condition reads ``daily_wage`` (salarioDiario), the cap ``sbc``."""

    sbc: Decimal
    daily_wage: Decimal
    zone: Zone
    nss: str | None = None


@dataclass(frozen=True)
class RetentionCase:
    """One payroll period of one worker; construction rejects inconsistent cases."""

    desde: date
    hasta: date
    worker: Worker
    avisos: tuple[Aviso, ...] = ()
    ausencias: frozenset[date] = frozenset()
    incapacidades: frozenset[date] = frozenset()

    def __post_init__(self) -> None:
        if self.hasta < self.desde:
            raise RetentionInputError(
                f"El periodo termina ({self.hasta.isoformat()}) antes de empezar "
                f"({self.desde.isoformat()})."
            )
        _check_worker(self.worker)
        _check_avisos(self.avisos, self.worker.nss)
        for label, days in (("ausencias", self.ausencias), ("incapacidades", self.incapacidades)):
            if days and (min(days) < self.desde or max(days) > self.hasta):
                outside = min(day for day in days if not self.desde <= day <= self.hasta)
                raise RetentionInputError(
                    f"La fecha {outside.isoformat()} de «{label}» está fuera del periodo "
                    f"{self.desde.isoformat()} a {self.hasta.isoformat()}."
                )


def _check_worker(worker: Worker) -> None:
    for label, amount in (("sbc", worker.sbc), ("salarioDiario", worker.daily_wage)):
        problem = _amount_problem(amount)
        if problem:
            raise RetentionInputError(
                f"«trabajador.{label}» {problem}; se recibió {clipped(str(amount))}."
            )


# Far above any salary or discount; it keeps exact arithmetic on small integers.
_MAX_AMOUNT = Decimal(10) ** 12
_MAX_DECIMALS = 10
# A decimal has at most _MAX_DECIMALS places exactly when its denominator divides this.
_FINEST = 10**_MAX_DECIMALS


def _amount_problem(amount: Decimal) -> str | None:
    if not amount.is_finite() or amount < 0:
        return "no puede ser negativo"
    if amount >= _MAX_AMOUNT or _FINEST % amount.as_integer_ratio()[1]:
        return f"debe ser menor que 10^12 y tener a lo más {_MAX_DECIMALS} decimales"
    return None


def _check_avisos(avisos: tuple[Aviso, ...], nss: str | None) -> None:
    by_folio: dict[str, Aviso] = {}
    for aviso in avisos:
        if nss is None:
            nss = aviso.nss
        if aviso.nss != nss:
            raise RetentionInputError(
                f"El aviso con folio {aviso.folio} es del NSS {aviso.nss}, pero el caso es del NSS "
                f"{nss}: un caso lleva solo los avisos de su trabajador."
            )
        known = by_folio.setdefault(aviso.folio, aviso)
        if known is not aviso and known != aviso:
            raise RetentionInputError(
                f"El folio {aviso.folio} aparece en dos avisos distintos; "
                "cada aviso lleva su propio folio."
            )
        if not isinstance(aviso, Suspension):
            _check_discount(aviso.discount, aviso.folio)


def _check_discount(discount: Discount, folio: str) -> None:
    problem = _amount_problem(discount.valor) or _discount_problem(discount)
    if problem:
        raise RetentionInputError(
            f"El «valorDescuento» del aviso con folio {folio} {problem}; "
            f"se recibió {clipped(str(discount.valor))}."
        )


def _discount_problem(discount: Discount) -> str | None:
    places = discount.tipo.decimals
    if 10**places % discount.valor.as_integer_ratio()[1]:
        return f"admite {places} decimales para el tipo {discount.tipo.value}"
    if discount.tipo is DiscountType.PORCENTAJE and discount.valor > 100:
        return "es un porcentaje y no puede pasar de 100"
    return None


@dataclass(frozen=True)
class Subperiod:
    """A run of consecutive active days of one bimester sharing the terms of the daily amount.

    Amounts are exact; they are rounded only when shown.
    """

    desde: date
    hasta: date
    discount: Discount
    bimester_days: int
    discounted_days: int
    daily_amount: Fraction  # before the cap (see the module docstring)
    uncapped: Fraction
    cap: Fraction | None  # None when the worker is not a minimum-wage worker on these days
    amortization: Fraction  # the smaller of ``uncapped`` and ``cap``


@dataclass(frozen=True)
class RetentionResult:
    """A period's retention: exact amounts, rounded to cents once, in the properties."""

    subperiods: tuple[Subperiod, ...]
    seguro_danios: Decimal
    amortization_exact: Fraction = field(init=False)

    def __post_init__(self) -> None:
        amounts = [s.amortization for s in self.subperiods]
        # Starting from the first amount spares a Fraction addition on every period.
        exact = sum(amounts[1:], amounts[0]) if amounts else _ZERO
        object.__setattr__(self, "amortization_exact", exact)

    @property
    def amortization(self) -> Decimal:
        """The exact sum of the subperiods, rounded half-up to cents once."""
        return round_cents(self.amortization_exact)

    @property
    def total_cents(self) -> int:
        """The total in cents: seguro de daños is added after rounding."""
        return cents(self.amortization_exact) + int(self.seguro_danios * 100)

    @property
    def total(self) -> Decimal:
        """Seguro de daños is added after rounding."""
        return Decimal(cents_text(self.total_cents))


# --- calculation -------------------------------------------------------------------------------


@functools.lru_cache(maxsize=4096)
def _bimester(year: int, month: int) -> tuple[int, int]:
    """First day and the day after the last of the bimester holding ``month``, as ordinals."""
    first_month = month - (month - 1) % 2
    start = date(year, first_month, 1).toordinal()
    # The last day of Nov–Dec is taken from 31 Dec so that year 9999 needs no date in 10000.
    end = (
        date(year, 12, 31).toordinal() + 1
        if first_month == 11
        else date(year, first_month + 2, 1).toordinal()
    )
    return start, end


def _bimesters(first: int, last: int) -> list[tuple[int, int]]:
    bimesters: list[tuple[int, int]] = []
    day = first
    while day <= last:
        when = date.fromordinal(day)
        bimesters.append(_bimester(when.year, when.month))
        day = bimesters[-1][1]
    return bimesters


def _inside(days: tuple[int, ...], first: int, last: int) -> tuple[int, ...]:
    """The sorted ``days`` in ``(first, last]``."""
    return days[bisect_right(days, first) : bisect_right(days, last)]


class _Terms(NamedTuple):
    """Everything that fixes a day's amount: days in a row with equal terms share a subperiod.

    A parameter the table lacks is None here and reported only if a discounted day needs it.
    """

    bimester_start: int
    bimester_days: int
    discount: Discount
    umi: Decimal | None  # read for tipo 3 only
    capped: bool | None


class _Run(NamedTuple):
    first: int
    last: int
    terms: _Terms


def _missing_parameter(what: str, day: int) -> RetentionInputError:
    return RetentionInputError(
        f"La tabla de parámetros no tiene {what} vigente el {date.fromordinal(day).isoformat()}; "
        "un administrador debe agregarlo a rules/data/parametros.csv."
    )


def _active_runs(
    case: RetentionCase, bimesters: list[tuple[int, int]], timeline: Timeline, params: Parameters
) -> list[_Run]:
    first, last = case.desde.toordinal(), case.hasta.toordinal()
    umi = params.umi
    minimum_wage = params.minimum_wage(case.worker.zone)
    daily_wage = case.worker.daily_wage
    bimester_starts = [start for start, _ in bimesters]
    # Every day on which some term may change starts a piece; runs then merge equal pieces.
    edges = sorted(
        {
            first,
            *bimester_starts[1:],
            *_inside(timeline.starts, first, last),
            *_inside(umi.change_days, first, last),
            *_inside(minimum_wage.change_days, first, last),
        }
    )
    edges.append(last + 1)
    runs: list[_Run] = []
    for i in range(len(edges) - 1):
        day = edges[i]
        discount = timeline.discount_on(day)
        if discount is None:
            continue
        wage = minimum_wage.value_on(day)
        start, end = bimesters[bisect_right(bimester_starts, day) - 1]
        terms = _Terms(
            start,
            end - start,
            discount,
            umi.value_on(day) if discount.tipo is DiscountType.VSM else None,
            None if wage is None else daily_wage <= wage,
        )
        if runs and runs[-1].terms == terms and runs[-1].last == day - 1:
            runs[-1] = _Run(runs[-1].first, edges[i + 1] - 1, terms)
        else:
            runs.append(_Run(day, edges[i + 1] - 1, terms))
    return runs


def _daily_ratio(run: _Run, sbc: tuple[int, int]) -> tuple[int, int]:
    """The §6 daily amount as numerator and denominator (Fractions are built from them)."""
    terms = run.terms
    numerator, denominator = terms.discount.valor.as_integer_ratio()
    tipo = terms.discount.tipo
    if tipo is DiscountType.PORCENTAJE:
        return sbc[0] * numerator, sbc[1] * denominator * 100
    if tipo is DiscountType.CUOTA_FIJA:
        return numerator * 2, denominator * terms.bimester_days
    if terms.umi is None:
        raise _missing_parameter("la UMI", run.first)
    umi_numerator, umi_denominator = terms.umi.as_integer_ratio()
    return numerator * umi_numerator * 2, denominator * umi_denominator * terms.bimester_days


def _subperiod(run: _Run, absent: list[int], zone: Zone, sbc: tuple[int, int]) -> Subperiod | None:
    days = run.last - run.first + 1
    if run.terms.bimester_start < _REFORM:
        days -= bisect_right(absent, run.last) - bisect_left(absent, run.first)
    if days == 0:
        return None
    if run.terms.capped is None:
        raise _missing_parameter(f"el salario mínimo de la zona {zone}", run.first)
    numerator, denominator = _daily_ratio(run, sbc)
    uncapped = Fraction(numerator * days, denominator)
    cap = None
    amortization = uncapped
    if run.terms.capped:
        cap_numerator, cap_denominator = (
            sbc[0] * CAP_SHARE.numerator,
            sbc[1] * CAP_SHARE.denominator,
        )
        cap = Fraction(cap_numerator * days, cap_denominator)
        # Compare the daily amounts as integers: both sides have the same number of days.
        if cap_numerator * denominator < numerator * cap_denominator:
            amortization = cap
    return Subperiod(
        desde=date.fromordinal(run.first),
        hasta=date.fromordinal(run.last),
        discount=run.terms.discount,
        bimester_days=run.terms.bimester_days,
        discounted_days=days,
        daily_amount=Fraction(numerator, denominator),
        uncapped=uncapped,
        cap=cap,
        amortization=amortization,
    )


def calculate(case: RetentionCase, params: Parameters | None = None) -> RetentionResult:
    """Retention of one payroll period (§6); ``params`` defaults to the shipped table."""
    params = default_parameters() if params is None else params
    first, last = case.desde.toordinal(), case.hasta.toordinal()
    timeline = build_timeline(case.avisos)
    bimesters = _bimesters(first, last)
    absent = (
        sorted(day.toordinal() for day in case.ausencias | case.incapacidades)
        if case.ausencias or case.incapacidades
        else []
    )
    sbc = case.worker.sbc.as_integer_ratio()
    subperiods = tuple(
        subperiod
        for run in _active_runs(case, bimesters, timeline, params)
        if (subperiod := _subperiod(run, absent, case.worker.zone, sbc)) is not None
    )
    # The credit's first active day of a bimester may lie before the period: then it was charged
    # in an earlier period. Absent days count as active here.
    insured = 0
    for start, end in bimesters:
        first_active = timeline.first_active_from(start)
        if first_active is not None and first <= first_active <= min(end - 1, last):
            insured += 1
    return RetentionResult(subperiods, SEGURO_DANIOS * insured)
