"""The evidence workbook reader: ``read_workbook`` and the reading it returns.

Reading is pure (bytes in, a value out) and never raises for a bad upload: every problem becomes a
finding. Each tab is read even after another failed, so the vendor learns every blocking problem
at once (DOMAIN §9).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from evidence.findings import Code, Finding, FindingError, finding
from evidence.formats.cells import Rows
from evidence.formats.container import WorkbookContainer
from evidence.formats.detect import WorkbookFormat, detect_format
from evidence.formats.ooxml import open_xlsx
from evidence.formats.xls import open_xls
from evidence.limits import WORKBOOK_MAX_BYTES
from evidence.tabs.calculations import CalculationsTab, read_calculations_tab
from evidence.tabs.cfdi import CfdiTab, read_cfdi_tab
from evidence.tabs.json_responses import JsonTab, read_json_tab
from evidence.tabs.screenshots import ScreenshotsTab, read_screenshots_tab
from evidence.verdict import Verdict

logger = logging.getLogger(__name__)

TEMPLATE_SHEETS = {1: "1 JSON", 2: "2 Calculos", 3: "3 Pantallas", 4: "4 CFDI"}
_LEADING_NUMBER = re.compile(r"^\s*(\d+)")

T = TypeVar("T")


@dataclass(frozen=True)
class WorkbookReading:
    """What each tab held, and the findings met while reading it.

    A tab is None when its sheet is missing or could not be opened at all.
    """

    filename: str | None
    size: int
    format: WorkbookFormat | None
    sheets: tuple[str, ...]
    json_tab: JsonTab | None
    calculations: CalculationsTab | None
    screenshots: ScreenshotsTab | None
    cfdi: CfdiTab | None
    findings: tuple[Finding, ...]
    # The JSON form this reading was rebuilt from (``from_json``), given back by ``to_json``: a
    # reader process's answer is stored exactly as the reader wrote it, without a second pass.
    # Not an argument, so that ``dataclasses.replace`` never carries it to another reading.
    _document: dict[str, Any] | None = field(default=None, init=False, compare=False, repr=False)

    @property
    def blocking_findings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.blocking)

    @property
    def ilegible(self) -> bool:
        return bool(self.blocking_findings)

    @property
    def verdict_if_blocked(self) -> Verdict | None:
        """``ilegible`` when the upload must be refused (DOMAIN §9), otherwise None."""
        return Verdict.ILEGIBLE if self.ilegible else None

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict; binary content (images, CFDI XML) appears as size and SHA-256.

        Each call returns a new dict, which the caller may add keys to; what it holds is shared.
        """
        if self._document is not None:
            return dict(self._document)
        blocked = self.verdict_if_blocked
        return {
            "filename": self.filename,
            "size": self.size,
            "format": self.format.value if self.format else None,
            "sheets": list(self.sheets),
            "ilegible": self.ilegible,
            "verdict_if_blocked": blocked.value if blocked else None,
            "findings": [f.to_json() for f in self.findings],
            "tabs": {
                "1": self.json_tab.to_json() if self.json_tab else None,
                "2": self.calculations.to_json() if self.calculations else None,
                "3": self.screenshots.to_json() if self.screenshots else None,
                "4": self.cfdi.to_json() if self.cfdi else None,
            },
        }

    def contents(self) -> tuple[list[bytes], list[bytes]]:
        """What ``to_json`` leaves out: the screenshots' bytes and the CFDI documents' XML."""
        return (
            [image.data for image in self.screenshots.images] if self.screenshots else [],
            [document.xml for document in self.cfdi.documents] if self.cfdi else [],
        )

    @classmethod
    def from_json(
        cls, document: dict[str, Any], screenshots: Sequence[bytes], cfdi: Sequence[bytes]
    ) -> WorkbookReading:
        """The reading again from its ``to_json`` and its ``contents``; ValueError, KeyError or
        TypeError when they do not fit together."""
        tabs = document["tabs"]
        json_tab, calculations, shots, xml = (tabs[str(tab)] for tab in TEMPLATE_SHEETS)
        if (screenshots and not shots) or (cfdi and not xml):
            raise ValueError("contents for a tab that was not read")
        reading = cls(
            document["filename"],
            document["size"],
            WorkbookFormat(document["format"]) if document["format"] else None,
            tuple(document["sheets"]),
            JsonTab.from_json(json_tab) if json_tab else None,
            CalculationsTab.from_json(calculations) if calculations else None,
            ScreenshotsTab.from_json(shots, screenshots) if shots else None,
            CfdiTab.from_json(xml, cfdi) if xml else None,
            tuple(map(Finding.from_json, document["findings"])),
        )
        object.__setattr__(reading, "_document", document)
        return reading


def numbered_sheets(names: tuple[str, ...]) -> dict[int, str]:
    """Sheets by their leading number (``2 Calculos`` → 2); the first wins a repeated number."""
    found: dict[int, str] = {}
    for name in names:
        match = _LEADING_NUMBER.match(name)
        if match:
            found.setdefault(int(match.group(1)), name)
    return found


def _refused(data: bytes, filename: str | None, problem: Finding) -> WorkbookReading:
    return WorkbookReading(filename, len(data), None, (), None, None, None, None, (problem,))


def _open(data: bytes, filename: str | None) -> WorkbookContainer:
    if len(data) > WORKBOOK_MAX_BYTES:
        raise FindingError(
            finding(
                Code.WB_SIZE,
                "El libro pesa más de 5 MiB, el máximo permitido.",
                expected=str(WORKBOOK_MAX_BYTES),
                actual=str(len(data)),
            )
        )
    if detect_format(data, filename) is WorkbookFormat.XLSX:
        return open_xlsx(data, filename)
    return open_xls(data, filename)


class _Tabs:
    """Runs each tab's reader, turning whatever stops one into a finding of that tab."""

    def __init__(self, container: WorkbookContainer) -> None:
        self.container = container
        self.sheets = numbered_sheets(container.sheet_names)
        self.findings: list[Finding] = []

    def run(self, tab: int, read: Callable[[str], tuple[T, list[Finding]]]) -> T | None:
        sheet = self.sheets.get(tab)
        if sheet is None:
            self.findings.append(
                finding(
                    Code.WB_SHEET_MISSING,
                    f"Falta la hoja {tab} («{TEMPLATE_SHEETS[tab]}»); las hojas se reconocen por "
                    "el número con que empieza su nombre.",
                    tab=tab,
                )
            )
            return None
        try:
            result, found = read(sheet)
        except FindingError as exc:
            self.findings.append(exc.finding)
            return None
        except MemoryError:
            raise  # the guard's budget at work: reported by the guard, not as a damaged sheet
        except Exception:
            # Hostile input must never crash an upload; the traceback is for us, not the vendor.
            logger.exception("unexpected failure reading tab %s", tab)
            self.findings.append(
                finding(
                    Code.WB_FORMAT,
                    f"La hoja «{sheet}» no se pudo leer; el archivo parece dañado.",
                    tab=tab,
                )
            )
            return None
        self.findings += found
        return result

    def rows(self, sheet: str, tab: int) -> Rows:
        """The sheet's cells, or none (with the finding recorded) so the tab reads what it can."""
        try:
            return self.container.rows(sheet, tab)
        except FindingError as exc:
            self.findings.append(exc.finding)
            return []


def _unique(findings: list[Finding]) -> tuple[Finding, ...]:
    return tuple(dict.fromkeys(findings))


def read_workbook(data: bytes, *, filename: str | None = None) -> WorkbookReading:
    """Read an evidence workbook (DOMAIN §8) into a reading with its blocking findings (§9)."""
    try:
        container = _open(data, filename)
    except FindingError as exc:
        return _refused(data, filename, exc.finding)
    except MemoryError:
        raise
    except Exception:
        logger.exception("unexpected failure opening a workbook")
        return _refused(
            data, filename, finding(Code.WB_FORMAT, "El libro no se pudo abrir; parece dañado.")
        )
    tabs = _Tabs(container)
    json_tab = tabs.run(1, lambda sheet: read_json_tab(sheet, container.objects(sheet)))
    calculations = tabs.run(2, lambda sheet: read_calculations_tab(container.rows(sheet, 2)))
    screenshots = tabs.run(3, lambda sheet: read_screenshots_tab(sheet, container.images(sheet)))
    cfdi = tabs.run(
        4, lambda sheet: read_cfdi_tab(sheet, container.objects(sheet), tabs.rows(sheet, 4))
    )
    return WorkbookReading(
        filename,
        len(data),
        container.format,
        container.sheet_names,
        json_tab,
        calculations,
        screenshots,
        cfdi,
        _unique(tabs.findings),
    )
