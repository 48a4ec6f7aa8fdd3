"""The guard: same reading as in-process, and a Spanish finding when the budget runs out."""

from __future__ import annotations

import io
import os
import pickle
import zipfile

from evidence.examination import Examination
from evidence.findings import Code
from evidence.guard import examine_guarded, load_examination
from evidence.limits import MIB
from evidence.reading import read_workbook
from tests.evidence.workbooks import fixture, replace_parts

SHARED_STRINGS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"


def amplifying_workbook() -> bytes:
    """Sheet 2 repeats one 32 000-character shared string in 100 000 cells: ~3 GB once read.

    Every cell is inside the grid limits and every part is small, so only the guard's memory cap
    stands between this file and the worker.
    """
    base = fixture("excel_package.xlsx")
    row = "<row>" + '<c t="s"><v>0</v></c>' * 10 + "</row>"
    sheet = (
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        + row * 10_000
        + "</sheetData></worksheet>"
    )
    strings = (
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" '
        f'uniqueCount="1"><si><t>{"x" * 32_000}</t></si></sst>'
    )
    with zipfile.ZipFile(io.BytesIO(base)) as archive:
        rels = archive.read("xl/_rels/workbook.xml.rels").decode()
        types = archive.read("[Content_Types].xml").decode()
    rels = rels.replace(
        "</Relationships>",
        f'<Relationship Id="rIdSst" Type="{SHARED_STRINGS}" Target="sharedStrings.xml"/>'
        "</Relationships>",
    )
    types = types.replace(
        "</Types>",
        '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
    )
    return replace_parts(
        base,
        {
            "xl/worksheets/sheet2.xml": sheet.encode(),
            "xl/sharedStrings.xml": strings.encode(),
            "xl/_rels/workbook.xml.rels": rels.encode(),
            "[Content_Types].xml": types.encode(),
        },
    )


def test_guarded_reading_equals_the_in_process_one() -> None:
    for name in ("libreoffice_package.xls", "excel_raw.xlsx"):
        data = fixture(name)
        assert examine_guarded(data, filename=name).reading == read_workbook(data, filename=name)


def test_deadline_is_a_spanish_format_finding() -> None:
    reading = examine_guarded(fixture("excel_package.xlsx"), timeout_s=0.05).reading
    (problem,) = reading.findings
    assert problem.code is Code.WB_FORMAT
    assert "tiempo máximo (0.05 s)" in problem.message
    assert reading.ilegible


def test_memory_cap_stops_an_amplifying_workbook() -> None:
    reading = examine_guarded(amplifying_workbook(), timeout_s=30, memory_bytes=300 * MIB).reading
    (problem,) = reading.findings
    assert problem.code is Code.WB_FORMAT
    assert "memoria máxima (300 MiB)" in problem.message


def test_only_examination_types_are_unpickled() -> None:
    assert load_examination(pickle.dumps(os.system)) is None
    assert load_examination(pickle.dumps({"not": "an examination"})) is None
    assert load_examination(b"garbage") is None
    reading = read_workbook(fixture("excel_raw.xlsx"))
    assert load_examination(pickle.dumps(reading)) is None  # a bare reading is not the answer
    examination = Examination(reading)
    assert load_examination(pickle.dumps(examination)) == examination
