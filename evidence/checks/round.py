"""What the checks compare the evidence against: one round's test set, answers and avisos.

These documents are the back office's own (stored when the round was generated), so they are
trusted to have the shapes of DOMAIN §5–§7; this module only gives them types.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class ExpectedSubperiod:
    """One subperiod of a case's §6 answer, amounts rounded to cents as the answer shows them."""

    desde: date
    hasta: date
    tipo: int
    valor: Decimal
    dias_bimestre: int
    dias_descontados: int
    importe_diario: Decimal
    importe_sin_tope: Decimal
    tope: Decimal | None
    amortizacion: Decimal


@dataclass(frozen=True)
class ExpectedCase:
    caso: str
    seccion: str  # "muestra" or "evaluacion"
    nss: str
    cfdi: bool
    subperiodos: tuple[ExpectedSubperiod, ...]
    amortizacion: Decimal
    seguro: Decimal
    total: Decimal


def case_key(caso: str | None) -> str:
    """A case id as rows name it: compared without regard to case or surrounding spaces."""
    return (caso or "").strip().upper()


@dataclass(frozen=True)
class RoundAviso:
    folio: str
    nss: str


@dataclass(frozen=True)
class Round:
    """A round as the checks need it; ``cases`` keep the order of ``set-de-pruebas.json``."""

    nrp: str
    cases: tuple[ExpectedCase, ...]
    avisos: tuple[RoundAviso, ...]

    @functools.cached_property
    def _by_nss(self) -> dict[str, ExpectedCase]:
        return {case.nss: case for case in self.cases}

    def case_of_worker(self, nss: str) -> ExpectedCase | None:
        return self._by_nss.get(nss)

    @functools.cached_property
    def _by_key(self) -> dict[str, ExpectedCase]:
        by_key: dict[str, ExpectedCase] = {}
        for case in self.cases:
            by_key.setdefault(case_key(case.caso), case)  # the first of a repeated id, as before
        return by_key

    def case_named(self, key: str) -> ExpectedCase | None:
        """The case whose id has the :func:`case_key` ``key``."""
        return self._by_key.get(key)

    def section(self, seccion: str) -> tuple[ExpectedCase, ...]:
        return tuple(case for case in self.cases if case.seccion == seccion)

    @property
    def cfdi_case(self) -> ExpectedCase | None:
        """The evaluación case marked for the CFDI of tab 4 (one per test set, DOMAIN §7)."""
        return next((case for case in self.cases if case.cfdi), None)

    @functools.cached_property
    def aviso_folios(self) -> frozenset[str]:
        return frozenset(aviso.folio for aviso in self.avisos)


def _subperiod(item: Mapping[str, Any]) -> ExpectedSubperiod:
    tope = item["tope"]
    return ExpectedSubperiod(
        desde=date.fromisoformat(item["desde"]),
        hasta=date.fromisoformat(item["hasta"]),
        tipo=int(item["tipoDescuento"]),
        valor=Decimal(item["valorDescuento"]),
        dias_bimestre=int(item["diasBimestre"]),
        dias_descontados=int(item["diasDescontados"]),
        importe_diario=Decimal(item["importeDiario"]),
        importe_sin_tope=Decimal(item["importeSinTope"]),
        tope=None if tope is None else Decimal(tope),
        amortizacion=Decimal(item["amortizacion"]),
    )


def _case(case: Mapping[str, Any], answer: Mapping[str, Any]) -> ExpectedCase:
    return ExpectedCase(
        caso=case["caso"],
        seccion=case["seccion"],
        nss=case["nss"],
        cfdi=bool(case["cfdi"]),
        subperiodos=tuple(_subperiod(item) for item in answer["subperiodos"]),
        amortizacion=Decimal(answer["amortizacion"]),
        seguro=Decimal(answer["seguroDanios"]),
        total=Decimal(answer["total"]),
    )


def build_round(
    test_set: Mapping[str, Any],
    answers: Mapping[str, Mapping[str, Any]],
    avisos_responses: Sequence[Mapping[str, Any]],
) -> Round:
    """The round of ``set-de-pruebas.json``, ``respuestas.json`` and the signed responses."""
    avisos: dict[str, RoundAviso] = {}
    for response in avisos_responses:
        for aviso in response["avisos"]:
            avisos.setdefault(aviso["folio"], RoundAviso(aviso["folio"], aviso["nss"]))
    return Round(
        nrp=test_set["patron"]["nrp"],
        cases=tuple(_case(case, answers[case["caso"]]) for case in test_set["casos"]),
        avisos=tuple(avisos.values()),
    )
