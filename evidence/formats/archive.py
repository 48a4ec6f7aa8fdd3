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
from collections.abc import Iterator
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


class UnsupportedMember(zipfile.BadZipFile):
    """A member this reader does not open: encrypted, or compressed otherwise than with deflate
    (what Excel and LibreOffice write). Where zipfile would raise NotImplementedError, a zip the
    workbook's reader cannot read is as good as a damaged one."""


class Archive(zipfile.ZipFile):
    """A zip whose bytes are all in memory; :meth:`read_member` is the fast, bounded read."""

    def __init__(self, data: bytes) -> None:
        super().__init__(io.BytesIO(data))
        self._bytes = memoryview(data)

    def read_member(self, info: zipfile.ZipInfo, limit: int) -> bytes:
        """The member's bytes, checked against its declared size and CRC.

        Raises MemberTooLarge when it declares more than ``limit`` bytes, and zipfile.BadZipFile
        (UnsupportedMember among them) or one of INFLATE_ERRORS when it cannot be read.
        Inflation never produces more than the declared size plus one byte, so a bomb costs
        nothing.
        """
        return b"".join(self.stream_member(info, limit, info.file_size + 1))

    def stream_member(self, info: zipfile.ZipInfo, limit: int, chunk: int) -> Iterator[bytes]:
        """The member's bytes in pieces of at most ``chunk`` bytes, never all held at once.

        Raises as :meth:`read_member` does; a size or CRC that differs from the directory is
        raised after the last piece, so a consumer that acts on the pieces as they come must
        wait for the end before trusting what it saw.
        """
        if info.file_size > limit:
            raise MemberTooLarge(info.filename)
        size, crc = 0, 0
        for piece in self._pieces(info, chunk, info.file_size + 1):
            size += len(piece)
            if size > info.file_size:
                break
            crc = zlib_ng.crc32(piece, crc)
            yield piece
        if size != info.file_size or crc != info.CRC:
            raise zipfile.BadZipFile(f"{info.filename}: size or CRC differs from the directory")

    def read_head(self, info: zipfile.ZipInfo, size: int) -> bytes:
        """Up to ``size`` bytes from the start of the member, inflating no further than that."""
        return next(self._pieces(info, size, size), b"")

    def _pieces(self, info: zipfile.ZipInfo, chunk: int, total: int) -> Iterator[bytes]:
        """The member's first ``total`` bytes at most, inflated ``chunk`` bytes at a time."""
        if info.flag_bits & _ENCRYPTED:
            raise UnsupportedMember(f"{info.filename} is encrypted")
        raw = self._raw(info)
        if info.compress_type == zipfile.ZIP_STORED:
            for start in range(0, min(len(raw), total), chunk):
                yield bytes(raw[start : min(start + chunk, total)])
            return
        if info.compress_type != zipfile.ZIP_DEFLATED:
            raise UnsupportedMember(f"{info.filename}: compression {info.compress_type}")
        inflater = zlib_ng.decompressobj(-15)
        pending: bytes | memoryview = raw
        while total and not inflater.eof:
            piece: bytes = inflater.decompress(pending, min(chunk, total))
            if not piece:
                return  # a truncated stream: the caller's size check reports it
            total -= len(piece)
            yield piece
            pending = inflater.unconsumed_tail

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
