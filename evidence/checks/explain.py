"""The expected calculation path of every tab-2 case, for reviewers (Spanish text and a table).

Built from the round's documents alone: the amounts are those of ``respuestas.json`` (the §6
calculator's output); the worker's avisos say where tipo and valor come from, and the parameter
table gives the UMI (tipo 3) and the minimum wage behind the cap condition.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from rules.avisos import AVISO_CATALOG, AvisoClass
from rules.formatting import fecha
from rules.parameters import Zone, default_parameters
from rules.retention.calculator import SEGURO_DANIOS

_TIPOS = {1: "porcentaje", 2: "cuota fija en pesos", 3: "cuota fija en VSM"}
_SECCIONES = {"muestra": "muestra", "evaluacion": "evaluación"}


@dataclass(frozen=True)
class AvisoStep:
    folio: str
    clave: str
    descripcion: str
    efecto: date  # fechaInicioDescuento, or fechaFin for a SUSPENSION
    tipo: int | None
    valor: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "folio": self.folio,
            "clave": self.clave,
            "descripcion": self.descripcion,
            "efecto": self.efecto.isoformat(),
            "tipoDescuento": self.tipo,
            "valorDescuento": self.valor,
        }

    def line(self) -> str:
        what = f"{self.clave} {self.descripcion} (folio {self.folio}), efecto {fecha(self.efecto)}"
        if self.tipo is None:
            return f"{what}: suspende el descuento desde ese día."
        return f"{what}: tipo {self.tipo} ({_TIPOS.get(self.tipo, '?')}), valor {self.valor}."


@dataclass(frozen=True)
class SubperiodStep:
    desde: date
    hasta: date
    dias_bimestre: int
    dias_descontados: int
    tipo: int
    valor: str
    umi: Decimal | None  # tipo 3 only
    salario_minimo: Decimal | None
    importe_diario: str
    importe_sin_tope: str
    tope: str | None
    amortizacion: str
    formula: str

    @property
    def dias(self) -> int:
        return (self.hasta - self.desde).days + 1

    @property
    def tope_limita(self) -> bool:
        return self.tope is not None and Decimal(self.tope) < Decimal(self.importe_sin_tope)

    def to_json(self) -> dict[str, Any]:
        return {
            "desde": self.desde.isoformat(),
            "hasta": self.hasta.isoformat(),
            "diasBimestre": self.dias_bimestre,
            "dias": self.dias,
            "diasDescontados": self.dias_descontados,
            "tipoDescuento": self.tipo,
            "valorDescuento": self.valor,
            "umi": None if self.umi is None else str(self.umi),
            "salarioMinimo": None if self.salario_minimo is None else str(self.salario_minimo),
            "formula": self.formula,
            "importeDiario": self.importe_diario,
            "importeSinTope": self.importe_sin_tope,
            "tope": self.tope,
            "topeLimita": self.tope_limita,
            "amortizacion": self.amortizacion,
        }


@dataclass(frozen=True)
class CaseExplanation:
    caso: str
    seccion: str
    nss: str
    nombre: str
    periodo: Mapping[str, str]
    trabajador: Mapping[str, str]
    ausencias: tuple[str, ...]
    incapacidades: tuple[str, ...]
    avisos: tuple[AvisoStep, ...]
    subperiodos: tuple[SubperiodStep, ...]
    amortizacion: str
    seguro: str
    total: str

    @property
    def bimestres_con_seguro(self) -> int:
        return int(Decimal(self.seguro) / SEGURO_DANIOS)

    def to_json(self) -> dict[str, Any]:
        return {
            "caso": self.caso,
            "seccion": self.seccion,
            "nss": self.nss,
            "nombre": self.nombre,
            "periodo": dict(self.periodo),
            "trabajador": dict(self.trabajador),
            "ausencias": list(self.ausencias),
            "incapacidades": list(self.incapacidades),
            "avisos": [aviso.to_json() for aviso in self.avisos],
            "subperiodos": [step.to_json() for step in self.subperiodos],
            "amortizacion": self.amortizacion,
            "seguroDanios": self.seguro,
            "bimestresConSeguro": self.bimestres_con_seguro,
            "total": self.total,
            "texto": self.text,
        }

    @property
    def text(self) -> str:
        periodo, trabajador = self.periodo, self.trabajador
        lines = [
            f"Caso {self.caso} ({_SECCIONES.get(self.seccion, self.seccion)}), NSS {self.nss}, "
            f"{self.nombre}.",
            f"Periodo {periodo['periodicidad']} del {fecha(date.fromisoformat(periodo['desde']))} "
            f"al {fecha(date.fromisoformat(periodo['hasta']))}; SBC {trabajador['sbc']}, salario "
            f"diario {trabajador['salarioDiario']}, zona {trabajador['zona']}.",
        ]
        absent = [*self.ausencias, *self.incapacidades]
        if absent:
            days = ", ".join(fecha(date.fromisoformat(day)) for day in sorted(absent))
            lines.append(
                f"Ausencias e incapacidades: {days} (no se descuentan en bimestres anteriores a "
                "nov–dic 2025; desde ese bimestre, sí)."
            )
        lines.append("Avisos del trabajador, por fecha de efecto:")
        lines += [f"  - {aviso.line()}" for aviso in self.avisos]
        if not self.subperiodos:
            lines.append("Ningún día del periodo tiene descuento activo.")
        for number, step in enumerate(self.subperiodos, start=1):
            lines += _subperiod_lines(number, step, trabajador)
        seguro = (
            f"Seguro de daños: {self.seguro} ({self.bimestres_con_seguro} bimestre(s) cuyo "
            "primer día activo del crédito cae en el periodo)."
            if self.bimestres_con_seguro
            else "Seguro de daños: 0.00 (ningún bimestre empieza su descuento en este periodo)."
        )
        lines += [
            f"Amortización del periodo (suma exacta redondeada a centavos): {self.amortizacion}.",
            seguro,
            f"Total a retener: {self.total}.",
        ]
        return "\n".join(lines)


def _subperiod_lines(number: int, step: SubperiodStep, trabajador: Mapping[str, str]) -> list[str]:
    not_discounted = step.dias - step.dias_descontados
    lines = [
        f"Subperiodo {number}: del {fecha(step.desde)} al {fecha(step.hasta)}, bimestre de "
        f"{step.dias_bimestre} días; {step.dias} día(s), {step.dias_descontados} descontado(s)"
        + (
            f" ({not_discounted} de ausencia sin descuento, regla anterior a la reforma)."
            if not_discounted
            else "."
        ),
        f"  Tipo {step.tipo} ({_TIPOS.get(step.tipo, '?')}), valor {step.valor}: importe diario "
        f"= {step.formula} = {step.importe_diario}.",
        f"  Importe sin tope = importe diario × {step.dias_descontados} = {step.importe_sin_tope}.",
    ]
    minimo = "no disponible" if step.salario_minimo is None else str(step.salario_minimo)
    if step.tope is None:
        lines.append(
            f"  Salario diario {trabajador['salarioDiario']} > salario mínimo {minimo}: sin tope."
        )
    else:
        binds = "limita" if step.tope_limita else "no limita"
        lines.append(
            f"  Salario diario {trabajador['salarioDiario']} ≤ salario mínimo {minimo}: tope = SBC "
            f"× 0.20 × {step.dias_descontados} = {step.tope} ({binds})."
        )
    lines.append(f"  Amortización: {step.amortizacion}.")
    return lines


def _formula(tipo: int, valor: str, sbc: str, umi: Decimal | None, dias_bimestre: int) -> str:
    if tipo == 1:
        return f"SBC × valor / 100 = {sbc} × {valor} / 100"
    if tipo == 2:
        return f"valor × 2 / días del bimestre = {valor} × 2 / {dias_bimestre}"
    shown_umi = "UMI no disponible" if umi is None else str(umi)
    return f"valor × UMI × 2 / días del bimestre = {valor} × {shown_umi} × 2 / {dias_bimestre}"


def _subperiod(item: Mapping[str, Any], trabajador: Mapping[str, str]) -> SubperiodStep:
    params = default_parameters()
    desde = date.fromisoformat(item["desde"])
    tipo = int(item["tipoDescuento"])
    umi = params.umi.value_on(desde.toordinal()) if tipo == 3 else None
    minimum = params.minimum_wage(Zone(trabajador["zona"])).value_on(desde.toordinal())
    return SubperiodStep(
        desde=desde,
        hasta=date.fromisoformat(item["hasta"]),
        dias_bimestre=int(item["diasBimestre"]),
        dias_descontados=int(item["diasDescontados"]),
        tipo=tipo,
        valor=item["valorDescuento"],
        umi=umi,
        salario_minimo=minimum,
        importe_diario=item["importeDiario"],
        importe_sin_tope=item["importeSinTope"],
        tope=item["tope"],
        amortizacion=item["amortizacion"],
        formula=_formula(
            tipo, item["valorDescuento"], trabajador["sbc"], umi, int(item["diasBimestre"])
        ),
    )


def _aviso(aviso: Mapping[str, Any]) -> AvisoStep:
    tipo_aviso = aviso["tipoAviso"]
    suspension = AVISO_CATALOG.get(tipo_aviso["clave"]) is AvisoClass.SUSPENSION
    return AvisoStep(
        folio=aviso["folio"],
        clave=tipo_aviso["clave"],
        descripcion=tipo_aviso["descripcion"],
        efecto=date.fromisoformat(
            aviso["fechaFin"] if suspension else aviso["fechaInicioDescuento"]
        ),
        tipo=None if suspension else aviso["tipoDescuento"],
        valor=None if suspension else aviso["valorDescuento"],
    )


def _worker_avisos(avisos_responses: Sequence[Mapping[str, Any]], nss: str) -> list[AvisoStep]:
    by_folio = {
        aviso["folio"]: aviso
        for response in avisos_responses
        for aviso in response["avisos"]
        if aviso["nss"] == nss
    }
    # The order §5 applies them in: effective date, then fechaAviso, then folio.
    return sorted(
        (_aviso(aviso) for aviso in by_folio.values()),
        key=lambda step: (step.efecto, by_folio[step.folio]["fechaAviso"], step.folio),
    )


def explain_case(
    case: Mapping[str, Any],
    answer: Mapping[str, Any],
    avisos_responses: Sequence[Mapping[str, Any]],
) -> CaseExplanation:
    """The expected path of one case of ``set-de-pruebas.json`` to its answer."""
    trabajador = {key: str(value) for key, value in case["trabajador"].items()}
    return CaseExplanation(
        caso=case["caso"],
        seccion=case["seccion"],
        nss=case["nss"],
        nombre=case["nombre"],
        periodo={key: str(value) for key, value in case["periodo"].items()},
        trabajador=trabajador,
        ausencias=tuple(case["ausencias"]),
        incapacidades=tuple(case["incapacidades"]),
        avisos=tuple(_worker_avisos(avisos_responses, case["nss"])),
        subperiodos=tuple(_subperiod(item, trabajador) for item in answer["subperiodos"]),
        amortizacion=answer["amortizacion"],
        seguro=answer["seguroDanios"],
        total=answer["total"],
    )


def explain_round(
    test_set: Mapping[str, Any],
    answers: Mapping[str, Mapping[str, Any]],
    avisos_responses: Sequence[Mapping[str, Any]],
) -> tuple[CaseExplanation, ...]:
    """Every case of tab 2 (muestras, then evaluación, as in the test set)."""
    return tuple(
        explain_case(case, answers[case["caso"]], avisos_responses) for case in test_set["casos"]
    )
