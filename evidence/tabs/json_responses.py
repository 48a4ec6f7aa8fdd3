"""Tab 1 (``1 JSON``): the zip of the service's JSON responses, embedded as an object.

The zip is opened under DOMAIN §8's limits, judged from its central directory before anything is
decompressed and enforced again while decompressing, since declared sizes can lie.
"""

from __future__ import annotations

import json
import math
import posixpath
import re
import zipfile
from dataclasses import dataclass, field
from typing import Any

from evidence.findings import Code, Finding, finding
from evidence.formats.archive import Archive, MemberTooLarge
from evidence.formats.container import PlacedObject
from evidence.formats.detect import ZIP_ERRORS, ZIP_SIGNATURES
from evidence.formats.embedded import EmbeddedFile
from evidence.formats.syntax_errors import json_syntax_error
from evidence.limits import (
    JSON_MAX_BYTES,
    ZIP_MAX_ENTRIES,
    ZIP_MAX_RATIO,
    ZIP_MAX_TOTAL_BYTES,
    ZIP_RATIO_THRESHOLD_BYTES,
)

TAB = 1
_DRIVE = re.compile(r"^[A-Za-z]:")


@dataclass(frozen=True)
class JsonDocument:
    """A parsed response: which zip and entry it came from, and the document itself.

    ``json_without_floats`` says that the text it was parsed from held no number with a fraction
    or exponent, which lets its signature be checked without a walk over every value
    (``rules.signing.canonical_json``); False when that is not known. It tells how the document
    may be checked, not what it holds: documents compare equal without it, and a stored
    reading, which does not keep it, gives back the same documents.
    """

    zip_name: str
    path: str
    document: dict[str, Any]
    json_without_floats: bool = field(default=False, compare=False)

    def to_json(self) -> dict[str, Any]:
        return {"zip": self.zip_name, "path": self.path, "document": self.document}


@dataclass(frozen=True)
class JsonTab:
    zip_names: tuple[str, ...]
    documents: tuple[JsonDocument, ...]

    def to_json(self) -> dict[str, Any]:
        return {"zips": list(self.zip_names), "documents": [d.to_json() for d in self.documents]}

    @classmethod
    def from_json(cls, document: dict[str, Any]) -> JsonTab:
        """The tab again from its ``to_json``."""
        return cls(
            tuple(document["zips"]),
            tuple(
                JsonDocument(item["zip"], item["path"], item["document"])
                for item in document["documents"]
            ),
        )


def _limit(zip_name: str, message: str) -> Finding:
    return finding(Code.T1_ZIP_LIMIT, f"El zip «{zip_name}» {message}.", tab=TAB)


def _invalid(zip_name: str, message: str) -> Finding:
    return finding(Code.T1_ZIP_INVALID, f"El zip «{zip_name}» {message}.", tab=TAB)


def _unsafe_path(name: str) -> bool:
    normalized = name.replace("\\", "/")
    return (
        normalized.startswith("/")
        or bool(_DRIVE.match(normalized))
        or ".." in normalized.split("/")
    )


def _is_json_entry(info: zipfile.ZipInfo) -> bool:
    name = info.filename.replace("\\", "/")
    # macOS' Finder adds "__MACOSX/._name" resource forks that are not the vendor's documents.
    return (
        not info.is_dir()
        and name.lower().endswith(".json")
        and not name.startswith("__MACOSX/")
        and not posixpath.basename(name).startswith("._")
    )


def _directory_findings(zip_name: str, infos: list[zipfile.ZipInfo]) -> list[Finding]:
    """Every §8 limit the central directory already shows to be broken."""
    if len(infos) > ZIP_MAX_ENTRIES:
        return [_limit(zip_name, f"tiene {len(infos)} entradas; el máximo es {ZIP_MAX_ENTRIES}")]
    found = []
    if sum(info.file_size for info in infos) > ZIP_MAX_TOTAL_BYTES:
        found.append(_limit(zip_name, "excede 20 MiB descomprimido"))
    for info in infos:
        if _unsafe_path(info.filename):
            found.append(_limit(zip_name, f"contiene una ruta no permitida: «{info.filename}»"))
        elif info.flag_bits & 0x1:
            found.append(_invalid(zip_name, f"tiene la entrada «{info.filename}» cifrada"))
        elif info.file_size > ZIP_RATIO_THRESHOLD_BYTES and (
            info.file_size > ZIP_MAX_RATIO * info.compress_size
        ):
            found.append(
                _limit(zip_name, f"tiene la entrada «{info.filename}» con compresión mayor a 100:1")
            )
        elif _is_json_entry(info) and info.file_size > JSON_MAX_BYTES:
            found.append(_limit(zip_name, f"tiene el JSON «{info.filename}» de más de 2 MiB"))
    return found


def _reject_constant(name: str) -> Any:
    raise ValueError(f"constante no válida en JSON: {name}")


class _Floats:
    """A ``parse_float`` hook that notes whether the parser met a float at all, and refuses one
    past the double range (``1e999`` would become infinity, which no JSON store accepts)."""

    def __init__(self) -> None:
        self.seen = False

    def __call__(self, text: str) -> float:
        self.seen = True
        value = float(text)
        if math.isinf(value):
            raise ValueError(f"el número {text[:40]} excede el rango de un número con decimales")
        return value


def _loads(raw: bytes) -> tuple[Any, str | None, bool]:
    """The parsed JSON, or why it cannot be parsed (in Spanish), and whether it held a float."""
    floats = _Floats()
    try:
        document = json.loads(
            raw.decode("utf-8-sig"), parse_constant=_reject_constant, parse_float=floats
        )
    except UnicodeDecodeError:
        return None, "no está codificado en UTF-8", False
    except json.JSONDecodeError as exc:
        return None, json_syntax_error(exc), False
    except ValueError as exc:
        return None, str(exc), False  # _reject_constant's or _Floats', in Spanish
    except RecursionError:
        return None, "anida objetos o listas a demasiada profundidad", False
    return document, None, floats.seen


def _parse_document(zip_name: str, path: str, raw: bytes) -> JsonDocument | Finding:
    document, reason, floats = _loads(raw)
    if reason is not None:
        return finding(
            Code.T1_JSON_INVALID,
            f"El archivo «{path}» del zip «{zip_name}» no es un JSON válido: {reason}.",
            tab=TAB,
        )
    if not isinstance(document, dict):
        return finding(
            Code.T1_JSON_INVALID,
            f"El archivo «{path}» del zip «{zip_name}» no es una respuesta del servicio "
            "(se esperaba un objeto JSON).",
            tab=TAB,
        )
    return JsonDocument(zip_name, path, document, json_without_floats=not floats)


def read_zip(file: EmbeddedFile) -> tuple[list[JsonDocument], list[Finding]]:
    """The JSON documents of one zip, or the findings that stop it from being read."""
    try:
        archive = Archive(file.data)
        infos = archive.infolist()
    except ZIP_ERRORS:
        return [], [_invalid(file.label, "está dañado o no es un zip válido")]
    problems = _directory_findings(file.label, infos)
    if problems:
        return [], problems
    entries = [info for info in infos if _is_json_entry(info)]
    if not entries:
        return [], [_invalid(file.label, "no contiene archivos .json")]
    documents: list[JsonDocument] = []
    findings: list[Finding] = []
    for info in entries:
        try:
            raw = archive.read_member(info, JSON_MAX_BYTES)
        except MemberTooLarge:
            return [], [_limit(file.label, f"tiene el JSON «{info.filename}» de más de 2 MiB")]
        except ZIP_ERRORS:
            return [], [_invalid(file.label, f"tiene la entrada «{info.filename}» dañada")]
        parsed = _parse_document(file.label, info.filename, raw)
        if isinstance(parsed, Finding):
            findings.append(parsed)
        else:
            documents.append(parsed)
    return documents, findings


def read_json_tab(sheet: str, objects: list[PlacedObject]) -> tuple[JsonTab, list[Finding]]:
    """Read every zip embedded on the sheet; T1-NO-ZIP when there is none."""
    zips = [
        placed.file
        for placed in objects
        if placed.file and placed.file.data.startswith(ZIP_SIGNATURES)
    ]
    if not zips:
        seen = [placed.file.label for placed in objects if placed.file]
        seen += [f"{placed.source}: {placed.problem}" for placed in objects if placed.problem]
        detail = f" Se encontró: {'; '.join(seen)}." if seen else ""
        message = (
            f"La hoja «{sheet}» no tiene el zip de las respuestas JSON incrustado como objeto."
            f"{detail}"
        )
        return JsonTab((), ()), [finding(Code.T1_NO_ZIP, message, tab=TAB)]
    documents: list[JsonDocument] = []
    findings: list[Finding] = []
    for file in zips:
        zip_documents, zip_findings = read_zip(file)
        documents += zip_documents
        findings += zip_findings
    return JsonTab(tuple(file.label for file in zips), tuple(documents)), findings
