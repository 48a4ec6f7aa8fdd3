"""Screenshots: only PNG and JPEG are decoded, and thumbnails keep their format."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from evidence.formats.images import ImageRejected, decode_image, thumbnail
from tests.evidence.fixtures.build import screenshot


def test_decode_image_refuses_other_formats() -> None:
    gif = io.BytesIO()
    Image.new("RGB", (4, 4)).save(gif, "GIF")
    with pytest.raises(ImageRejected, match="PNG ni JPEG"):
        decode_image("a.gif", gif.getvalue())


@pytest.mark.parametrize("kind", ["png", "jpeg"])
def test_thumbnail_keeps_format_and_fits_the_box(kind: str) -> None:
    small = thumbnail(screenshot(kind, (640, 400)), 100)
    image = decode_image("t", small)
    assert image.format == kind
    assert (image.width, image.height) == (100, 63)  # 640×400 scaled to fit 100 px
