"""Embedded objects: the Ole10Native packager header and unwrapping OLE objects or raw files."""

from __future__ import annotations

import struct

import pytest

from evidence.formats.embedded import EmbeddedUnreadable, parse_ole10native, unwrap_payload
from tests.evidence.fixtures import cfb


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
