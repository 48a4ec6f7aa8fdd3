"""What the tab readers need from a workbook, whatever its container format."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from evidence.formats.cells import Rows
from evidence.formats.detect import WorkbookFormat
from evidence.formats.embedded import EmbeddedFile


@dataclass(frozen=True)
class PlacedObject:
    """An embedded object on a sheet: its file, or why none could be extracted (Spanish)."""

    source: str  # the part or storage it came from, for messages
    file: EmbeddedFile | None
    problem: str | None = None


@dataclass(frozen=True)
class PlacedImage:
    """A picture placed on a sheet, as stored (not yet decoded)."""

    name: str
    data: bytes


class WorkbookContainer(Protocol):
    """A workbook opened and checked against the container limits.

    Methods raise ``FindingError`` when the sheet cannot be read at all.
    """

    @property
    def format(self) -> WorkbookFormat: ...

    @property
    def sheet_names(self) -> tuple[str, ...]: ...

    def objects(self, sheet: str) -> list[PlacedObject]: ...

    def images(self, sheet: str) -> list[PlacedImage]: ...

    def rows(self, sheet: str, tab: int) -> Rows: ...
