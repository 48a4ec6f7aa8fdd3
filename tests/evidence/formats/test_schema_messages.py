"""SAT schema violations are told to the vendor in Spanish, with the element, value and limit."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from lxml import etree

from evidence.formats.cfdi_schema import CFDI_NS, NOMINA_NS, schema_violations
from evidence.formats.schema_messages import spanish
from tests.evidence.checks.builder import generated, nomina_cfdi

NS = {"cfdi": CFDI_NS, "nomina12": NOMINA_NS}
PREFIXES = {CFDI_NS: "cfdi", NOMINA_NS: "nomina12"}
ENGLISH = re.compile(r"\b(?:value|attribute|element|expected|allowed|facet|missing|type)\b", re.I)


def _emisor(root: Any) -> Any:
    return root.find("cfdi:Emisor", NS)


def _nomina(root: Any) -> Any:
    return root.find(".//nomina12:Nomina", NS)


# Each change, and what the vendor reads for it (one line per violation libxml2 reports).
CASES: list[tuple[str, Callable[[Any], None], list[str]]] = [
    (
        "datatype",
        lambda r: r.set("Fecha", "ayer"),
        [
            "el atributo «Fecha» de «cfdi:Comprobante» tiene el valor «ayer», que no es válido "
            "para el tipo «t_FechaH»"
        ],
    ),
    (
        "required",
        lambda r: r.attrib.pop("Version"),
        ["a «cfdi:Comprobante» le falta el atributo obligatorio «Version»"],
    ),
    (
        "not-allowed",
        lambda r: r.set("Foo", "1"),
        ["«cfdi:Comprobante» no admite el atributo «Foo»"],
    ),
    (
        "min-inclusive",
        lambda r: r.set("TipoCambio", "0"),
        [
            "el atributo «TipoCambio» de «cfdi:Comprobante» tiene el valor «0», menor que el "
            "mínimo permitido (0.000001)"
        ],
    ),
    (
        "fraction-digits",
        lambda r: r.set("Total", "1.1234567"),
        [
            "el atributo «Total» de «cfdi:Comprobante» tiene el valor «1.1234567», con más de 6 "
            "decimales",
            "el atributo «Total» de «cfdi:Comprobante» tiene el valor «1.1234567», que no tiene "
            "el formato que exige el SAT",
        ],
    ),
    (
        "min-length",
        lambda r: _emisor(r).set("Nombre", ""),
        [
            "el atributo «Nombre» de «cfdi:Emisor» tiene el valor «», más corto que el mínimo "
            "de 1 carácter",
            "el atributo «Nombre» de «cfdi:Emisor» tiene el valor «», que no tiene el formato "
            "que exige el SAT",
        ],
    ),
    (
        "max-length",
        lambda r: _emisor(r).set("Nombre", "x" * 400),
        [
            f"el atributo «Nombre» de «cfdi:Emisor» tiene el valor «{'x' * 59}…», más largo que "
            "el máximo de 300 caracteres",
            f"el atributo «Nombre» de «cfdi:Emisor» tiene el valor «{'x' * 59}…», que no tiene "
            "el formato que exige el SAT",
        ],
    ),
    (
        "enumeration",
        lambda r: r.set("Exportacion", "09"),
        [
            "el atributo «Exportacion» de «cfdi:Comprobante» tiene el valor «09», que no está "
            "en el catálogo del SAT"
        ],
    ),
    (
        "order",
        lambda r: r.remove(r.find("cfdi:Receptor", NS)),
        ["el elemento «cfdi:Conceptos» no va en ese lugar; se esperaba «cfdi:Receptor»"],
    ),
    (
        "text",
        lambda r: setattr(_emisor(r), "text", "hola"),
        ["«cfdi:Emisor» no admite texto, solo atributos o elementos"],
    ),
    (
        "nomina",
        lambda r: _nomina(r).set("FechaPago", "2026-13-40"),
        [
            "el atributo «FechaPago» de «nomina12:Nomina» tiene el valor «2026-13-40», que no es "
            "válido para el tipo «t_Fecha»"
        ],
    ),
]


@pytest.mark.parametrize(("change", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_real_violations_read_in_spanish(
    change: Callable[[Any], None], expected: list[str]
) -> None:
    root = etree.fromstring(nomina_cfdi(generated()))
    change(root)
    root = etree.fromstring(etree.tostring(root))  # parsed from text, as a vendor's file is
    violations = schema_violations(root)
    assert [v.message for v in violations] == expected
    assert all(v.line >= 1 and not ENGLISH.search(v.message) for v in violations)


def test_a_long_list_of_expected_elements_is_shortened() -> None:
    root = etree.fromstring(nomina_cfdi(generated()))
    root.insert(0, etree.Element(f"{{{CFDI_NS}}}Raro"))
    [violation] = schema_violations(etree.fromstring(etree.tostring(root)))
    assert violation.message == (
        "el elemento «cfdi:Raro» no va en ese lugar; se esperaba «cfdi:InformacionGlobal», "
        "«cfdi:CfdiRelacionados» o «cfdi:Emisor»"
    )


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (
            "Element '{urn:a}X', attribute 'n': [facet 'maxInclusive'] The value '9' is greater "
            "than the maximum value allowed ('5').",
            "el atributo «n» de «X» tiene el valor «9», mayor que el máximo permitido (5)",
        ),
        (
            "Element 'X', attribute 'n': [facet 'minExclusive'] The value '0' must be greater "
            "than '0'.",
            "el atributo «n» de «X» tiene el valor «0»; debe ser mayor que 0",
        ),
        (
            "Element 'X', attribute 'n': [facet 'totalDigits'] The value '1234' has more digits "
            "than are allowed ('3').",
            "el atributo «n» de «X» tiene el valor «1234», con más de 3 dígitos",
        ),
        (
            "Element 'X', attribute 'c': [facet 'length'] The value 'AB' has a length of '2'; "
            "this differs from the allowed length of '3'.",
            "el atributo «c» de «X» tiene el valor «AB», que debe tener exactamente 3 caracteres",
        ),
        (
            f"Element '{{{CFDI_NS}}}Conceptos': Missing child element(s). Expected is one of "
            f"( {{{CFDI_NS}}}Concepto, {{{CFDI_NS}}}Otro, {{{CFDI_NS}}}Mas, {{{CFDI_NS}}}Ultimo ).",
            "a «cfdi:Conceptos» le falta el elemento «cfdi:Concepto», «cfdi:Otro», «cfdi:Mas» "
            "u otro de 1 más",
        ),
        ("Element 'X': Something libxml2 may say one day.", "«X» no cumple el esquema del SAT"),
        ("Unexpected text", "el documento no cumple el esquema del SAT"),
    ],
)
def test_every_libxml2_form_has_spanish(message: str, expected: str) -> None:
    assert spanish(message, PREFIXES) == expected
