"""Hostile and broken uploads: each gives a clear finding, never a crash, within 10 s and 300 MB.

The budget is enforced, not just hoped for: every file is read through the guard with a 10 s
deadline and a 300 MiB address-space cap, so a reading that overran either would come back as the
guard's own finding instead of the one asserted here. Large inputs are generated on the fly.
"""

from __future__ import annotations

import io
import os
import struct
import time
import zipfile
import zlib

import pytest

from evidence.findings import Code
from evidence.guard import examine_guarded
from evidence.limits import MIB, WORKBOOK_MAX_BYTES
from evidence.reading import WorkbookReading
from tests.evidence.fixtures import cfb
from tests.evidence.fixtures.build import CFDI_PASTED, EmbeddedObject, screenshot
from tests.evidence.workbooks import (
    biff_records,
    fixture,
    patch_ole_stream,
    replace_parts,
    xlsx_with,
    zip_with_stream,
)

BUDGET_S = 10.0
BUDGET_BYTES = 300 * MIB


def read_within_budget(data: bytes, filename: str = "evidencias.xlsx") -> WorkbookReading:
    start = time.monotonic()
    reading = examine_guarded(
        data, filename=filename, timeout_s=BUDGET_S, memory_bytes=BUDGET_BYTES
    ).reading
    assert time.monotonic() - start < BUDGET_S
    return reading


def codes(reading: WorkbookReading) -> set[str]:
    return {f.code.value for f in reading.findings}


def only(reading: WorkbookReading, code: Code) -> str:
    """The message of the single finding with ``code``."""
    messages = [f.message for f in reading.findings if f.code is code]
    assert len(messages) == 1, reading.findings
    return messages[0]


# --- the file itself ---------------------------------------------------------------------------


def test_one_byte_over_five_mib_is_refused_by_size() -> None:
    reading = read_within_budget(b"PK\x03\x04" + bytes(WORKBOOK_MAX_BYTES - 3))
    assert codes(reading) == {"WB-SIZE"}
    assert reading.ilegible
    assert reading.verdict_if_blocked == "ilegible"


def test_exactly_five_mib_is_not_refused_by_size() -> None:
    reading = read_within_budget(b"PK\x03\x04" + bytes(WORKBOOK_MAX_BYTES - 4))
    assert "WB-SIZE" not in codes(reading)


def test_pdf_named_xls_is_a_format_finding() -> None:
    reading = read_within_budget(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "evidencias.xls")
    assert "un PDF" in only(reading, Code.WB_FORMAT)
    assert "«evidencias.xls»" in only(reading, Code.WB_FORMAT)


@pytest.mark.parametrize(
    ("content", "described"),
    [
        (b"<html><body><table><tr><td>1</td></tr></table></body></html>", "HTML"),
        (
            b'<?xml version="1.0"?><Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet">',
            "XML de Excel 2003",
        ),
        (b"Caso,NSS,Total\nE01,12345678901,10.00\n", "otro tipo"),
    ],
)
def test_html_and_xml_xls_are_format_findings(content: bytes, described: str) -> None:
    reading = read_within_budget(content, "evidencias.xls")
    assert described in only(reading, Code.WB_FORMAT)


def test_xlsb_is_a_format_finding() -> None:
    xlsb = io.BytesIO()
    with zipfile.ZipFile(xlsb, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(
            "_rels/.rels",
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Target="xl/workbook.bin" Type="http://schemas.openxmlformats'
            '.org/officeDocument/2006/relationships/officeDocument"/></Relationships>',
        )
        archive.writestr("xl/workbook.bin", b"\x83\x01\x00")
    assert ".xlsb" in only(read_within_budget(xlsb.getvalue()), Code.WB_FORMAT)


def test_encrypted_office_workbook_is_a_format_finding() -> None:
    encrypted = cfb.write_cfb(
        {"EncryptionInfo": b"\x04\x00\x04\x00" + bytes(200), "EncryptedPackage": bytes(5000)}
    )
    assert "contraseña" in only(read_within_budget(encrypted), Code.WB_FORMAT)


def test_rc4_encrypted_xls_is_a_format_finding() -> None:
    def add_filepass(stream: bytes) -> bytes:
        # Turn the first record after BOF into FILEPASS, as BIFF8 encryption places it.
        offset = biff_records(stream)[1][0]
        return stream[:offset] + struct.pack("<H", 0x002F) + stream[offset + 2 :]

    xls = patch_ole_stream(fixture("libreoffice_package.xls"), "Workbook", add_filepass)
    assert "contraseña" in only(read_within_budget(xls, "evidencias.xls"), Code.WB_FORMAT)


@pytest.mark.parametrize("name", ["libreoffice_package.xls", "excel_package.xlsx"])
@pytest.mark.parametrize("fraction", [0.05, 0.5, 0.97])
def test_truncated_workbook_is_a_finding(name: str, fraction: float) -> None:
    data = fixture(name)
    reading = read_within_budget(data[: int(len(data) * fraction)], name)
    assert reading.ilegible
    assert "WB-FORMAT" in codes(reading)


# --- the xlsx container ----------------------------------------------------------------------


def test_zip_bomb_inside_the_xlsx_is_a_size_finding() -> None:
    bomb = zip_with_stream("xl/media/bomba.bin", 64 * MIB)
    with zipfile.ZipFile(io.BytesIO(bomb)) as archive:
        part = archive.read("xl/media/bomba.bin")
    assert len(part) == 64 * MIB
    xlsx = replace_parts(fixture("excel_package.xlsx"), {"xl/media/bomba.bin": part})
    assert len(xlsx) < WORKBOOK_MAX_BYTES
    assert "bomba zip" in only(read_within_budget(xlsx), Code.WB_SIZE)


BILLION_LAUGHS_DTD = (
    '<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
        for i in range(1, 10)
    )
    + "]>"
)


def test_billion_laughs_shared_strings_is_refused_before_parsing() -> None:
    shared = (
        f'<?xml version="1.0"?>{BILLION_LAUGHS_DTD}<sst xmlns="http://schemas.openxmlformats.org/'
        'spreadsheetml/2006/main" count="1" uniqueCount="1"><si><t>&lol9;</t></si></sst>'
    ).encode()
    xlsx = replace_parts(fixture("libreoffice_package.xlsx"), {"xl/sharedStrings.xml": shared})
    message = only(read_within_budget(xlsx), Code.WB_FORMAT)
    assert "xl/sharedStrings.xml" in message
    assert "DTD" in message


def _sheet_xml(rows: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
        f'spreadsheetml/2006/main"><sheetData>{rows}</sheetData></worksheet>'
    ).encode()


def test_sheet_with_a_million_rows_stops_at_the_row_cap() -> None:
    rows = "<row><c><v>1</v></c></row>" * 1_000_000
    xlsx = replace_parts(
        fixture("excel_package.xlsx"), {"xl/worksheets/sheet2.xml": _sheet_xml(rows)}
    )
    assert len(xlsx) < WORKBOOK_MAX_BYTES
    reading = read_within_budget(xlsx)
    message = only(reading, Code.WB_SIZE)
    assert "«2 Calculos»" in message
    assert "10,000 filas" in message
    # The other tabs are still read and reported.
    assert reading.json_tab is not None
    assert len(reading.json_tab.documents) == 2
    assert reading.cfdi is not None
    assert len(reading.cfdi.documents) == 2


def test_sparse_cells_spanning_the_grid_are_refused_before_calamine() -> None:
    # calamine would allocate the whole A1:XFD1048576 rectangle (hundreds of GiB) for this sheet.
    rows = (
        '<row r="1"><c r="A1"><v>1</v></c></row>'
        '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'
    )
    xlsx = replace_parts(
        fixture("excel_package.xlsx"), {"xl/worksheets/sheet4.xml": _sheet_xml(rows)}
    )
    assert "«4 CFDI»" in only(read_within_budget(xlsx), Code.WB_SIZE)


def test_xls_with_a_cell_at_the_grid_corner_is_refused_before_calamine() -> None:
    def move_last_text_cell(stream: bytes) -> bytes:
        # calamine reads every sheet when it opens a BIFF workbook and allocates its whole range.
        offset = [pos for pos, kind, _ in biff_records(stream) if kind == 0x00FD][-1]  # LABELSST
        return stream[: offset + 4] + struct.pack("<HH", 65535, 255) + stream[offset + 8 :]

    xls = patch_ole_stream(fixture("libreoffice_package.xls"), "Workbook", move_last_text_cell)
    reading = read_within_budget(xls, "evidencias.xls")
    assert "WB-SIZE" in codes(reading)


# --- tab 1: the zip of JSON responses ---------------------------------------------------------


def _tab1(zip_bytes: bytes) -> WorkbookReading:
    return read_within_budget(xlsx_with(1, objects=[EmbeddedObject("respuestas.zip", zip_bytes)]))


def _zip(entries: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return out.getvalue()


def test_zip_bomb_in_tab_one_is_a_limit_finding() -> None:
    reading = _tab1(zip_with_stream("respuesta.json", 40 * MIB))
    messages = [f.message for f in reading.findings if f.code is Code.T1_ZIP_LIMIT]
    assert any("20 MiB" in m for m in messages)
    assert any("100:1" in m for m in messages)
    assert reading.ilegible


def test_zip_with_too_many_entries_is_a_limit_finding() -> None:
    reading = _tab1(_zip({f"r{i}.json": b"{}" for i in range(501)}))
    assert "501 entradas" in only(reading, Code.T1_ZIP_LIMIT)


def test_json_over_two_mib_is_a_limit_finding() -> None:
    document = b'{"relleno": "' + os.urandom(MIB).hex().encode() + b'"}'
    assert "2 MiB" in only(_tab1(_zip({"grande.json": document})), Code.T1_ZIP_LIMIT)


@pytest.mark.parametrize(
    "path", ["../../etc/cron.d/x.json", "/etc/passwd.json", "C:\\x.json", "a/../../b.json"]
)
def test_traversal_and_absolute_paths_are_limit_findings(path: str) -> None:
    reading = _tab1(_zip({"ok.json": b"{}", path: b"{}"}))
    assert path in only(reading, Code.T1_ZIP_LIMIT)
    assert reading.json_tab is not None
    assert reading.json_tab.documents == ()


def test_entry_that_inflates_past_its_declared_size_is_invalid() -> None:
    honest = _zip({"r.json": b'{"a": "' + b"x" * 100_000 + b'"}'})
    # Shrink the declared size in the central directory: reading stops there and the CRC fails.
    directory = honest.index(b"PK\x01\x02")
    lying = bytearray(honest)
    struct.pack_into("<I", lying, directory + 24, 10)
    assert "dañada" in only(_tab1(bytes(lying)), Code.T1_ZIP_INVALID)


def test_broken_zip_is_invalid() -> None:
    assert "no es un zip válido" in only(_tab1(b"PK\x03\x04" + bytes(100)), Code.T1_ZIP_INVALID)


def test_deeply_nested_json_is_invalid_json_not_a_crash() -> None:
    reading = _tab1(_zip({"ok.json": b"{}", "hondo.json": b"[" * 5_000 + b"]" * 5_000}))
    assert "hondo.json" in only(reading, Code.T1_JSON_INVALID)
    assert not reading.ilegible  # invalid JSON is a content finding, not a blocking one


# --- tab 3: screenshots -------------------------------------------------------------------------


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def decompression_bomb_png(side: int = 40_000) -> bytes:
    """A 1-bit PNG of side × side pixels (1.6 gigapixels) that is a few hundred KiB on disk."""
    compressor = zlib.compressobj(9)
    row = bytes(1 + side // 8)
    chunks = [compressor.compress(row * 1000) for _ in range(side // 1000)]
    chunks.append(compressor.flush())
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", b"".join(chunks))
        + _png_chunk(b"IEND", b"")
    )


def test_decompression_bomb_png_is_refused_from_its_header() -> None:
    bomb = decompression_bomb_png()
    assert len(bomb) < 1 * MIB
    # Placed by swapping the picture's bytes: the builder itself would refuse to open the bomb.
    xlsx = replace_parts(xlsx_with(3, images=[screenshot("png")]), {"xl/media/image1.png": bomb})
    reading = read_within_budget(xlsx)
    assert "40 megapíxeles" in only(reading, Code.T3_IMAGE_INVALID)
    assert "T3-NO-IMAGE" in codes(reading)
    assert reading.ilegible


def test_bad_image_beside_a_good_one_does_not_block() -> None:
    broken = screenshot("png")[:200]
    reading = read_within_budget(xlsx_with(3, images=[broken, screenshot("jpeg")]))
    assert "dañada" in only(reading, Code.T3_IMAGE_INVALID)
    assert reading.screenshots is not None
    assert [image.format for image in reading.screenshots.images] == ["jpeg"]
    assert not reading.ilegible


# --- tab 4: CFDI ------------------------------------------------------------------------------

BILLION_LAUGHS_CFDI = (
    f'<?xml version="1.0"?>{BILLION_LAUGHS_DTD}'
    '<cfdi:Comprobante xmlns:cfdi="http://www.sat.gob.mx/cfd/4">&lol9;</cfdi:Comprobante>'
)
EXTERNAL_ENTITY_CFDI = (
    '<?xml version="1.0"?><!DOCTYPE c [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    '<cfdi:Comprobante xmlns:cfdi="http://www.sat.gob.mx/cfd/4">&xxe;</cfdi:Comprobante>'
)


@pytest.mark.parametrize("xml", [BILLION_LAUGHS_CFDI, EXTERNAL_ENTITY_CFDI], ids=["laughs", "xxe"])
def test_hostile_cfdi_pasted_in_a_cell_is_invalid_xml(xml: str) -> None:
    reading = read_within_budget(xlsx_with(4, rows=[["CFDI"], [xml]], objects=[]))
    message = only(reading, Code.T4_XML_INVALID)
    assert "celda A2" in message
    assert "DTD" in message
    assert "root:" not in message


@pytest.mark.parametrize("xml", [BILLION_LAUGHS_CFDI, EXTERNAL_ENTITY_CFDI], ids=["laughs", "xxe"])
def test_hostile_cfdi_embedded_as_a_file_is_invalid_xml(xml: str) -> None:
    embedded = [EmbeddedObject("cfdi.xml", xml.encode())]
    reading = read_within_budget(xlsx_with(4, rows=[["CFDI"], [CFDI_PASTED]], objects=embedded))
    assert "El CFDI del objeto «cfdi.xml»" in only(reading, Code.T4_XML_INVALID)
    assert reading.cfdi is not None
    assert len(reading.cfdi.documents) == 1


def test_cfdi_over_one_mib_is_invalid() -> None:
    big = CFDI_PASTED.replace("</cfdi:Comprobante>", "<!--" + "x" * MIB + "--></cfdi:Comprobante>")
    embedded = [EmbeddedObject("grande.xml", big.encode())]
    reading = read_within_budget(xlsx_with(4, rows=[["CFDI"]], objects=embedded))
    assert "1 MiB" in only(reading, Code.T4_XML_INVALID)
