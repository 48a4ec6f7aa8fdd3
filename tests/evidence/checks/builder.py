"""Evidence workbooks built from a generated test set, correct unless a test alters them.

``evidence_spec`` gives the four tabs as a vendor who did everything right would fill them: the
signed avisos zipped on tab 1, every muestra subperiod and evaluación total of ``respuestas.json``
on tab 2, a PNG on tab 3 and, on tab 4, an unsigned CFDI 4.0 + Nómina 1.2 of the case marked
``cfdi`` whose 010 deduction is that case's total. Tests change one piece with
``dataclasses.replace`` and build the xlsx with ``build_xlsx``.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import io
import json
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from lxml import etree

from evidence.checks import CheckResult, check_evidence
from evidence.formats.cfdi_schema import CFDI_NS, NOMINA_NS
from evidence.reading import read_workbook
from rules.calendar import MEXICO_CITY
from rules.testsets.generate import GeneratedTestSet, generate_test_set
from rules.workbook_template import (
    HEADERS_EVALUACION,
    HEADERS_MUESTRAS,
    HEADING_EVALUACION,
    HEADING_MUESTRAS,
    SHEET_CALCULOS,
    SHEET_CFDI,
    SHEET_JSON,
    SHEET_PANTALLAS,
)
from tests.evidence.fixtures.build import (
    Cell,
    EmbeddedObject,
    SheetSpec,
    build_xlsx,
    screenshot,
)

# A fixed key keeps every generated set (and its signatures) reproducible across runs.
PRIVATE_KEY = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"sia-pruebas").digest())
PUBLIC_KEY = PRIVATE_KEY.public_key()
VENDOR_RFC = "CAC840428RH1"
EMITIDO = datetime.datetime(2026, 3, 2, 10, 0, tzinfo=MEXICO_CITY)

_PERIODICIDAD_PAGO = {"semanal": "02", "catorcenal": "03", "quincenal": "04", "mensual": "05"}
_CENT = Decimal("0.01")


@functools.cache
def generated(seed: str = "pruebas-de-evidencias", folio: str = "0501423523") -> GeneratedTestSet:
    return generate_test_set(
        seed=seed,
        vendor_rfc=VENDOR_RFC,
        folio=folio,
        round=1,
        emitido=EMITIDO,
        private_key=PRIVATE_KEY,
    )


def _json_bytes(document: Any) -> bytes:
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def zip_of(files: Mapping[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return out.getvalue()


def avisos_zip(responses: Iterable[Mapping[str, Any]]) -> bytes:
    """The zip a vendor makes of the responses its system downloaded, one file each."""
    return zip_of(
        {
            f"avisos/{i:02d}-{response.get('folioConsulta')}.json": _json_bytes(response)
            for i, response in enumerate(responses, start=1)
        }
    )


def _muestra_rows(case: Mapping[str, Any], answer: Mapping[str, Any]) -> list[list[Cell]]:
    rows: list[list[Cell]] = []
    subperiods = answer["subperiodos"]
    for index, item in enumerate(subperiods):
        last = index == len(subperiods) - 1
        tope = item["tope"]
        rows.append(
            [
                case["caso"],
                case["nss"],
                datetime.date.fromisoformat(item["desde"]),
                datetime.date.fromisoformat(item["hasta"]),
                item["tipoDescuento"],
                Decimal(item["valorDescuento"]),
                item["diasBimestre"],
                item["diasDescontados"],
                Decimal(item["importeDiario"]),
                Decimal(item["importeSinTope"]),
                None if tope is None else Decimal(tope),
                Decimal(item["amortizacion"]),
                Decimal(answer["seguroDanios"]) if last else None,
                Decimal(answer["total"]) if last else None,
            ]
        )
    return rows


def calculation_rows(
    test_set: Mapping[str, Any],
    answers: Mapping[str, Mapping[str, Any]],
    total: Callable[[str, Decimal], Cell] = lambda _caso, value: value,
) -> list[list[Cell]]:
    """Tab 2 in the template's layout; ``total`` may alter an evaluación case's total."""
    cases = test_set["casos"]
    rows: list[list[Cell]] = [["Cálculo de retenciones"], [], [HEADING_MUESTRAS]]
    rows.append(list(HEADERS_MUESTRAS))
    for case in cases:
        if case["seccion"] == "muestra":
            rows += _muestra_rows(case, answers[case["caso"]])
    rows += [[], [HEADING_EVALUACION], list(HEADERS_EVALUACION)]
    rows += [
        [case["caso"], case["nss"], total(case["caso"], Decimal(answers[case["caso"]]["total"]))]
        for case in cases
        if case["seccion"] == "evaluacion"
    ]
    return rows


def _worker(avisos: Sequence[Mapping[str, Any]], nss: str) -> Mapping[str, Any]:
    return next(a for response in avisos for a in response["avisos"] if a["nss"] == nss)


def _money(value: Decimal) -> str:
    return str(value.quantize(_CENT, ROUND_HALF_UP))


def nomina_cfdi(gen: GeneratedTestSet, caso: str | None = None) -> bytes:
    """An unsigned CFDI 4.0 + Nómina 1.2 of ``caso`` (default: the one marked ``cfdi``)."""
    test_set = gen.test_set
    case = next(c for c in test_set["casos"] if (c["caso"] == caso if caso else c["cfdi"]))
    total = Decimal(gen.answers[case["caso"]]["total"])
    worker = _worker(gen.avisos, case["nss"])
    periodo = case["periodo"]
    days = (
        datetime.date.fromisoformat(periodo["hasta"])
        - datetime.date.fromisoformat(periodo["desde"])
    ).days + 1
    sueldo = max(Decimal(case["trabajador"]["salarioDiario"]) * days, total + 1000)
    c, n = f"{{{CFDI_NS}}}", f"{{{NOMINA_NS}}}"
    root = etree.Element(
        c + "Comprobante",
        nsmap={"cfdi": CFDI_NS, "nomina12": NOMINA_NS},
        Version="4.0",
        Fecha=f"{periodo['hasta']}T12:00:00",
        SubTotal=_money(sueldo),
        Descuento=_money(total),
        Moneda="MXN",
        Total=_money(sueldo - total),
        TipoDeComprobante="N",
        Exportacion="01",
        MetodoPago="PUE",
        LugarExpedicion="06000",
    )
    patron = test_set["patron"]
    etree.SubElement(
        root, c + "Emisor", Rfc=patron["rfc"], Nombre=patron["razonSocial"], RegimenFiscal="601"
    )
    etree.SubElement(
        root,
        c + "Receptor",
        Rfc=worker["rfc"],
        Nombre=worker["nombre"],
        DomicilioFiscalReceptor="06000",
        RegimenFiscalReceptor="605",
        UsoCFDI="CN01",
    )
    etree.SubElement(
        etree.SubElement(root, c + "Conceptos"),
        c + "Concepto",
        ClaveProdServ="84111505",
        Cantidad="1",
        ClaveUnidad="ACT",
        Descripcion="Pago de nómina",
        ValorUnitario=_money(sueldo),
        Importe=_money(sueldo),
        Descuento=_money(total),
        ObjetoImp="01",
    )
    nomina = etree.SubElement(
        etree.SubElement(root, c + "Complemento"),
        n + "Nomina",
        Version="1.2",
        TipoNomina="O",
        FechaPago=periodo["hasta"],
        FechaInicialPago=periodo["desde"],
        FechaFinalPago=periodo["hasta"],
        NumDiasPagados=str(days),
        TotalPercepciones=_money(sueldo),
        TotalDeducciones=_money(total),
    )
    etree.SubElement(nomina, n + "Emisor", RegistroPatronal=patron["nrp"])
    etree.SubElement(
        nomina,
        n + "Receptor",
        Curp=worker["curp"],
        NumSeguridadSocial=case["nss"],
        FechaInicioRelLaboral="2020-01-06",
        TipoContrato="01",
        TipoRegimen="02",
        NumEmpleado="1",
        RiesgoPuesto="1",
        PeriodicidadPago=_PERIODICIDAD_PAGO[periodo["periodicidad"]],
        SalarioBaseCotApor=case["trabajador"]["sbc"],
        SalarioDiarioIntegrado=case["trabajador"]["sbc"],
        ClaveEntFed="CMX",
    )
    percepciones = etree.SubElement(
        nomina,
        n + "Percepciones",
        TotalSueldos=_money(sueldo),
        TotalGravado=_money(sueldo),
        TotalExento="0.00",
    )
    etree.SubElement(
        percepciones,
        n + "Percepcion",
        TipoPercepcion="001",
        Clave="001",
        Concepto="Sueldo",
        ImporteGravado=_money(sueldo),
        ImporteExento="0.00",
    )
    etree.SubElement(
        etree.SubElement(nomina, n + "Deducciones", TotalOtrasDeducciones=_money(total)),
        n + "Deduccion",
        TipoDeduccion="010",
        Clave="010",
        Concepto="Crédito INFONAVIT",
        Importe=_money(total),
    )
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def edit_cfdi(xml: bytes, change: Callable[[Any], None]) -> bytes:
    """``xml`` after ``change`` (given the root element) altered it in place."""
    root = etree.fromstring(xml)
    change(root)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def evidence_spec(gen: GeneratedTestSet) -> list[SheetSpec]:
    """The four tabs of a correct evidence workbook for ``gen``."""
    return [
        SheetSpec(
            SHEET_JSON,
            [["Respuestas del servicio de avisos"]],
            objects=[EmbeddedObject("respuestas.zip", avisos_zip(gen.avisos))],
        ),
        SheetSpec(SHEET_CALCULOS, calculation_rows(gen.test_set, gen.answers)),
        SheetSpec(SHEET_PANTALLAS, [["Pantallas"]], images=[screenshot("png")]),
        SheetSpec(
            SHEET_CFDI,
            [["CFDI de nómina"]],
            objects=[EmbeddedObject("cfdi.xml", nomina_cfdi(gen))],
        ),
    ]


def check_workbook(data: bytes, gen: GeneratedTestSet) -> CheckResult:
    """Read ``data`` and check it against the round ``gen``."""
    return check_evidence(
        read_workbook(data, filename="evidencias.xlsx"),
        test_set=gen.test_set,
        answers=gen.answers,
        avisos_responses=gen.avisos,
        public_key=PUBLIC_KEY,
    )


def check_spec(spec: list[SheetSpec], gen: GeneratedTestSet) -> CheckResult:
    return check_workbook(build_xlsx(spec), gen)


def codes(result: CheckResult) -> list[str]:
    return [f.code.value for f in result.findings]
