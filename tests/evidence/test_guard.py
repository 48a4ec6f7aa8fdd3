"""The guard: same reading as in-process, and a Spanish finding when the budget runs out.

Its readers are this process's own (``evidence.reader_pool`` tests them one failure at a time).
"""

from __future__ import annotations

import dataclasses
import io
import json
import os
import pickle
import struct
import zipfile
from pathlib import Path
from typing import Any

from evidence import guard
from evidence.examination import Examination, examine
from evidence.findings import Code
from evidence.guard import examine_guarded
from evidence.limits import MIB
from evidence.reader_pool import answer_of, load_examination
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
    # A millisecond is less than any reading takes: the answer's round trip alone comes close.
    reading = examine_guarded(fixture("excel_package.xlsx"), timeout_s=0.001).reading
    (problem,) = reading.findings
    assert problem.code is Code.WB_FORMAT
    assert "tiempo máximo (0.001 s)" in problem.message
    assert reading.ilegible
    # The reader that overran was killed; the next upload gets a fresh one.
    data = fixture("excel_package.xlsx")
    assert examine_guarded(data).reading == read_workbook(data)


def test_memory_cap_stops_an_amplifying_workbook() -> None:
    reading = examine_guarded(amplifying_workbook(), timeout_s=30, memory_bytes=300 * MIB).reading
    (problem,) = reading.findings
    assert problem.code is Code.WB_FORMAT
    assert "memoria máxima (300 MiB)" in problem.message


def _calling(module: str, name: str, argument: str) -> bytes:
    """A pickle that calls ``module``'s ``name`` with ``argument``; from protocol 4 on, ``name``
    may be an attribute path."""

    def text(value: str) -> bytes:
        return pickle.SHORT_BINUNICODE + bytes([len(value.encode())]) + value.encode()

    call = text(module) + text(name) + pickle.STACK_GLOBAL + text(argument) + pickle.TUPLE1
    return pickle.PROTO + b"\x04" + call + pickle.REDUCE + pickle.STOP


def _answer(record: Any, files: bytes = b"", *, wide: bool = False) -> bytes:
    """An answer as a reader frames one: ``record`` as JSON, then ``files``; ``wide``: the
    JSON holds integers past 64 bits."""
    text = json.dumps(record).encode()
    return struct.pack(">I?", len(text), wide) + text + files


def _parts(examination: Examination) -> tuple[dict[str, Any], bytes, list[list[int]]]:
    """``examination``'s record without its files, the files one after another, and the
    lengths of the screenshots and of the CFDI."""
    record = examination.to_record()
    screenshots, cfdi = record.pop("screenshots"), record.pop("cfdi")
    lengths = [[len(data) for data in screenshots], [len(data) for data in cfdi]]
    return record, b"".join(screenshots + cfdi), lengths


def test_an_answer_is_data_never_code(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    for hostile in (
        pickle.dumps(os.system),
        _calling("evidence.guard", "os.system", f"touch {marker}"),
        _calling("evidence.reader_pool", "Path.touch", str(marker)),
        b"garbage",
        b"",
        _answer({"not": "an examination"}),
        _answer([1, 2]),
    ):
        assert load_examination(hostile) is None
    assert not marker.exists()
    examination = examine(fixture("excel_raw.xlsx"))
    assert load_examination(pickle.dumps(examination)) is None
    assert load_examination(answer_of(examination)) == examination


def test_an_answer_whose_parts_do_not_fit_is_refused() -> None:
    examination = examine(fixture("excel_raw.xlsx"))
    record, files, lengths = _parts(examination)
    screenshots = examination.reading.contents()[0]
    assert screenshots
    assert load_examination(_answer({**record, "lengths": lengths}, files)) == examination
    for wrong in (
        [[], lengths[1]],  # files left over
        [[n - 1 for n in lengths[0]], lengths[1]],  # files left over, each shrunk
        [[*lengths[0][:-1], lengths[0][-1] + 1], lengths[1]],  # past the end
        [[-1], lengths[1]],
        [["1"], lengths[1]],
        [lengths[0]],
        "1",
    ):
        assert load_examination(_answer({**record, "lengths": wrong}, files)) is None
    assert load_examination(_answer({**record, "lengths": lengths}, files[:-1])) is None
    assert load_examination(_answer({**record, "lengths": lengths}, files + b"x")) is None
    shrunk = [[len(data) - 1 for data in screenshots], lengths[1]]
    trimmed = b"".join(data[:-1] for data in screenshots) + files[sum(lengths[0]) :]
    assert load_examination(_answer({**record, "lengths": shrunk}, trimmed)) is None  # not images
    for field, value in (("check_failed", "no"), ("reading", {})):
        answer = _answer({**record, field: value, "lengths": lengths}, files)
        assert load_examination(answer) is None


def test_integers_past_64_bits_come_back_exactly() -> None:
    record, files, lengths = _parts(examine(fixture("excel_raw.xlsx")))
    # As a reader that had read such a number in a vendor's JSON response would send it.
    record["reading"]["tabs"]["1"]["documents"][0]["document"]["enorme"] = 10**30
    answer = _answer({**record, "lengths": lengths}, files, wide=True)
    rebuilt = load_examination(answer)
    assert rebuilt is not None
    assert rebuilt.reading.to_json()["tabs"]["1"]["documents"][0]["document"]["enorme"] == 10**30


def test_the_parent_stores_what_the_reader_wrote() -> None:
    data = fixture("excel_raw.xlsx")
    examination = examine(data, filename="evidencias.xlsx")
    rebuilt = load_examination(answer_of(examination))
    assert rebuilt is not None
    stored = rebuilt.reading.to_json()
    assert stored == examination.reading.to_json()
    stored["capturas"] = []  # what the caller adds is its own
    assert "capturas" not in rebuilt.reading.to_json()
    # A reading derived from a rebuilt one is described by its own fields.
    renamed = dataclasses.replace(rebuilt.reading, filename="otro.xlsx")
    assert renamed.to_json()["filename"] == "otro.xlsx"


def test_uploads_share_this_processs_reader() -> None:
    guard.warm()
    (reader,) = guard.reader_pids()  # started before the first upload
    for name in ("libreoffice_package.xls", "excel_raw.xlsx"):
        data = fixture(name)
        assert examine_guarded(data, filename=name).reading == read_workbook(data, filename=name)
    assert guard.reader_pids() == [reader]


def test_a_forked_child_examines_with_readers_of_its_own() -> None:
    examine_guarded(fixture("excel_raw.xlsx"))
    parents = guard.reader_pids()
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover (the child reports through the pipe)
        try:
            inherited = guard.reader_pids()
            data = fixture("excel_raw.xlsx")
            same = examine_guarded(data).reading == read_workbook(data)
            os.write(write_end, json.dumps([inherited, same, guard.reader_pids()]).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as reported:
        inherited, same, own = json.loads(reported.read())
    os.waitpid(child, 0)
    assert inherited == []  # the parent's readers are not the child's to use
    assert same is True
    assert own and not set(own) & set(parents)
    assert guard.reader_pids() == parents
