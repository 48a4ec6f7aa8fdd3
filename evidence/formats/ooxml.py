"""The xlsx container: a zip of XML parts tied together by relationship parts.

Opening checks the container itself before anything is decompressed for real: entry count,
declared sizes (reads never go past them), and that no XML part declares a DTD. Sheets are then
reached the way Excel does: workbook → sheet → drawing → media, sheet → embeddings.
"""

from __future__ import annotations

import logging
import posixpath
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from xml.parsers import expat

import python_calamine
from lxml import etree

from evidence.findings import Code, FindingError, finding
from evidence.formats.archive import Archive, MemberTooLarge
from evidence.formats.cells import Rows, open_cells, sheet_rows
from evidence.formats.container import PlacedImage, PlacedObject
from evidence.formats.detect import DAMAGED, ZIP_ERRORS, WorkbookFormat, format_error
from evidence.formats.embedded import EmbeddedUnreadable, unwrap_payload
from evidence.formats.grid import GridTooLarge, check_sheet_grid
from evidence.formats.richdata import RichDataParts, cell_value_metadata, picture_of_vm
from evidence.formats.safexml import DtdFound, XmlRejected, check_prolog, parse_xml
from evidence.limits import (
    SHEET_MAX_COLUMNS,
    SHEET_MAX_ROWS,
    XLSX_MAX_ENTRIES,
    XLSX_MAX_PART_BYTES,
    XLSX_MAX_SHEET_BYTES,
    XLSX_MAX_TOTAL_BYTES,
    XLSX_MAX_TREE_PART_BYTES,
    XML_PROLOG_MAX_BYTES,
)

logger = logging.getLogger(__name__)

# The workbook's relationships to the parts that place pictures in cells, in RichDataParts' order.
_RICH_DATA_RELATIONSHIPS = ("sheetMetadata", "rdRichValue", "rdRichValueStructure", "richValueRel")
# Sheet parts are streamed this many inflated bytes at a time, never held whole.
_SHEET_CHUNK_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class _Relationship:
    id: str
    type: str  # the last segment of the type URI, e.g. "drawing"
    target: str  # the part's name inside the zip


def _localname(tag: object) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _namespaced(element: etree._Element, name: str) -> str | None:
    """The value of the namespaced attribute ``name`` (``r:id``, ``r:embed``) of ``element``."""
    for key, value in element.attrib.items():
        if str(key).startswith("{") and _localname(str(key)) == name:
            return str(value)
    return None


def _rels_name(part: str) -> str:
    folder, base = posixpath.split(part)
    return posixpath.join(folder, "_rels", f"{base}.rels")


class XlsxContainer:
    """An xlsx workbook; build it with :func:`open_xlsx`."""

    format = WorkbookFormat.XLSX

    def __init__(
        self,
        data: bytes,
        archive: Archive,
        workbook_rels: list[_Relationship],
        sheets: dict[str, str],
    ) -> None:
        self._data = data
        self._zip = archive
        self._workbook_rels = workbook_rels
        self._sheets = sheets
        self._cells: python_calamine.CalamineWorkbook | None = None
        self._rows: dict[str, Rows] = {}
        self._cell_pictures: dict[int, str] | None = None

    @property
    def sheet_names(self) -> tuple[str, ...]:
        return tuple(self._sheets)

    def objects(self, sheet: str) -> list[PlacedObject]:
        related = self._relationships(self._sheets[sheet])
        for drawing in (rel for rel in related if rel.type == "drawing"):
            related += self._relationships(drawing.target)
        found: list[PlacedObject] = []
        seen: set[str] = set()
        for rel in related:
            if rel.type not in ("oleObject", "package") or rel.target in seen:
                continue
            seen.add(rel.target)
            label = posixpath.basename(rel.target)
            if rel.target not in self._zip.NameToInfo:
                found.append(
                    PlacedObject(rel.target, None, "falta el archivo del objeto incrustado")
                )
                continue
            try:
                payload = _read(self._zip, rel.target, XLSX_MAX_PART_BYTES)
                found.append(PlacedObject(rel.target, unwrap_payload(payload, label)))
            except EmbeddedUnreadable as exc:
                found.append(PlacedObject(rel.target, None, str(exc)))
        return found

    def images(self, sheet: str) -> list[PlacedImage]:
        found: list[PlacedImage] = []
        for drawing in self._relationships(self._sheets[sheet]):
            if drawing.type != "drawing":
                continue
            targets = {rel.id: rel.target for rel in self._relationships(drawing.target)}
            for blip_id in self._picture_blips(drawing.target):
                found.append(self._image(targets.get(blip_id, blip_id)))
        pictures = self._pictures_in_cells()
        if pictures:
            for vm in self._value_metadata(self._sheets[sheet]):
                if vm.isdigit() and int(vm) in pictures:
                    found.append(self._image(pictures[int(vm)]))
        return found

    def _value_metadata(self, part: str) -> list[str]:
        """The ``vm`` of each cell of a sheet part that has one, streamed: a sheet formatted down
        to its last row is far larger than any part this reader holds as a tree."""
        try:
            return cell_value_metadata(self._sheet_chunks(part)())
        except DtdFound as exc:
            raise _unsafe_part(part) from exc
        except expat.ExpatError as exc:
            damaged = DAMAGED.format(f"la parte «{part}»: el XML está mal formado")
            raise FindingError(finding(Code.WB_FORMAT, damaged)) from exc

    def _image(self, part: str) -> PlacedImage:
        data = b""  # a dangling reference is an image that does not decode
        if part in self._zip.NameToInfo:
            data = _read(self._zip, part, XLSX_MAX_PART_BYTES)
        return PlacedImage(posixpath.basename(part), data)

    def _pictures_in_cells(self) -> dict[int, str]:
        """vm → media part of Excel 365's in-cell pictures; empty for most workbooks."""
        if self._cell_pictures is None:
            try:
                self._cell_pictures = self._read_pictures_in_cells()
            except FindingError:
                # Damaged rich-data parts must not cost the sheet its floating pictures.
                logger.warning("unreadable rich-value parts; in-cell pictures skipped")
                self._cell_pictures = {}
        return self._cell_pictures

    def _read_pictures_in_cells(self) -> dict[int, str]:
        part = {rel.type: rel.target for rel in self._workbook_rels}
        names = [part.get(kind) for kind in _RICH_DATA_RELATIONSHIPS]
        if not all(name in self._zip.NameToInfo for name in names):
            return {}
        metadata, values, structures, value_rels = (str(name) for name in names)
        targets = {rel.id: rel.target for rel in self._relationships(value_rels)}
        return picture_of_vm(
            RichDataParts(
                _parse_part(self._zip, metadata),
                _parse_part(self._zip, values),
                _parse_part(self._zip, structures),
                [
                    targets.get(_namespaced(rel, "id") or "")
                    for rel in _parse_part(self._zip, value_rels).iterfind("{*}rel")
                ],
            )
        )

    def rows(self, sheet: str, tab: int) -> Rows:
        if sheet not in self._rows:
            self._check_grid(sheet, tab)
            if self._cells is None:
                self._cells = open_cells(self._data)
            self._rows[sheet] = sheet_rows(self._cells, sheet, tab)
        return self._rows[sheet]

    def _sheet_chunks(self, part: str) -> Callable[[], Iterator[bytes]]:
        """The sheet part's bytes from the start on each call; a broken member is a finding."""
        info = self._zip.getinfo(part)

        def chunks() -> Iterator[bytes]:
            with _reading(part):
                yield from self._zip.stream_member(info, XLSX_MAX_SHEET_BYTES, _SHEET_CHUNK_BYTES)

        return chunks

    def _picture_blips(self, drawing: str) -> Iterator[str]:
        root = _parse_part(self._zip, drawing)
        for picture in root.iter("{*}pic"):
            for blip in picture.iter("{*}blip"):
                embed = _namespaced(blip, "embed")
                if embed:
                    yield embed

    def _relationships(self, part: str) -> list[_Relationship]:
        return _relationships(self._zip, part)

    def _check_grid(self, sheet: str, tab: int) -> None:
        part = self._sheets[sheet]
        try:
            check_sheet_grid(self._sheet_chunks(part))
        except GridTooLarge as exc:
            raise FindingError(
                finding(
                    Code.WB_SIZE,
                    f"La hoja «{sheet}» ocupa más de {SHEET_MAX_ROWS:,} filas o "
                    f"{SHEET_MAX_COLUMNS} columnas; no se leyó. Deje en ella solo la evidencia.",
                    tab=tab,
                )
            ) from exc
        except DtdFound as exc:
            raise _unsafe_part(part) from exc
        except (expat.ExpatError, ValueError) as exc:
            raise FindingError(
                finding(
                    Code.WB_FORMAT, DAMAGED.format(f"la hoja «{sheet}» no se puede leer"), tab=tab
                )
            ) from exc


@contextmanager
def _reading(name: str) -> Iterator[None]:
    """Turns what reading part ``name`` from the zip raises into the finding that explains it."""
    try:
        yield
    except MemberTooLarge as exc:
        raise FindingError(
            finding(
                Code.WB_SIZE, f"La parte «{name}» del libro es demasiado grande al descomprimirse."
            )
        ) from exc
    except ZIP_ERRORS as exc:
        raise FindingError(finding(Code.WB_FORMAT, DAMAGED.format(f"la parte «{name}»"))) from exc


def _read(archive: Archive, name: str, limit: int) -> bytes:
    with _reading(name):
        return archive.read_member(archive.getinfo(name), limit)


def _unsafe_part(name: str) -> FindingError:
    return FindingError(
        finding(
            Code.WB_FORMAT,
            f"La parte «{name}» del libro declara un DTD o entidades XML; el archivo no es seguro "
            "y no se leyó.",
        )
    )


def _parse_part(archive: Archive, name: str) -> etree._Element:
    try:
        return parse_xml(_read(archive, name, XLSX_MAX_TREE_PART_BYTES))
    except XmlRejected as exc:
        raise FindingError(
            finding(Code.WB_FORMAT, DAMAGED.format(f"la parte «{name}»: {exc}"))
        ) from exc


def _relationships(archive: Archive, part: str) -> list[_Relationship]:
    rels = _rels_name(part)
    if rels not in archive.NameToInfo:
        return []
    folder = posixpath.dirname(part)
    found = []
    for rel in _parse_part(archive, rels).iter("{*}Relationship"):
        target = rel.get("Target") or ""
        if rel.get("TargetMode") == "External" or not target:
            continue
        path = target.lstrip("/") if target.startswith("/") else posixpath.join(folder, target)
        found.append(
            _Relationship(
                rel.get("Id") or "",
                (rel.get("Type") or "").rsplit("/", 1)[-1],
                posixpath.normpath(path),
            )
        )
    return found


_SNIFF_BYTES = 512


def _may_be_xml(head: bytes) -> bool:
    """Whether ``head`` starts like XML, or is all byte-order marks and blanks so far."""
    rest = head.lstrip(b"\xef\xbb\xbf\xff\xfe \t\r\n\0")
    return not rest or rest.startswith((b"<", b"\0<"))


def _check_entries(archive: Archive) -> None:
    infos = archive.infolist()
    if len(infos) > XLSX_MAX_ENTRIES:
        raise FindingError(
            finding(Code.WB_SIZE, f"El libro contiene más de {XLSX_MAX_ENTRIES:,} partes internas.")
        )
    if len({info.filename for info in infos}) != len(infos):
        raise FindingError(finding(Code.WB_FORMAT, DAMAGED.format("tiene partes repetidas")))
    if any(info.file_size > XLSX_MAX_SHEET_BYTES for info in infos):
        raise _zip_bomb()  # larger than any part may be; the rest is judged once sheets are known
    # Every part that looks like XML, whatever its name: relationships may point anywhere. A
    # few hundred bytes tell a picture from XML, so only XML is inflated as far as its prolog.
    for info in infos:
        try:
            if _may_be_xml(archive.read_head(info, _SNIFF_BYTES)):
                head = archive.read_head(info, XML_PROLOG_MAX_BYTES)
                check_prolog(head, complete=len(head) < XML_PROLOG_MAX_BYTES)
        except XmlRejected as exc:
            raise _unsafe_part(info.filename) from exc
        except ZIP_ERRORS as exc:
            raise FindingError(
                finding(Code.WB_FORMAT, DAMAGED.format(f"la parte «{info.filename}»"))
            ) from exc


def _zip_bomb() -> FindingError:
    return FindingError(
        finding(
            Code.WB_SIZE,
            "El contenido del libro es demasiado grande al descomprimirse (posible bomba zip); "
            "no se leyó.",
        )
    )


def _check_sizes(archive: Archive, sheet_parts: set[str]) -> None:
    """Every part but the worksheets (which are streamed) is held whole when read: bound them."""
    held = [info.file_size for info in archive.infolist() if info.filename not in sheet_parts]
    if sum(held) > XLSX_MAX_TOTAL_BYTES or any(size > XLSX_MAX_PART_BYTES for size in held):
        raise _zip_bomb()


def _foreign_zip(names: set[str], filename: str | None) -> FindingError:
    if "mimetype" in names:
        return format_error("una hoja de cálculo de OpenDocument (.ods)", filename)
    if "word/document.xml" in names:
        return format_error("un documento de Word", filename)
    return format_error("un archivo comprimido (.zip)", filename)


def _workbook_part(archive: Archive, filename: str | None) -> str:
    names = set(archive.NameToInfo)
    main = next(
        (rel.target for rel in _relationships(archive, "") if rel.type == "officeDocument"), None
    )
    if main is None or main not in names:
        raise _foreign_zip(names, filename)
    if main.endswith(".bin"):
        raise format_error("un libro binario de Excel (.xlsb)", filename)
    if not main.endswith(".xml"):
        raise _foreign_zip(names, filename)
    return main


def open_xlsx(data: bytes, filename: str | None = None) -> XlsxContainer:
    """Open an xlsx after checking its container; raise FindingError when it cannot be used."""
    try:
        archive = Archive(data)
    except ZIP_ERRORS as exc:
        raise FindingError(
            finding(Code.WB_FORMAT, DAMAGED.format("no es un archivo zip completo"))
        ) from exc
    _check_entries(archive)
    workbook = _workbook_part(archive, filename)
    workbook_rels = _relationships(archive, workbook)
    targets = {rel.id: rel.target for rel in workbook_rels}
    sheets: dict[str, str] = {}
    for sheet in _parse_part(archive, workbook).iter("{*}sheet"):
        target = targets.get(_namespaced(sheet, "id") or "")
        name = sheet.get("name")
        if name and target in archive.NameToInfo:
            sheets[name] = str(target)
    _check_sizes(archive, set(sheets.values()))
    return XlsxContainer(data, archive, workbook_rels, sheets)
