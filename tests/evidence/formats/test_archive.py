"""Zip members read with zlib-ng: the same bytes zipfile gives, and the same refusals."""

from __future__ import annotations

import io
import os
import struct
import zipfile

import pytest

from evidence.formats.archive import Archive, MemberTooLarge, UnsupportedMember
from evidence.formats.detect import ZIP_ERRORS


def make_zip(members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


MEMBERS = {
    "xl/workbook.xml": b"<workbook/>" * 500,
    "xl/media/image1.png": os.urandom(70_000),
    "vacío.txt": b"",
    "ñandú/datos.json": b'{"a": 1}',
}


@pytest.mark.parametrize("compression", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED])
def test_members_read_as_zipfile_reads_them(compression: int) -> None:
    archive = Archive(make_zip(MEMBERS, compression))
    for info in archive.infolist():
        assert archive.read_member(info, 1 << 20) == archive.read(info) == MEMBERS[info.filename]
        assert archive.read_head(info, 100) == MEMBERS[info.filename][:100]


def test_bytes_before_the_zip_are_allowed_as_zipfile_allows_them() -> None:
    archive = Archive(b"prefix " * 10 + make_zip(MEMBERS))
    assert (
        archive.read_member(archive.getinfo("xl/workbook.xml"), 1 << 20)
        == MEMBERS["xl/workbook.xml"]
    )


def test_a_member_declaring_more_than_the_limit_is_not_inflated() -> None:
    archive = Archive(make_zip({"big.xml": b"a" * 10_000}))
    with pytest.raises(MemberTooLarge):
        archive.read_member(archive.getinfo("big.xml"), 9_999)


def _patch_directory(data: bytes, name: bytes, offset: int, value: int) -> bytes:
    """``data`` with a 4-byte field of ``name``'s central directory entry replaced."""
    entry = data.rindex(b"PK\x01\x02", 0, data.rindex(name))
    return data[: entry + offset] + struct.pack("<I", value) + data[entry + offset + 4 :]


def test_a_member_lying_about_its_size_is_refused_without_inflating_the_rest() -> None:
    # A bomb: 50 MB of zeros that declares 100 bytes. Reading stops at 101 bytes.
    data = make_zip({"bomb.xml": bytes(50_000_000)})
    lying = _patch_directory(data, b"bomb.xml", 24, 100)  # uncompressed size
    archive = Archive(lying)
    with pytest.raises(zipfile.BadZipFile, match="size or CRC"):
        archive.read_member(archive.getinfo("bomb.xml"), 1 << 20)


def test_corrupt_data_is_refused() -> None:
    data = bytearray(make_zip({"a.xml": os.urandom(5_000)}, zipfile.ZIP_STORED))
    data[100] ^= 0xFF  # inside the stored member: only the CRC can tell
    archive = Archive(bytes(data))
    with pytest.raises(zipfile.BadZipFile, match="CRC"):
        archive.read_member(archive.getinfo("a.xml"), 1 << 20)

    deflated = bytearray(make_zip({"a.xml": b"<x/>" * 5_000}))
    deflated[60:70] = b"\xff" * 10
    archive = Archive(bytes(deflated))
    with pytest.raises(ZIP_ERRORS):
        archive.read_member(archive.getinfo("a.xml"), 1 << 20)


def test_truncated_member_and_mismatched_local_header_are_refused() -> None:
    data = make_zip(MEMBERS)
    # The directory claims more compressed bytes than the file holds.
    long = Archive(_patch_directory(data, b"xl/media/image1.png", 20, 10_000_000))
    with pytest.raises(zipfile.BadZipFile, match="truncated"):
        long.read_member(long.getinfo("xl/media/image1.png"), 1 << 20)
    renamed = Archive(data.replace(b"xl/workbook.xml", b"xl/workbooc.xml", 1))
    with pytest.raises(zipfile.BadZipFile, match="local header"):
        renamed.read_member(renamed.getinfo("xl/workbook.xml"), 1 << 20)


def test_encrypted_and_unknown_compression_are_refused_as_a_damaged_zip() -> None:
    data = make_zip({"a.xml": b"<a/>"})
    archive = Archive(data)
    info = archive.getinfo("a.xml")
    info.flag_bits |= 0x1
    with pytest.raises(UnsupportedMember, match="encrypted"):
        archive.read_member(info, 1 << 20)
    lzma = Archive(make_zip({"a.xml": b"<a/>"}, zipfile.ZIP_LZMA))
    with pytest.raises(UnsupportedMember, match="compression"):
        lzma.read_member(lzma.getinfo("a.xml"), 1 << 20)
    assert issubclass(UnsupportedMember, ZIP_ERRORS)


@pytest.mark.parametrize("compression", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED])
@pytest.mark.parametrize("chunk", [1, 999, 1 << 20])
def test_streamed_members_come_in_bounded_pieces_of_the_same_bytes(
    compression: int, chunk: int
) -> None:
    archive = Archive(make_zip(MEMBERS, compression))
    for info in archive.infolist():
        pieces = list(archive.stream_member(info, 1 << 20, chunk))
        assert b"".join(pieces) == MEMBERS[info.filename]
        assert all(0 < len(piece) <= chunk for piece in pieces)


def test_a_streamed_member_is_refused_before_its_first_piece_or_after_its_last() -> None:
    archive = Archive(make_zip({"big.xml": b"a" * 10_000}))
    with pytest.raises(MemberTooLarge):
        next(archive.stream_member(archive.getinfo("big.xml"), 9_999, 100))

    lying = Archive(
        _patch_directory(make_zip({"bomb.xml": bytes(5_000_000)}), b"bomb.xml", 24, 100)
    )
    served = []
    with pytest.raises(zipfile.BadZipFile, match="size or CRC"):
        for piece in lying.stream_member(lying.getinfo("bomb.xml"), 1 << 20, 60):
            served.append(piece)
    assert sum(map(len, served)) <= 100  # never past what the directory declares

    data = bytearray(make_zip({"a.xml": os.urandom(5_000)}, zipfile.ZIP_STORED))
    data[100] ^= 0xFF
    corrupt = Archive(bytes(data))
    with pytest.raises(zipfile.BadZipFile, match="CRC"):
        list(corrupt.stream_member(corrupt.getinfo("a.xml"), 1 << 20, 1_000))
