"""Pictures placed *in* cells (Excel 365's «Colocar en celda»), found through the rich-value parts.

Such a cell holds no drawing: it carries ``vm="N"``, its value-metadata index. The chain to the
picture is value metadata → an XLRICHVALUE future-metadata block → a rich value → the structure
that says which of its values is ``_rvRel:LocalImageIdentifier`` → that index in the rich-value
relationships → the media part. Every link is read defensively: a link that does not resolve
leaves that cell without a picture rather than failing the sheet.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from evidence.formats.safexml import stream_elements

XLRICHVALUE = "XLRICHVALUE"
LOCAL_IMAGE_KEY = "_rvRel:LocalImageIdentifier"


@dataclass(frozen=True)
class RichDataParts:
    """The parsed parts of the chain; any may be missing in a workbook without in-cell pictures."""

    metadata: Any  # xl/metadata.xml
    rich_values: Any  # xl/richData/rdrichvalue.xml
    structures: Any  # xl/richData/rdrichvaluestructure.xml
    value_rel_targets: list[str | None]  # richValueRel.xml's r:ids, resolved to part names


def _index(text: str | None) -> int | None:
    return int(text) if text is not None and text.isdigit() else None


def _at(items: list[Any], index: int | None) -> Any:
    return items[index] if index is not None and 0 <= index < len(items) else None


def _rich_value_of_block(metadata: Any) -> list[int | None]:
    """For each XLRICHVALUE future-metadata block, the rich value it names."""
    indexes: list[int | None] = []
    for future in metadata.iterfind("{*}futureMetadata"):
        if future.get("name") != XLRICHVALUE:
            continue
        for block in future.iterfind("{*}bk"):
            pointer = next(block.iter("{*}rvb"), None)
            indexes.append(_index(pointer.get("i")) if pointer is not None else None)
    return indexes


def _rich_value_of_vm(metadata: Any) -> dict[int, int]:
    """vm (1-based, as cells write it) → rich value index."""
    types = [t.get("name") for t in metadata.iterfind("{*}metadataTypes/{*}metadataType")]
    blocks = _rich_value_of_block(metadata)
    found: dict[int, int] = {}
    for vm, block in enumerate(metadata.iterfind("{*}valueMetadata/{*}bk"), start=1):
        for record in block.iterfind("{*}rc"):
            kind = _index(record.get("t"))
            if kind is None or _at(types, kind - 1) != XLRICHVALUE:
                continue
            value = _at(blocks, _index(record.get("v")))
            if value is not None:
                found[vm] = value
    return found


def _image_relation_of_value(parts: RichDataParts) -> dict[int, int]:
    """Rich value index → its index in the rich-value relationships, for local images."""
    structures = [
        [key.get("n") for key in structure.iterfind("{*}k")]
        for structure in parts.structures.iterfind("{*}s")
    ]
    found: dict[int, int] = {}
    for index, value in enumerate(parts.rich_values.iterfind("{*}rv")):
        keys = _at(structures, _index(value.get("s")))
        if not keys or LOCAL_IMAGE_KEY not in keys:
            continue
        values = [v.text for v in value.iterfind("{*}v")]
        relation = _index(_at(values, keys.index(LOCAL_IMAGE_KEY)))
        if relation is not None:
            found[index] = relation
    return found


def picture_of_vm(parts: RichDataParts) -> dict[int, str]:
    """vm → the media part of the picture a cell with that vm shows."""
    relations = _image_relation_of_value(parts)
    found: dict[int, str] = {}
    for vm, value in _rich_value_of_vm(parts.metadata).items():
        target = _at(parts.value_rel_targets, relations.get(value))
        if target:
            found[vm] = target
    return found


def cell_value_metadata(sheet: Iterable[bytes]) -> list[str]:
    """The ``vm`` of each cell of a sheet part (streamed in chunks) that carries one, in order.

    Raises as ``safexml.stream_elements`` does.
    """
    found: list[str] = []

    def start(name: str, attrs: dict[str, str]) -> None:
        if name.rpartition(":")[2] == "c" and "vm" in attrs:
            found.append(attrs["vm"])

    stream_elements(sheet, start)
    return found
