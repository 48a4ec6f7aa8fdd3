"""Workbook variants for the tests: the committed fixtures, and builders for altered copies."""

from __future__ import annotations

import io
import struct
import zipfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import olefile

from tests.evidence.fixtures.build import build_xlsx, workbook_spec

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def xlsx_with(sheet_number: int, **changes: object) -> bytes:
    """The standard Excel-style workbook with one tab's spec changed (rows, images, objects)."""
    spec = workbook_spec()
    spec[sheet_number - 1] = replace(spec[sheet_number - 1], **changes)  # type: ignore[arg-type]
    return build_xlsx(spec)


def replace_parts(xlsx: bytes, parts: dict[str, bytes]) -> bytes:
    """A copy of ``xlsx`` with some parts replaced or added."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(xlsx)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            if info.filename not in parts:
                target.writestr(info.filename, source.read(info.filename))
        for name, data in parts.items():
            target.writestr(name, data)
    return out.getvalue()


def zip_with_stream(name: str, size: int) -> bytes:
    """A zip whose one entry ``name`` inflates to ``size`` zero bytes (a zip bomb when large)."""
    out = io.BytesIO()
    chunk = bytes(1 << 20)
    with (
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive,
        archive.open(name, "w") as entry,
    ):
        for _ in range(size // len(chunk)):
            entry.write(chunk)
        entry.write(bytes(size % len(chunk)))
    return out.getvalue()


def patch_ole_stream(ole_bytes: bytes, stream: str, transform: Callable[[bytes], bytes]) -> bytes:
    """A copy of a compound file with one stream rewritten in place (same length)."""
    buffer = io.BytesIO(ole_bytes)
    ole = olefile.OleFileIO(buffer, write_mode=True)
    data = ole.openstream(stream).read()
    new = transform(data)
    assert len(new) == len(data)
    ole.write_stream(stream, new)
    ole.close()
    return buffer.getvalue()


def biff_records(stream: bytes) -> list[tuple[int, int, int]]:
    """(offset, type, length) of every record of a BIFF stream."""
    found, pos = [], 0
    while pos + 4 <= len(stream):
        rec_type, length = struct.unpack_from("<HH", stream, pos)
        found.append((pos, rec_type, length))
        pos += 4 + length
    return found
