"""Screenshots: decoded and verified with Pillow, within the 40-megapixel limit (DOMAIN §8).

Only the PNG and JPEG decoders are ever offered the bytes, and the pixel count is read from the
header before any pixel is decoded, so a decompression bomb is refused without being expanded.
A PNG's image data is then proved decodable by :mod:`evidence.formats.png`; a JPEG is decoded.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from typing import Literal

from PIL import Image, UnidentifiedImageError

from evidence.formats.png import check_png_stream
from evidence.limits import IMAGE_MAX_PIXELS

ImageFormat = Literal["png", "jpeg"]
_DECODERS = ("PNG", "JPEG")


class ImageRejected(Exception):
    """The bytes are not an acceptable screenshot; the message is Spanish."""


@dataclass(frozen=True)
class DecodedImage:
    name: str
    format: ImageFormat
    width: int
    height: int
    data: bytes


def _open(data: bytes) -> Image.Image:
    if not data:
        raise ImageRejected("la imagen no tiene contenido o no es PNG ni JPEG")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=_DECODERS)
    except UnidentifiedImageError as exc:
        raise ImageRejected("la imagen no es PNG ni JPEG") from exc
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _too_large() from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise ImageRejected("la imagen está dañada") from exc
    width, height = image.size
    if width * height > IMAGE_MAX_PIXELS:
        image.close()
        raise _too_large(width, height)
    return image


def _too_large(width: int = 0, height: int = 0) -> ImageRejected:
    size = f" ({width}×{height} píxeles)" if width else ""
    return ImageRejected(f"la imagen excede el límite de 40 megapíxeles{size}")


def decode_image(name: str, data: bytes) -> DecodedImage:
    """Prove that ``data`` is a usable PNG or JPEG whose every pixel decodes."""
    with _open(data) as image:
        fmt: ImageFormat = "png" if image.format == "PNG" else "jpeg"
        width, height = image.size
        try:
            if fmt == "png":
                check_png_stream(data)
            else:
                # At 1/8 scale every entropy-coded block is still read and checked, at a
                # fraction of the cost of the full-size pixels.
                image.draft(image.mode, (max(1, width // 8), max(1, height // 8)))
                image.load()
        except (OSError, SyntaxError, ValueError, EOFError, Image.DecompressionBombError) as exc:
            raise ImageRejected("la imagen está dañada o incompleta") from exc
        return DecodedImage(name, fmt, width, height, data)


def thumbnail(data: bytes, max_px: int) -> bytes:
    """A copy of a PNG or JPEG at most ``max_px`` on its longer side, in the same format."""
    with _open(data) as image:
        fmt = image.format or "PNG"
        image.draft(None, (max_px, max_px))  # JPEG decodes at a reduced scale: far less work
        image.thumbnail((max_px, max_px))
        if fmt == "JPEG" and image.mode not in ("RGB", "L"):
            image = image.convert("RGB")
        out = io.BytesIO()
        image.save(out, format=fmt)
        return out.getvalue()
