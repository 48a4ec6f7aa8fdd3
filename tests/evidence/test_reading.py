"""Whole-workbook behaviour: sheets by number, each tab's blocking findings, the pieces below."""

from __future__ import annotations

import io
import struct
import zipfile

import pytest
from PIL import Image

from evidence.embedded import EmbeddedUnreadable, parse_ole10native, unwrap_payload
from evidence.findings import BLOCKING_CODES, Code
from evidence.images import ImageRejected, decode_image, thumbnail
from evidence.reading import numbered_sheets, read_workbook
from evidence.safexml import XmlRejected, check_prolog, parse_xml, text_to_xml_bytes
from tests.evidence.fixtures import cfb
from tests.evidence.fixtures.build import (
    CFDI_PASTED,
    EmbeddedObject,
    SheetSpec,
    build_xlsx,
    screenshot,
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


# --- pieces -------------------------------------------------------------------------------------


def test_prolog_check_skips_comments_and_instructions_but_refuses_a_dtd() -> None:
    check_prolog(
        b'\xef\xbb\xbf<?xml version="1.0"?>\n<!-- <!DOCTYPE in a comment> --><a/>', complete=True
    )
    with pytest.raises(XmlRejected):
        check_prolog(b"<?xml version='1.0'?><!-- c --><!DOCTYPE a><a/>", complete=True)
    with pytest.raises(XmlRejected):
        check_prolog(
            '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE a><a/>'.encode("utf-16"),
            complete=True,
        )
    with pytest.raises(XmlRejected, match="prólogo"):
        check_prolog(b"<!--" + b"x" * 100, complete=False)


def test_parse_xml_rejects_entities_and_malformed_documents() -> None:
    assert parse_xml(b"<a><b/></a>").tag == "a"
    with pytest.raises(XmlRejected, match="mal formado"):
        parse_xml(b"<a>&undefined;</a>")
    with pytest.raises(XmlRejected, match="DTD"):
        parse_xml(b'<!DOCTYPE a [<!ENTITY e SYSTEM "http://example.invalid/x">]><a>&e;</a>')


def test_text_to_xml_bytes_rewrites_the_declared_encoding() -> None:
    assert text_to_xml_bytes("\ufeff <?xml version='1.0' encoding='latin-1'?><a>ñ</a>") == (
        "<?xml version='1.0' encoding=\"UTF-8\"?><a>ñ</a>".encode()
    )
    assert text_to_xml_bytes("<a/>") == b"<a/>"


def test_ole10native_packager_and_bare_layouts() -> None:
    packaged = cfb.ole10native("C:\\Users\\v\\respuestas.zip", b"PK\x05\x06" + bytes(18))
    assert parse_ole10native(packaged) == ("respuestas.zip", b"PK\x05\x06" + bytes(18))
    bare = struct.pack("<I", 5) + b"hello"
    assert parse_ole10native(bare) == (None, b"hello")
    with pytest.raises(EmbeddedUnreadable):
        parse_ole10native(b"\x01")


def test_unwrap_payload_opens_ole_objects_and_passes_raw_files_through() -> None:
    assert unwrap_payload(cfb.package_object("a.xml", b"<a/>"), "oleObject1.bin").label == "a.xml"
    assert unwrap_payload(b"<a/>", "a.xml").data == b"<a/>"
    office = cfb.write_cfb({"Package": b"PK\x03\x04docx"})
    assert unwrap_payload(office, "x.bin").data == b"PK\x03\x04docx"
    with pytest.raises(EmbeddedUnreadable, match="no contiene un archivo"):
        unwrap_payload(cfb.write_cfb({"Workbook": b"\x09\x08"}), "x.bin")
    with pytest.raises(EmbeddedUnreadable, match="dañado"):
        unwrap_payload(cfb.package_object("a", b"x")[:600], "x.bin")


def test_decode_image_refuses_other_formats() -> None:
    gif = io.BytesIO()
    Image.new("RGB", (4, 4)).save(gif, "GIF")
    with pytest.raises(ImageRejected, match="PNG ni JPEG"):
        decode_image("a.gif", gif.getvalue())


@pytest.mark.parametrize("kind", ["png", "jpeg"])
def test_thumbnail_keeps_format_and_fits_the_box(kind: str) -> None:
    small = thumbnail(screenshot(kind, (640, 400)), 100)
    image = decode_image("t", small)
    assert image.format == kind
    assert (image.width, image.height) == (100, 63)  # 640×400 scaled to fit 100 px
