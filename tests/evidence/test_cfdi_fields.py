"""The key fields of a CFDI de nómina as the certification page shows them."""

from __future__ import annotations

from typing import Any

from evidence.cfdi_fields import Deduction, show_cfdi
from evidence.formats.cfdi_schema import NOMINA_NS
from tests.evidence.checks.builder import edit_cfdi, generated, nomina_cfdi


def test_key_fields_of_a_nomina() -> None:
    gen = generated()
    case = next(c for c in gen.test_set["casos"] if c["cfdi"])
    xml = nomina_cfdi(gen)
    shown = show_cfdi(xml)
    fields = shown.fields
    assert fields is not None
    patron = gen.test_set["patron"]
    assert (fields.emisor_rfc, fields.emisor_nombre, fields.registro_patronal) == (
        patron["rfc"],
        patron["razonSocial"],
        patron["nrp"],
    )
    assert fields.nss == case["nss"]
    assert (fields.fecha_inicial_pago, fields.fecha_final_pago) == (
        case["periodo"]["desde"],
        case["periodo"]["hasta"],
    )
    total = gen.answers[case["caso"]]["total"]
    assert fields.deducciones == (Deduction("010", "010", "Crédito INFONAVIT", total),)
    assert fields.total_deducciones == total
    assert [c.descripcion for c in fields.conceptos] == ["Pago de nómina"]
    assert shown.text == xml.decode()


def test_absent_and_blank_attributes_are_none() -> None:
    def strip(root: Any) -> None:
        receptor = root.find(f".//{{{NOMINA_NS}}}Receptor")
        receptor.set("NumSeguridadSocial", "  ")
        deducciones = root.find(f".//{{{NOMINA_NS}}}Deducciones")
        for deduction in list(deducciones):
            deducciones.remove(deduction)

    fields = show_cfdi(edit_cfdi(nomina_cfdi(generated()), strip)).fields
    assert fields is not None
    assert fields.nss is None and fields.deducciones == ()


def test_a_document_that_is_not_a_nomina_has_empty_fields() -> None:
    fields = show_cfdi(b"<?xml version='1.0'?><otro a='1'/>").fields
    assert fields is not None
    assert fields.emisor_rfc is None and fields.nss is None and fields.deducciones == ()


def test_text_in_its_declared_encoding_and_no_fields_when_it_does_not_parse() -> None:
    latin = "<?xml version='1.0' encoding='ISO-8859-1'?><a b='Ñandú'/>".encode("latin-1")
    assert "Ñandú" in show_cfdi(latin).text
    broken = show_cfdi(b"<a><b></a>")
    assert broken.fields is None and broken.text == "<a><b></a>"
    dtd = show_cfdi(b"<!DOCTYPE a [<!ENTITY x 'y'>]><a>&x;</a>")
    assert dtd.fields is None and "ENTITY" in dtd.text
