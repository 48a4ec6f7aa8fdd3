"""Zip archives held in memory, their members inflated with zlib-ng.

``zipfile`` inflates through the interpreter's ``zlib`` module, which on Debian is zlib 1.2 and
spends about three times as long on a deflate stream as zlib-ng does. A workbook is mostly
deflated screenshots, so inflation is the largest part of reading one. ``zipfile`` still parses
the directory; only reading a member's bytes is done here, with the same checks it makes.
"""

from __future__ import annotations

import io
import struct
import zipfile
from typing import cast

from zlib_ng import zlib_ng

# Signature, then the 22 bytes up to the lengths of the member's name and extra field.
_LOCAL_HEADER = struct.Struct("<4s22xHH")
_LOCAL_SIGNATURE = b"PK\x03\x04"
_ENCRYPTED = 0x1
_UTF8_NAME = 0x800

# What inflating a damaged member can raise besides zipfile's own errors. (zlib-ng's stub declares
# ``error`` as an instance, not a class.)
INFLATE_ERRORS: tuple[type[Exception], ...] = (cast(type[Exception], zlib_ng.error),)


class MemberTooLarge(Exception):
    """The member declares more bytes than the caller accepts."""


class Archive(zipfile.ZipFile):
    """A zip whose bytes are all in memory; :meth:`read_member` is the fast, bounded read."""

    def __init__(self, data: bytes) -> None:
        super().__init__(io.BytesIO(data))
        self._bytes = memoryview(data)

    def read_member(self, info: zipfile.ZipInfo, limit: int) -> bytes:
        """The member's bytes, checked against its declared size and CRC.

        Raises MemberTooLarge when it declares more than ``limit`` bytes, and zipfile.BadZipFile,
        NotImplementedError or one of INFLATE_ERRORS when it cannot be read. Inflation never
        produces more than the declared size plus one byte, so a bomb costs nothing.
        """
        if info.file_size > limit:
            raise MemberTooLarge(info.filename)
        data = self._inflate(info, info.file_size + 1)
        if len(data) != info.file_size or zlib_ng.crc32(data) != info.CRC:
            raise zipfile.BadZipFile(f"{info.filename}: size or CRC differs from the directory")
        return data

    def read_head(self, info: zipfile.ZipInfo, size: int) -> bytes:
        """Up to ``size`` bytes from the start of the member, inflating no further than that."""
        return self._inflate(info, size)

    def _inflate(self, info: zipfile.ZipInfo, max_length: int) -> bytes:
        if info.flag_bits & _ENCRYPTED:
            raise NotImplementedError(f"{info.filename} is encrypted")
        raw = self._raw(info)
        if info.compress_type == zipfile.ZIP_STORED:
            return bytes(raw[:max_length])
        if info.compress_type == zipfile.ZIP_DEFLATED:
            data: bytes = zlib_ng.decompressobj(-15).decompress(raw, max_length)
            return data
        raise NotImplementedError(f"{info.filename}: compression {info.compress_type}")

    def _raw(self, info: zipfile.ZipInfo) -> memoryview:
        start = info.header_offset
        end_of_header = start + _LOCAL_HEADER.size
        if start < 0 or end_of_header > len(self._bytes):
            raise zipfile.BadZipFile(f"{info.filename}: local header out of the file")
        signature, name_length, extra_length = _LOCAL_HEADER.unpack_from(self._bytes, start)
        name = bytes(self._bytes[end_of_header : end_of_header + name_length])
        encoding = "utf-8" if info.flag_bits & _UTF8_NAME else "cp437"
        if signature != _LOCAL_SIGNATURE or name.decode(encoding, "replace") != info.orig_filename:
            raise zipfile.BadZipFile(f"{info.filename}: local header does not match the directory")
        begin = end_of_header + name_length + extra_length
        raw = self._bytes[begin : begin + info.compress_size]
        if len(raw) != info.compress_size:
            raise zipfile.BadZipFile(f"{info.filename}: truncated")
        return raw
