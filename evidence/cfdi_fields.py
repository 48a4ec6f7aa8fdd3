"""The key fields of a CFDI de nómina (DOMAIN §10) as a reviewer reads them, and its text.

Every value is the vendor's, taken as written (attributes that are absent or blank are None), so
whoever shows them must escape them. A document that does not parse yields no fields but still
its text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from evidence.formats.cfdi_schema import CFDI_NS, NOMINA_NS
from evidence.formats.safexml import XmlRejected, parse_xml

_C, _N = f"{{{CFDI_NS}}}", f"{{{NOMINA_NS}}}"
_NOMINA = f"{_C}Complemento/{_N}Nomina"


@dataclass(frozen=True)
class Deduction:
    tipo: str | None
    clave: str | None
    concepto: str | None
    importe: str | None


@dataclass(frozen=True)
class Concept:
    descripcion: str | None
    importe: str | None


@dataclass(frozen=True)
class CfdiFields:
    tipo_comprobante: str | None
    fecha: str | None
    emisor_rfc: str | None
    emisor_nombre: str | None
    registro_patronal: str | None
    receptor_rfc: str | None
    receptor_nombre: str | None
    nss: str | None
    curp: str | None
    fecha_pago: str | None
    fecha_inicial_pago: str | None
    fecha_final_pago: str | None
    dias_pagados: str | None
    periodicidad: str | None
    conceptos: tuple[Concept, ...]
    deducciones: tuple[Deduction, ...]
    total_deducciones: str | None


@dataclass(frozen=True)
class ShownCfdi:
    text: str
    fields: CfdiFields | None  # None when the document does not parse as XML


def _value(element: Any, attribute: str) -> str | None:
    if element is None:
        return None
    return (element.get(attribute) or "").strip() or None


def _fields(root: Any) -> CfdiFields:
    nominas = root.findall(_NOMINA)
    # A CFDI de nómina has one complement; with several, the first names the worker and period.
    nomina = nominas[0] if nominas else None
    emisor, receptor = root.find(f"{_C}Emisor"), root.find(f"{_C}Receptor")
    worker = nomina.find(f"{_N}Receptor") if nomina is not None else None
    deductions = [d for n in nominas for d in n.findall(f"{_N}Deducciones/{_N}Deduccion")]
    return CfdiFields(
        tipo_comprobante=_value(root, "TipoDeComprobante"),
        fecha=_value(root, "Fecha"),
        emisor_rfc=_value(emisor, "Rfc"),
        emisor_nombre=_value(emisor, "Nombre"),
        registro_patronal=_value(
            nomina.find(f"{_N}Emisor") if nomina is not None else None, "RegistroPatronal"
        ),
        receptor_rfc=_value(receptor, "Rfc"),
        receptor_nombre=_value(receptor, "Nombre"),
        nss=_value(worker, "NumSeguridadSocial"),
        curp=_value(worker, "Curp"),
        fecha_pago=_value(nomina, "FechaPago"),
        fecha_inicial_pago=_value(nomina, "FechaInicialPago"),
        fecha_final_pago=_value(nomina, "FechaFinalPago"),
        dias_pagados=_value(nomina, "NumDiasPagados"),
        periodicidad=_value(worker, "PeriodicidadPago"),
        conceptos=tuple(
            Concept(_value(c, "Descripcion"), _value(c, "Importe"))
            for c in root.findall(f"{_C}Conceptos/{_C}Concepto")
        ),
        deducciones=tuple(
            Deduction(
                _value(d, "TipoDeduccion"),
                _value(d, "Clave"),
                _value(d, "Concepto"),
                _value(d, "Importe"),
            )
            for d in deductions
        ),
        total_deducciones=_value(nomina, "TotalDeducciones"),
    )


def show_cfdi(xml: bytes) -> ShownCfdi:
    """The document's text in the encoding it declares, and its key fields."""
    try:
        root = parse_xml(xml)
    except XmlRejected:
        return ShownCfdi(xml.decode("utf-8", errors="replace"), None)
    encoding = root.getroottree().docinfo.encoding or "utf-8"
    try:
        text = xml.decode(encoding, errors="replace")
    except LookupError:  # an encoding lxml knows and Python does not
        text = xml.decode("utf-8", errors="replace")
    return ShownCfdi(text.lstrip("\ufeff"), _fields(root))
