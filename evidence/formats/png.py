"""Proof that a PNG's image data decodes, without building its pixels.

Decoding a PNG is inflating its IDAT stream and then unfiltering each scanline. Unfiltering is
arithmetic on bytes that cannot fail once every scanline names one of the five filters, so a
stream that inflates to every scanline the header announces is one any decoder turns into the
whole image. Checking that with zlib-ng takes a quarter of the time Pillow needs to decode
through Debian's zlib 1.2, which was most of what reading a workbook cost. The header itself
(signature, dimensions, pixel limit, modes) is still Pillow's job.

The check is stricter than Pillow's decode where a file is certainly damaged: every chunk's CRC
is verified, so is the zlib checksum of a stream that holds just the image, and a stream that
stops at a row boundary is refused (Pillow leaves the missing rows black).
"""

from __future__ import annotations

import struct

from zlib_ng import zlib_ng

from evidence.formats.archive import INFLATE_ERRORS

_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_CHUNK_HEAD = struct.Struct(">I4s")
_IHDR = struct.Struct(">IIBBBBB")
_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}  # by colour type
_FILTER_TYPES = 5
# Adam7: (first column, first row, column step, row step) of each pass.
_ADAM7 = (
    (0, 0, 8, 8),
    (4, 0, 8, 8),
    (0, 4, 4, 8),
    (2, 0, 4, 4),
    (0, 2, 2, 4),
    (1, 0, 2, 2),
    (0, 1, 1, 2),
)


class PngDamaged(ValueError):
    """The PNG's chunks or image data are broken."""


def _scanlines(
    width: int, height: int, bits_per_pixel: int, interlaced: bool
) -> list[tuple[int, int]]:
    """(count, length) of each run of filtered scanlines, filter byte included."""
    passes = _ADAM7 if interlaced else ((0, 0, 1, 1),)
    runs = []
    for x0, y0, dx, dy in passes:
        columns = max(0, -(-(width - x0) // dx))
        rows = max(0, -(-(height - y0) // dy))
        if columns and rows:
            runs.append((rows, 1 + (columns * bits_per_pixel + 7) // 8))
    return runs


def _image_data(data: bytes) -> tuple[bytes, bytes]:
    """The IHDR payload and the concatenated IDAT payloads, every chunk's CRC checked."""
    if not data.startswith(_SIGNATURE):
        raise PngDamaged("no PNG signature")
    view = memoryview(data)
    header = b""
    idat: list[memoryview] = []
    position, after_idat = len(_SIGNATURE), False
    while position < len(data):
        if position + 12 > len(data):
            raise PngDamaged("truncated chunk header")
        length, kind = _CHUNK_HEAD.unpack_from(data, position)
        end = position + 8 + length
        if end + 4 > len(data):
            raise PngDamaged("truncated chunk")
        if zlib_ng.crc32(view[position + 4 : end]) != int.from_bytes(view[end : end + 4], "big"):
            raise PngDamaged(f"CRC error in {kind!r}")
        payload = view[position + 8 : end]
        if kind == b"IHDR":
            header = bytes(payload)
        elif kind == b"IDAT":
            if after_idat:
                raise PngDamaged("IDAT chunks are not consecutive")
            idat.append(payload)
        elif idat:
            after_idat = True
        if kind == b"IEND":
            break
        position = end + 4
    if len(header) != _IHDR.size or not idat:
        raise PngDamaged("no IHDR or no IDAT")
    return header, b"".join(idat)


def check_png_stream(data: bytes) -> None:
    """Raise PngDamaged unless the image data inflates to every scanline the header announces.

    Callers have already had Pillow open the header, so dimensions and modes are sane.
    """
    header, compressed = _image_data(data)
    width, height, depth, colour, _, _, interlace = _IHDR.unpack(header)
    if colour not in _CHANNELS:
        raise PngDamaged(f"colour type {colour}")
    runs = _scanlines(width, height, depth * _CHANNELS[colour], interlace == 1)
    expected = sum(count * length for count, length in runs)
    if not expected:
        raise PngDamaged("no pixels")
    try:
        # One byte past the image lets zlib reach the end of an exact stream and check its sum;
        # like every decoder, trailing data past the image is ignored.
        raw = zlib_ng.decompressobj().decompress(compressed, expected + 1)
    except INFLATE_ERRORS as exc:
        raise PngDamaged(f"image data: {exc}") from exc
    if len(raw) < expected:
        raise PngDamaged("image data ends early")
    start = 0
    for count, length in runs:
        filters = raw[start : start + count * length : length]
        if max(filters) >= _FILTER_TYPES:
            raise PngDamaged("unknown scanline filter")
        start += count * length
