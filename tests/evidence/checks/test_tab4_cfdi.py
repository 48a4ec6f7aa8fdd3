"""Tab 4: schema validity with the unsigned seal tolerated, the housing deduction and its totals."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest
from lxml import etree

from evidence.checks import CheckResult
from evidence.formats.cfdi_schema import CFDI_NS, NOMINA_NS, TFD_NS, cfdi_schema, schema_violations
from tests.evidence.checks.builder import (
    check_spec,
    codes,
    edit_cfdi,
    evidence_spec,
    generated,
    nomina_cfdi,
)
from tests.evidence.fixtures.build import EmbeddedObject

NS = {"cfdi": CFDI_NS, "nomina12": NOMINA_NS}


def _check_cfdi(xml: bytes) -> CheckResult:
    gen = generated()
    spec = evidence_spec(gen)
    spec[3] = replace(spec[3], objects=[EmbeddedObject("cfdi.xml", xml)])
    return check_spec(spec, gen)


def _edited(change: Callable[[Any], None]) -> CheckResult:
    return _check_cfdi(edit_cfdi(nomina_cfdi(generated()), change))


def _one(root: Any, path: str) -> Any:
    found = root.find(path, NS)
    assert found is not None, path
    return found


def _deduction(root: Any) -> Any:
    return _one(root, ".//nomina12:Deduccion")


def _set_deductions(root: Any, total: Decimal) -> None:
    """Every total that follows the deductions, kept consistent with ``total``."""
    text = f"{total:.2f}"
    _one(root, ".//nomina12:Nomina").set("TotalDeducciones", text)
    root.set("Descuento", text)
    _one(root, "cfdi:Conceptos/cfdi:Concepto").set("Descuento", text)
    root.set("Total", f"{Decimal(root.get('SubTotal')) - total:.2f}")


def _set_housing_amount(root: Any, amount: Decimal) -> None:
    _deduction(root).set("Importe", f"{amount:.2f}")
    _one(root, ".//nomina12:Deducciones").set("TotalOtrasDeducciones", f"{amount:.2f}")
    _set_deductions(root, amount)


def _marked() -> tuple[str, str, Decimal]:
    gen = generated()
    case = next(c for c in gen.test_set["casos"] if c["cfdi"])
    return case["caso"], case["nss"], Decimal(gen.answers[case["caso"]]["total"])


def test_the_builders_cfdi_is_schema_valid_only_thanks_to_the_seal_placeholders() -> None:
    root = etree.fromstring(nomina_cfdi(generated()))
    assert schema_violations(root) == []
    assert not cfdi_schema().validate(root)  # SAT's XSD itself demands the seal
    assert root.get("NoCertificado") is None  # and the document checked was left untouched


def test_empty_seal_attributes_are_tolerated() -> None:
    def empty_seal(root: Any) -> None:
        for name in ("Sello", "NoCertificado", "Certificado"):
            root.set(name, "")

    assert _edited(empty_seal).findings == ()


def test_a_malformed_certificate_number_is_still_a_schema_error() -> None:
    result = _edited(lambda root: root.set("NoCertificado", "123"))
    assert codes(result) == ["T4-SIGNED", "T4-SCHEMA"]
    assert "NoCertificado" in result.findings[1].message


def test_schema_violation() -> None:
    result = _edited(lambda root: root.set("Moneda", "PESOS"))
    assert codes(result) == ["T4-SCHEMA"]
    assert "Moneda" in result.findings[0].message
    assert result.verdict == "con_inconsistencias"


def test_a_long_catalog_in_a_schema_message_is_clipped() -> None:
    result = _edited(lambda root: root.set("LugarExpedicion", "00001"))
    assert codes(result) == ["T4-SCHEMA"]
    assert len(result.findings[0].message) < 600


def test_sealed_cfdi_is_only_a_warning() -> None:
    def seal(root: Any) -> None:
        root.set("Sello", "c2VsbG8=")
        root.set("NoCertificado", "30001000000500003416")
        root.set("Certificado", "TUlJ")

    result = _edited(seal)
    assert codes(result) == ["T4-SIGNED"]
    assert result.findings[0].severity == "warning"
    assert result.verdict == "sin_inconsistencias"


def test_stamped_cfdi_is_a_warning() -> None:
    def stamp(root: Any) -> None:
        etree.SubElement(
            _one(root, "cfdi:Complemento"),
            f"{{{TFD_NS}}}TimbreFiscalDigital",
            Version="1.1",
            UUID="6F0E1A3B-2C4D-4E5F-8A9B-0C1D2E3F4A5B",
            FechaTimbrado="2026-03-02T12:00:00",
            RfcProvCertif="SAT970701NN3",
            SelloCFD="c2VsbG8=",
            NoCertificadoSAT="00001000000505142236",
            SelloSAT="c2VsbG8=",
        )

    result = _edited(stamp)
    assert codes(result) == ["T4-SIGNED"]
    assert "timbrado" in result.findings[0].message


def test_deduction_of_type_005_is_an_error() -> None:
    result = _edited(lambda root: _deduction(root).set("TipoDeduccion", "005"))
    assert codes(result) == ["T4-DEDUCTION-TYPE"]
    assert (result.findings[0].expected, result.findings[0].actual) == ("010", "005")


def test_no_housing_deduction() -> None:
    result = _edited(lambda root: _deduction(root).set("TipoDeduccion", "004"))
    assert codes(result) == ["T4-NO-DEDUCTION"]


def test_type_009_and_several_housing_deductions_are_accepted() -> None:
    _caso, _nss, total = _marked()

    def split(root: Any) -> None:
        first = _deduction(root)
        first.set("TipoDeduccion", " 009 ")  # the catalog type collapses whitespace
        first.set("Importe", "1.00")
        second = etree.SubElement(first.getparent(), f"{{{NOMINA_NS}}}Deduccion")
        for name, value in first.attrib.items():
            second.set(name, value)
        second.set("TipoDeduccion", "010")
        second.set("Importe", f"{total - 1:.2f}")

    assert _edited(split).findings == ()


@pytest.mark.parametrize("delta", [Decimal("0.02"), Decimal("-15.00")])
def test_amount_other_than_the_marked_cases_total(delta: Decimal) -> None:
    caso, _nss, total = _marked()
    result = _edited(lambda root: _set_housing_amount(root, total + delta))
    assert codes(result) == ["T4-AMOUNT-MISMATCH"]
    found = result.findings[0]
    assert (found.case, found.expected, found.actual) == (
        caso,
        f"{total:.2f}",
        f"{total + delta:.2f}",
    )


def test_amount_within_a_cent_passes() -> None:
    _caso, _nss, total = _marked()
    assert _edited(lambda root: _set_housing_amount(root, total + Decimal("0.01"))).findings == ()


def _receptor(root: Any) -> Any:
    return _one(root, ".//nomina12:Receptor")


def test_receptor_that_is_no_worker_of_the_set() -> None:
    _caso, nss, _total = _marked()
    result = _edited(lambda root: _receptor(root).set("NumSeguridadSocial", "12345678901"))
    assert codes(result) == ["T4-UNKNOWN-WORKER"]
    assert (result.findings[0].expected, result.findings[0].actual) == (nss, "12345678901")


def test_receptor_without_nss() -> None:
    result = _edited(lambda root: _receptor(root).attrib.pop("NumSeguridadSocial"))
    assert codes(result) == ["T4-UNKNOWN-WORKER"]


def test_cfdi_of_another_worker_of_the_set() -> None:
    gen = generated()
    other = next(c for c in gen.test_set["casos"] if not c["cfdi"])
    result = _edited(lambda root: _receptor(root).set("NumSeguridadSocial", other["nss"]))
    assert codes(result) == ["T4-UNKNOWN-WORKER"]
    assert f"caso {other['caso']}" in result.findings[0].message


def test_deduction_totals_that_do_not_add_up() -> None:
    _caso, _nss, total = _marked()
    result = _edited(
        lambda root: _one(root, ".//nomina12:Deducciones").set(
            "TotalOtrasDeducciones", f"{total + 1:.2f}"
        )
    )
    assert codes(result) == ["T4-TOTALS"]
    assert "TotalOtrasDeducciones" in result.findings[0].message
    result = _edited(lambda root: root.set("Descuento", "0.00"))
    assert codes(result) == ["T4-TOTALS"]
    assert "Descuento" in result.findings[0].message


def test_taxes_need_their_own_total() -> None:
    _caso, _nss, total = _marked()

    def add_isr(root: Any, declared: bool) -> None:
        group = _one(root, ".//nomina12:Deducciones")
        etree.SubElement(
            group,
            f"{{{NOMINA_NS}}}Deduccion",
            TipoDeduccion="002",
            Clave="002",
            Concepto="ISR",
            Importe="100.00",
        )
        if declared:
            group.set("TotalImpuestosRetenidos", "100.00")
        _set_deductions(root, total + 100)

    assert _edited(lambda root: add_isr(root, declared=True)).findings == ()
    result = _edited(lambda root: add_isr(root, declared=False))
    assert codes(result) == ["T4-TOTALS"]
    assert "TotalImpuestosRetenidos" in result.findings[0].message


def test_a_cfdi_that_is_not_a_nomina() -> None:
    def invoice(root: Any) -> None:
        root.set("TipoDeComprobante", "I")
        root.remove(_one(root, "cfdi:Complemento"))

    result = _edited(invoice)
    assert codes(result) == ["T4-SCHEMA"]
    assert "no es un CFDI de nómina" in result.findings[0].message


def test_a_document_that_is_not_a_cfdi_40() -> None:
    xml = nomina_cfdi(generated()).replace(CFDI_NS.encode(), b"http://www.sat.gob.mx/cfd/3")
    result = _check_cfdi(xml)
    assert codes(result) == ["T4-SCHEMA"]
    assert "no es un CFDI 4.0" in result.findings[0].message


def test_every_cfdi_of_the_tab_is_checked() -> None:
    gen = generated()
    spec = evidence_spec(gen)
    wrong = edit_cfdi(nomina_cfdi(gen), lambda root: _deduction(root).set("TipoDeduccion", "005"))
    spec[3] = replace(spec[3], rows=[["CFDI"], [wrong.decode()]])
    result = check_spec(spec, gen)
    assert codes(result) == ["T4-DEDUCTION-TYPE"]
    assert "celda A2" in result.findings[0].message


def test_schema_imports_resolve_only_inside_evidence_xsd() -> None:
    from evidence.formats import cfdi_schema as module

    resolver = module._LocalSchemas()
    with pytest.raises(LookupError):
        resolver.resolve("http://www.sat.gob.mx/sitio_internet/cfd/otro.xsd", None, None)
