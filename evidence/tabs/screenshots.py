"""Tab 3 (``3 Pantallas``): the screenshots placed on the sheet."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from evidence.findings import Code, Finding, finding
from evidence.formats.container import PlacedImage
from evidence.formats.images import DecodedImage, ImageRejected, decode_image
from evidence.tabs.contents import with_contents

TAB = 3


@dataclass(frozen=True)
class ScreenshotsTab:
    images: tuple[DecodedImage, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "images": [
                {
                    "name": image.name,
                    "format": image.format,
                    "width": image.width,
                    "height": image.height,
                    "bytes": len(image.data),
                    "sha256": hashlib.sha256(image.data).hexdigest(),
                }
                for image in self.images
            ]
        }

    @classmethod
    def from_json(cls, document: dict[str, Any], contents: Sequence[bytes]) -> ScreenshotsTab:
        """The tab again from its ``to_json`` and each image's bytes, which it leaves out."""
        return cls(
            tuple(
                DecodedImage(item["name"], item["format"], item["width"], item["height"], data)
                for item, data in with_contents(document["images"], contents)
            )
        )


def read_screenshots_tab(
    sheet: str, placed: list[PlacedImage]
) -> tuple[ScreenshotsTab, list[Finding]]:
    """Decode every picture; T3-NO-IMAGE unless at least one decodes."""
    decoded: list[DecodedImage] = []
    findings: list[Finding] = []
    for image in placed:
        try:
            decoded.append(decode_image(image.name, image.data))
        except ImageRejected as exc:
            findings.append(
                finding(
                    Code.T3_IMAGE_INVALID,
                    f"La imagen «{image.name}» de la hoja «{sheet}» no se puede usar: {exc}.",
                    tab=TAB,
                )
            )
    if not decoded:
        findings.append(
            finding(
                Code.T3_NO_IMAGE,
                f"La hoja «{sheet}» no tiene ninguna captura de pantalla legible (PNG o JPEG).",
                tab=TAB,
            )
        )
    return ScreenshotsTab(tuple(decoded)), findings
