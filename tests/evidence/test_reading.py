"""Whole-workbook behaviour: sheets by number and each tab's blocking findings."""

from __future__ import annotations

import io
import zipfile

from evidence.findings import BLOCKING_CODES, Code
from evidence.reading import numbered_sheets, read_workbook
from tests.evidence.fixtures.build import (
    CFDI_PASTED,
    EmbeddedObject,
    SheetSpec,
    build_xlsx,
    workbook_spec,
)
from tests.evidence.workbooks import xlsx_with


def test_sheets_are_matched_by_leading_number() -> None:
    names = ("Portada", " 1-json", "02 Cálculos", "3 Pantallas", "3 Pantallas (2)", "10 Notas", "4")
    assert numbered_sheets(names) == {
        1: " 1-json",
        2: "02 Cálculos",
        3: "3 Pantallas",
        10: "10 Notas",
        4: "4",
    }


def test_renamed_sheets_are_still_read() -> None:
    spec = workbook_spec()
    names = ["1-Respuestas", "2 Cálculos del vendedor", "3 Capturas", "4 XML"]
    renamed = [SheetSpec(n, s.rows, s.images, s.objects) for n, s in zip(names, spec, strict=True)]
    reading = read_workbook(build_xlsx(renamed))
    assert reading.findings == ()


def test_missing_sheets_are_each_reported() -> None:
    spec = workbook_spec()
    reading = read_workbook(build_xlsx([spec[0], SheetSpec("Hoja sin número", [["x"]]), spec[2]]))
    missing = [(f.code, f.tab) for f in reading.findings]
    assert missing == [(Code.WB_SHEET_MISSING, 2), (Code.WB_SHEET_MISSING, 4)]
    assert "«2 Calculos»" in reading.findings[0].message
    assert reading.ilegible
    assert reading.calculations is None
    assert reading.json_tab is not None  # the tabs that are there are still read


def test_sheet_without_zip_is_no_zip_naming_what_was_found() -> None:
    objects = [EmbeddedObject("respuestas.json", b"{}")]
    reading = read_workbook(xlsx_with(1, objects=objects))
    (problem,) = reading.findings
    assert problem.code is Code.T1_NO_ZIP
    assert "respuestas.json" in problem.message
    assert reading.verdict_if_blocked == "ilegible"


def test_zip_without_json_is_invalid() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("leeme.txt", "hola")
        archive.writestr("__MACOSX/._r.json", b"\x00\x05")
    reading = read_workbook(xlsx_with(1, objects=[EmbeddedObject("r.zip", out.getvalue())]))
    assert [f.code for f in reading.findings] == [Code.T1_ZIP_INVALID]


def test_json_that_is_not_an_object_is_invalid_but_not_blocking() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("a.json", "[1, 2]")
        archive.writestr("b.json", '{"v": NaN}')
        archive.writestr("c.json", '\ufeff{"ok": true}'.encode())
    reading = read_workbook(xlsx_with(1, objects=[EmbeddedObject("r.zip", out.getvalue())]))
    assert [f.code for f in reading.findings] == [Code.T1_JSON_INVALID] * 2
    assert reading.json_tab is not None
    assert [d.document for d in reading.json_tab.documents] == [{"ok": True}]
    assert not reading.ilegible


def test_sheet_without_pictures_is_no_image() -> None:
    reading = read_workbook(xlsx_with(3, images=[]))
    assert [f.code for f in reading.findings] == [Code.T3_NO_IMAGE]


def test_sheet_without_cfdi_is_no_cfdi() -> None:
    reading = read_workbook(xlsx_with(4, rows=[["Pegue aquí el XML"]], objects=[]))
    assert [f.code for f in reading.findings] == [Code.T4_NO_CFDI]


def test_malformed_pasted_cfdi_and_non_xml_object_are_invalid() -> None:
    objects = [EmbeddedObject("cfdi.pdf", b"%PDF-1.4")]
    reading = read_workbook(xlsx_with(4, rows=[["CFDI"], ["<cfdi:Comprobante>"]], objects=objects))
    messages = [f.message for f in reading.findings if f.code is Code.T4_XML_INVALID]
    assert len(messages) == 2
    assert "no es un archivo XML" in messages[0]
    assert "mal formado" in messages[1]


def test_pasted_cfdi_declaring_another_encoding_is_kept_as_utf8() -> None:
    latin = CFDI_PASTED.replace('encoding="UTF-8"', "encoding='ISO-8859-1'")
    reading = read_workbook(xlsx_with(4, rows=[["CFDI"], [latin]], objects=[]))
    assert reading.findings == ()
    assert reading.cfdi is not None
    xml = reading.cfdi.documents[0].xml
    assert xml.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    assert "nómina".encode() in xml


def test_blocking_codes_are_those_of_domain_section_nine() -> None:
    assert {code.value for code in BLOCKING_CODES} == {
        "WB-FORMAT",
        "WB-SIZE",
        "WB-SHEET-MISSING",
        "T1-NO-ZIP",
        "T1-ZIP-INVALID",
        "T1-ZIP-LIMIT",
        "T2-UNREADABLE",
        "T3-NO-IMAGE",
        "T4-NO-CFDI",
        "T4-XML-INVALID",
    }
