"""Binary contents (screenshots, CFDI XML) put back beside the JSON form that describes them.

A tab's JSON form names each binary item by size and SHA-256 only; whoever rebuilds the tab from
that form (``evidence.reader_pool``'s parent side) gets the bytes separately, in the same order.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def with_contents(
    items: Sequence[dict[str, Any]], contents: Sequence[bytes]
) -> list[tuple[dict[str, Any], bytes]]:
    """Each item with its bytes; ValueError unless there is one of each, of the declared size."""
    if len(items) != len(contents):
        raise ValueError(f"{len(contents)} contents for {len(items)} items")
    paired = list(zip(items, contents, strict=True))
    if any(type(data) is not bytes or item["bytes"] != len(data) for item, data in paired):
        raise ValueError("contents that are not the bytes their items declare")
    return paired
