"""The PNG image-data check: whatever it passes, Pillow decodes in full.

It is stricter than Pillow where a file is certainly damaged: Pillow takes a zlib stream that ends
on a row boundary as the end of the image and leaves the missing rows black.

PNGs are written here byte by byte, interlaced ones included (Pillow cannot write those), so the
scanline stream can be damaged in exactly the ways a decoder notices.
"""

from __future__ import annotations

import io
import random
import struct
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from evidence.formats.images import ImageRejected, decode_image
from evidence.formats.png import _ADAM7, PngDamaged, check_png_stream

# (colour type, bit depth, channels) of every combination the PNG specification allows.
KINDS = [
    (0, 1, 1), (0, 2, 1), (0, 4, 1), (0, 8, 1), (0, 16, 1),
    (2, 8, 3), (2, 16, 3),
    (3, 1, 1), (3, 2, 1), (3, 4, 1), (3, 8, 1),
    (4, 8, 2), (4, 16, 2),
    (6, 8, 4), (6, 16, 4),
]  # fmt: skip


def chunk(kind: bytes, payload: bytes) -> bytes:
    return (
        struct.pack(">I", len(payload))
        + kind
        + payload
        + struct.pack(">I", zlib.crc32(kind + payload))
    )


def scanlines(width: int, height: int, bits: int, interlaced: bool, rng: random.Random) -> bytes:
    """A valid filtered stream: any bytes after a known filter type are pixels."""
    out = bytearray()
    for x0, y0, dx, dy in _ADAM7 if interlaced else ((0, 0, 1, 1),):
        columns, rows = max(0, -(-(width - x0) // dx)), max(0, -(-(height - y0) // dy))
        if not (columns and rows):
            continue
        for _ in range(rows):
            out.append(rng.randrange(5))
            out += rng.randbytes((columns * bits + 7) // 8)
    return bytes(out)


def png(
    width: int,
    height: int,
    kind: tuple[int, int, int],
    interlaced: bool,
    stream: bytes,
    *,
    idat_parts: int = 1,
) -> bytes:
    colour, depth, _ = kind
    header = struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, int(interlaced))
    body = chunk(b"IHDR", header)
    if colour == 3:
        body += chunk(b"PLTE", bytes(range(256)) * 3)
    compressed = zlib.compress(stream)
    step = -(-len(compressed) // idat_parts)
    for start in range(0, len(compressed), step):
        body += chunk(b"IDAT", compressed[start : start + step])
    return b"\x89PNG\r\n\x1a\n" + body + chunk(b"IEND", b"")


def pillow_decodes(data: bytes) -> bool:
    try:
        with Image.open(io.BytesIO(data), formats=["PNG"]) as image:
            image.load()
    except (OSError, SyntaxError, ValueError, EOFError):
        return False
    return True


def check_passes(data: bytes) -> bool:
    try:
        check_png_stream(data)
    except PngDamaged:
        return False
    return True


MUTATIONS = ["none", "short", "bad-filter", "trailing", "cut-file"]


@settings(max_examples=300, deadline=None)
@given(
    width=st.integers(1, 40),
    height=st.integers(1, 40),
    kind=st.sampled_from(KINDS),
    interlaced=st.booleans(),
    idat_parts=st.integers(1, 3),
    mutation=st.sampled_from(MUTATIONS),
    seed=st.integers(0, 2**32),
)
def test_what_the_check_passes_pillow_decodes_in_full(
    width: int,
    height: int,
    kind: tuple[int, int, int],
    interlaced: bool,
    idat_parts: int,
    mutation: str,
    seed: int,
) -> None:
    rng = random.Random(seed)
    if mutation == "cut-file":
        # Large enough that a cut early in the data certainly leaves pixels out: a decoder that
        # already has every pixel may ignore a missing tail, and the check does not.
        width, height = max(width, 8), max(height, 8)
    bits = kind[1] * kind[2]
    stream = scanlines(width, height, bits, interlaced, rng)
    if mutation == "short":
        stream = stream[: rng.randrange(len(stream))]
    elif mutation == "bad-filter":
        line = 1 + (width * bits + 7) // 8
        rows = height if not interlaced else 1  # the first pass starts at offset 0 either way
        position = 0 if interlaced else line * rng.randrange(rows)
        stream = stream[:position] + bytes([rng.randrange(5, 256)]) + stream[position + 1 :]
    elif mutation == "trailing":
        stream += rng.randbytes(rng.randrange(1, 50))
    data = png(width, height, kind, interlaced, stream, idat_parts=idat_parts)
    if mutation == "cut-file":
        idat = data.index(b"IDAT")
        (length,) = struct.unpack(">I", data[idat - 4 : idat])
        data = data[: idat + 4 + rng.randrange(max(1, length // 4))]
    passes = check_passes(data)
    assert passes == (mutation in ("none", "trailing"))
    if passes:
        assert pillow_decodes(data)


def test_screenshots_from_pillow_pass_in_every_mode() -> None:
    for mode in ("1", "L", "P", "RGB", "RGBA", "LA", "I;16"):
        out = io.BytesIO()
        Image.effect_noise((97, 61), 40).convert(mode).save(out, "PNG")
        check_png_stream(out.getvalue())


def test_missing_rows_are_refused() -> None:
    stream = scanlines(40, 40, 24, False, random.Random(5))
    with pytest.raises(PngDamaged, match="ends early"):
        check_png_stream(png(40, 40, (2, 8, 3), False, stream[: len(stream) // 2 // 121 * 121]))


def test_damage_a_decoder_skips_is_still_refused() -> None:
    """Chunk CRCs and the zlib stream's own sum are checked."""
    good = png(16, 16, (2, 8, 3), False, scanlines(16, 16, 24, False, random.Random(1)))
    idat = good.index(b"IDAT")
    flipped = bytearray(good)
    flipped[idat + 20] ^= 0x01
    with pytest.raises(PngDamaged, match="CRC"):
        check_png_stream(bytes(flipped))
    # A changed checksum with every CRC recomputed: only the zlib stream's own sum can tell.
    stream = scanlines(16, 16, 24, False, random.Random(2))
    compressed = bytearray(zlib.compress(stream))
    compressed[-1] ^= 0x01
    header = struct.pack(">IIBBBBB", 16, 16, 8, 2, 0, 0, 0)
    data = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", bytes(compressed))
        + chunk(b"IEND", b"")
    )
    with pytest.raises(PngDamaged, match="image data"):
        check_png_stream(data)


def test_structure_errors() -> None:
    stream = scanlines(8, 8, 8, False, random.Random(3))
    header = chunk(b"IHDR", struct.pack(">IIBBBBB", 8, 8, 8, 0, 0, 0, 0))
    compressed = zlib.compress(stream)
    split = (
        chunk(b"IDAT", compressed[:10]) + chunk(b"tEXt", b"a\0b") + chunk(b"IDAT", compressed[10:])
    )
    signature = b"\x89PNG\r\n\x1a\n"
    with pytest.raises(PngDamaged, match="consecutive"):
        check_png_stream(signature + header + split + chunk(b"IEND", b""))
    with pytest.raises(PngDamaged, match="no IHDR or no IDAT"):
        check_png_stream(signature + header + chunk(b"IEND", b""))
    with pytest.raises(PngDamaged, match="signature"):
        check_png_stream(b"GIF89a" + header)


def test_decode_image_reports_a_damaged_png_in_spanish() -> None:
    data = png(20, 20, (0, 8, 1), True, scanlines(20, 20, 8, True, random.Random(4))[:-30])
    with pytest.raises(ImageRejected, match="dañada o incompleta"):
        decode_image("captura.png", data)
