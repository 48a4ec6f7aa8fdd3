"""What a test set exercises (DOMAIN §7), read from its data rather than from any label.

Each feature is proved from dates, avisos, salaries against the minimum-wage table and the
answers the calculator gives for those data, so a generator bug that mislabels a case cannot
hide a gap in coverage.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

from rules.avisos import AVISO_CATALOG, AvisoClass
from rules.parameters import Zone, default_parameters
from rules.retention.calculator import ABSENCES_DISCOUNTED_FROM
from rules.retention.contract import calculate_json
from rules.testsets.answers import avisos_by_nss, calculator_input
from rules.testsets.periods import bimester_start, periodicidad_of


class Feature(StrEnum):
    TIPO_PORCENTAJE = "tipo-porcentaje"
    TIPO_CUOTA_FIJA = "tipo-cuota-fija"
    TIPO_VSM = "tipo-vsm"
    SEMANAL = "periodo-semanal"
    CATORCENAL = "periodo-catorcenal"
    QUINCENAL = "periodo-quincenal"
    MENSUAL = "periodo-mensual"
    CRUZA_BIMESTRE = "cruza-bimestre"
    FEBRERO_BISIESTO = "febrero-bisiesto"
    TOPE_SALARIO_MINIMO = "tope-salario-minimo"
    SUSPENSION = "suspension-en-periodo"
    MODIFICACION = "modificacion-en-periodo"
    AUSENCIAS_ANTES_REFORMA = "ausencias-antes-reforma"
    AUSENCIAS_DESPUES_REFORMA = "ausencias-despues-reforma"
    SEGURO_DANIOS = "seguro-primer-periodo"


FEATURES: frozenset[str] = frozenset(Feature)

_TIPO_FEATURE = {1: Feature.TIPO_PORCENTAJE, 2: Feature.TIPO_CUOTA_FIJA, 3: Feature.TIPO_VSM}
_PERIODICIDAD_FEATURE = {
    "semanal": Feature.SEMANAL,
    "catorcenal": Feature.CATORCENAL,
    "quincenal": Feature.QUINCENAL,
    "mensual": Feature.MENSUAL,
}

Subperiods = Sequence[Mapping[str, Any]]


def _day(text: str) -> date:
    return date.fromisoformat(text)


def _covering(subperiods: Subperiods, day: date) -> Mapping[str, Any] | None:
    for sub in subperiods:
        if _day(sub["desde"]) <= day <= _day(sub["hasta"]):
            return sub
    return None


def _is_minimum_wage(case: Mapping[str, Any], day: date) -> bool:
    wage = default_parameters().minimum_wage(Zone(case["trabajador"]["zona"]))
    minimum = wage.value_on(day.toordinal())
    return minimum is not None and Decimal(case["trabajador"]["salarioDiario"]) <= minimum


def _cap_binds(case: Mapping[str, Any], subperiods: Subperiods) -> bool:
    return any(
        _is_minimum_wage(case, _day(sub["desde"]))
        and sub["tope"] is not None
        and Decimal(sub["tope"]) < Decimal(sub["importeSinTope"])
        for sub in subperiods
    )


def _inside(period: tuple[date, date], day: date) -> bool:
    return period[0] < day <= period[1]


def _events_inside(
    avisos: Iterable[Mapping[str, Any]], clase: AvisoClass, field: str, period: tuple[date, date]
) -> list[date]:
    """Effective dates of the avisos of that class after the period's first day, within it."""
    return [
        _day(aviso[field])
        for aviso in avisos
        if AVISO_CATALOG.get(aviso["tipoAviso"]["clave"]) == clase
        and aviso[field] is not None
        and _inside(period, _day(aviso[field]))
    ]


def _suspended_inside(
    avisos: Iterable[Mapping[str, Any]], period: tuple[date, date], subperiods: Subperiods
) -> bool:
    """A suspension takes effect inside the period after discounted days up to its eve."""
    ends = {_day(sub["hasta"]) for sub in subperiods}
    return any(
        fin - timedelta(days=1) in ends
        for fin in _events_inside(avisos, AvisoClass.SUSPENSION, "fechaFin", period)
    )


def _modified_inside(
    avisos: Iterable[Mapping[str, Any]], period: tuple[date, date], subperiods: Subperiods
) -> bool:
    """A modification takes effect inside the period and the discount differs on each side."""
    for start in _events_inside(avisos, AvisoClass.MODIFICACION, "fechaInicioDescuento", period):
        before = _covering(subperiods, start - timedelta(days=1))
        after = _covering(subperiods, start)
        if (
            before is not None
            and after is not None
            and (
                (before["tipoDescuento"], before["valorDescuento"])
                != (after["tipoDescuento"], after["valorDescuento"])
            )
        ):
            return True
    return False


def _absence_features(case: Mapping[str, Any], avisos: list[Mapping[str, Any]]) -> set[Feature]:
    """Absences on days the credit is active, each on its side of the 2025 reform."""
    days = [_day(text) for text in (*case["ausencias"], *case["incapacidades"])]
    if not days:
        return set()
    # A non-discounted absence may empty a one-day subperiod, which then is not shown: whether
    # a day is active is read from the same case without absences.
    present = {**case, "ausencias": [], "incapacidades": []}
    active = calculate_json(calculator_input(present, avisos))["subperiodos"]
    return {
        Feature.AUSENCIAS_ANTES_REFORMA
        if day < ABSENCES_DISCOUNTED_FROM
        else Feature.AUSENCIAS_DESPUES_REFORMA
        for day in days
        if _covering(active, day) is not None
    }


def case_features(
    case: Mapping[str, Any], avisos: list[Mapping[str, Any]], answer: Mapping[str, Any]
) -> frozenset[str]:
    """The features one case exercises, given its avisos and its §6 answer."""
    period = (_day(case["periodo"]["desde"]), _day(case["periodo"]["hasta"]))
    subperiods: Subperiods = answer["subperiodos"]
    found: set[Feature] = {_TIPO_FEATURE[sub["tipoDescuento"]] for sub in subperiods}
    periodicidad = periodicidad_of(*period)
    if periodicidad is not None:
        found.add(_PERIODICIDAD_FEATURE[periodicidad])
    if len({bimester_start(_day(sub["desde"])) for sub in subperiods}) > 1:
        found.add(Feature.CRUZA_BIMESTRE)
    if any(
        calendar.isleap(year) and _covering(subperiods, date(year, 2, 29)) is not None
        for year in range(period[0].year, period[1].year + 1)
    ):
        found.add(Feature.FEBRERO_BISIESTO)
    if _cap_binds(case, subperiods):
        found.add(Feature.TOPE_SALARIO_MINIMO)
    if _suspended_inside(avisos, period, subperiods):
        found.add(Feature.SUSPENSION)
    if _modified_inside(avisos, period, subperiods):
        found.add(Feature.MODIFICACION)
    found |= _absence_features(case, avisos)
    if Decimal(answer["seguroDanios"]) > 0:
        found.add(Feature.SEGURO_DANIOS)
    return frozenset(found)


def features_covered(
    test_set_doc: Mapping[str, Any], avisos_docs: Iterable[Mapping[str, Any]]
) -> frozenset[str]:
    """Every §7 feature (see :class:`Feature`) that some case of the test set exercises."""
    grouped = avisos_by_nss(avisos_docs)
    found: set[str] = set()
    for case in test_set_doc["casos"]:
        avisos = grouped.get(case["nss"], [])
        found |= case_features(case, avisos, calculate_json(calculator_input(case, avisos)))
    return frozenset(found)
