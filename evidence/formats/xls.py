"""The BIFF8 (.xls) container: an OLE2 compound file with a ``Workbook`` stream.

Embedded objects are ``MBD…`` storages of the same compound file, tied to their sheet by the OBJ
records of that sheet; pictures come from the workbook's BLIP store, tied to their sheet by its
drawing's shapes.
"""

from __future__ import annotations

import io
import struct
from functools import cached_property

import olefile
import python_calamine

from evidence.findings import Code, FindingError, finding
from evidence.formats.biff import BiffError, BiffSheet, BiffWorkbook, read_biff
from evidence.formats.cells import Rows, open_cells, sheet_rows
from evidence.formats.container import PlacedImage, PlacedObject
from evidence.formats.detect import DAMAGED, WorkbookFormat, format_error
from evidence.formats.embedded import EmbeddedUnreadable, unwrap_storage
from evidence.formats.officeart import Blip, blip_store, picture_indexes
from evidence.limits import SHEET_MAX_COLUMNS, SHEET_MAX_ROWS

_OLE_ERRORS = (OSError, ValueError, struct.error, IndexError, KeyError)
_PICTURE_KINDS = frozenset({"png", "jpeg"})


class XlsContainer:
    """A BIFF8 workbook; build it with :func:`open_xls`."""

    format = WorkbookFormat.XLS

    def __init__(self, data: bytes, ole: olefile.OleFileIO, book: BiffWorkbook) -> None:
        self._data = data
        self._ole = ole
        self._book = book
        self._sheets = {sheet.name: sheet for sheet in book.sheets}
        self._cells: python_calamine.CalamineWorkbook | None = None
        self._rows: dict[str, Rows] = {}

    @property
    def sheet_names(self) -> tuple[str, ...]:
        return tuple(self._sheets)

    @cached_property
    def _store(self) -> list[Blip | None]:
        return blip_store(self._book.drawing_group)

    def objects(self, sheet: str) -> list[PlacedObject]:
        found = []
        for storage_id in self._sheets[sheet].storage_ids:
            storage = f"MBD{storage_id:08X}"
            if not self._ole.exists(storage):
                found.append(
                    PlacedObject(storage, None, "falta el contenido del objeto incrustado")
                )
                continue
            try:
                found.append(PlacedObject(storage, unwrap_storage(self._ole, [storage], storage)))
            except EmbeddedUnreadable as exc:
                found.append(PlacedObject(storage, None, str(exc)))
            except _OLE_ERRORS:
                found.append(PlacedObject(storage, None, "el objeto incrustado está dañado"))
        return found

    def images(self, sheet: str) -> list[PlacedImage]:
        found = []
        for pib in picture_indexes(self._sheets[sheet].drawing):
            blip = self._store[pib - 1] if 0 < pib <= len(self._store) else None
            kind = blip.kind if blip else "desconocida"
            # Only PNG and JPEG are screenshots (DOMAIN §8); other kinds are kept as bytes that will
            # not decode, so they are reported instead of silently skipped.
            data = blip.data if blip and blip.kind in _PICTURE_KINDS else b""
            found.append(PlacedImage(f"imagen{pib}.{kind}", data))
        return found

    def rows(self, sheet: str, tab: int) -> Rows:
        if self._cells is None:
            # calamine reads every sheet of a BIFF workbook when it opens it, so all of them must
            # fit; one that does not stops the cells of every tab, so the finding is the
            # workbook's. Only cells with a value count: BLANK, MULBLANK and ROW records, which
            # carry formatting alone, are not content (evidence.formats.biff).
            for other in self._book.sheets:
                _check_grid(other)
            self._cells = open_cells(self._data)
        if sheet not in self._rows:
            self._rows[sheet] = sheet_rows(self._cells, sheet, tab)
        return self._rows[sheet]


def _check_grid(sheet: BiffSheet) -> None:
    if sheet.rows > SHEET_MAX_ROWS or sheet.columns > SHEET_MAX_COLUMNS:
        raise FindingError(
            finding(
                Code.WB_SIZE,
                f"La hoja «{sheet.name}» ocupa más de {SHEET_MAX_ROWS:,} filas o "
                f"{SHEET_MAX_COLUMNS} columnas; el libro no se leyó. Deje en él solo la evidencia.",
            )
        )


def _damaged(what: str) -> FindingError:
    return FindingError(finding(Code.WB_FORMAT, DAMAGED.format(what)))


def _encrypted() -> FindingError:
    return FindingError(
        finding(
            Code.WB_FORMAT,
            "El libro está protegido con contraseña (cifrado) y no se puede revisar. "
            "Quite la contraseña de apertura, guárdelo y súbalo de nuevo.",
        )
    )


def open_xls(data: bytes, filename: str | None = None) -> XlsContainer:
    """Open a BIFF8 workbook; raise FindingError when it is not one or cannot be used."""
    try:
        ole = olefile.OleFileIO(io.BytesIO(data))
    except _OLE_ERRORS as exc:
        raise _damaged("el archivo OLE no se puede abrir") from exc
    if ole.exists("EncryptionInfo") or ole.exists("EncryptedPackage"):
        raise _encrypted()
    if not ole.exists("Workbook"):
        if ole.exists("Book"):
            raise format_error("un libro de Excel 5.0/95, versión que no se admite", filename)
        if ole.exists("WordDocument"):
            raise format_error("un documento de Word (.doc)", filename)
        raise format_error("un archivo OLE que no contiene un libro de Excel", filename)
    try:
        stream = ole.openstream("Workbook").read()
        book = read_biff(stream)
    except BiffError as exc:
        raise _damaged(str(exc)) from exc
    except _OLE_ERRORS as exc:
        raise _damaged("la secuencia del libro no se puede leer") from exc
    if book.encrypted:
        raise _encrypted()
    return XlsContainer(data, ole, book)
