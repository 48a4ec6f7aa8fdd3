"""Tab 4 (``4 CFDI``): CFDI documents embedded as files or pasted as XML text in column A."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from evidence.findings import Code, Finding, finding
from evidence.formats.cells import Rows
from evidence.formats.container import PlacedObject
from evidence.formats.safexml import XmlRejected, parse_xml, text_to_xml_bytes
from evidence.limits import XML_MAX_BYTES
from evidence.tabs.contents import with_contents

TAB = 4


@dataclass(frozen=True)
class CfdiDocument:
    """A well-formed XML document; ``source`` names the object or the cell it came from."""

    source: str
    xml: bytes


@dataclass(frozen=True)
class CfdiTab:
    documents: tuple[CfdiDocument, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "documents": [
                {
                    "source": doc.source,
                    "bytes": len(doc.xml),
                    "sha256": hashlib.sha256(doc.xml).hexdigest(),
                }
                for doc in self.documents
            ]
        }

    @classmethod
    def from_json(cls, document: dict[str, Any], contents: Sequence[bytes]) -> CfdiTab:
        """The tab again from its ``to_json`` and each document's XML, which it leaves out."""
        return cls(
            tuple(
                CfdiDocument(item["source"], xml)
                for item, xml in with_contents(document["documents"], contents)
            )
        )


def _looks_like_xml(data: bytes) -> bool:
    return data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<")


def _check(source: str, xml: bytes) -> CfdiDocument | Finding:
    if len(xml) > XML_MAX_BYTES:
        return _invalid(source, "excede 1 MiB")
    try:
        parse_xml(xml)
    except XmlRejected as exc:
        return _invalid(source, str(exc))
    return CfdiDocument(source, xml)


def of_source(source: str) -> str:
    """«del objeto …» / «de la celda A2»: a source is named with its article."""
    return "del " + source[3:] if source.startswith("el ") else "de " + source


def _invalid(source: str, reason: str) -> Finding:
    return finding(
        Code.T4_XML_INVALID, f"El CFDI {of_source(source)} no se puede leer: {reason}.", tab=TAB
    )


def _candidates(objects: list[PlacedObject], rows: Rows) -> list[CfdiDocument | Finding]:
    found: list[CfdiDocument | Finding] = []
    for placed in objects:
        source = f"el objeto «{placed.file.label if placed.file else placed.source}»"
        if placed.file is None:
            found.append(_invalid(source, placed.problem or "el objeto está vacío"))
        elif not _looks_like_xml(placed.file.data[:1024]):
            found.append(_invalid(source, "no es un archivo XML"))
        else:
            found.append(_check(source, placed.file.data))
    for index, row in enumerate(rows):
        value = row[0] if row else ""
        # Column A may also hold labels or instructions; only text that starts as XML is a CFDI.
        if isinstance(value, str) and value.lstrip("\ufeff \t\r\n").startswith("<"):
            found.append(_check(f"la celda A{index + 1}", text_to_xml_bytes(value)))
    return found


def read_cfdi_tab(
    sheet: str, objects: list[PlacedObject], rows: Rows
) -> tuple[CfdiTab, list[Finding]]:
    """Every CFDI of the sheet; T4-NO-CFDI when there is none at all."""
    candidates = _candidates(objects, rows)
    documents = tuple(c for c in candidates if isinstance(c, CfdiDocument))
    findings = [c for c in candidates if isinstance(c, Finding)]
    if not candidates:
        findings.append(
            finding(
                Code.T4_NO_CFDI,
                f"La hoja «{sheet}» no tiene ningún CFDI (incrustado como archivo o pegado "
                "como XML en la columna A).",
                tab=TAB,
            )
        )
    return CfdiTab(documents), findings
