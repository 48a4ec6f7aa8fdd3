"""The parts of a BIFF8 ``Workbook`` stream that python-calamine does not expose ([MS-XLS]).

Read here: the sheet list, whether the workbook is encrypted, the OfficeArt drawing of the workbook
and of each sheet, which embedded-object storages (``MBD…``) each sheet's OBJ records point to, and
each sheet's used cell range (so that a hostile grid is refused before calamine allocates it).
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass, field

_BOF = 0x0809
_EOF = 0x000A
_FILEPASS = 0x002F
_BOUNDSHEET = 0x0085
_CONTINUE = 0x003C
_MSODRAWINGGROUP = 0x00EB
_MSODRAWING = 0x00EC
_OBJ = 0x005D
_MULRK = 0x00BD
# Records that carry a cell value, each starting with its row and column. BLANK, MULBLANK and ROW
# records carry formatting alone: calamine builds no cell for them, so they are not counted.
_VALUE_CELLS = frozenset({0x0203, 0x027E, 0x00FD, 0x0204, 0x0006, 0x0205, 0x00D6})
_BIFF8 = 0x0600

# OBJ sub-records.
_FT_END = 0x00
_FT_PIOGRBIT = 0x08
_FT_PICTFMLA = 0x09
_FT_CMO = 0x15
_OT_PICTURE = 0x08
# FtPioGrbit: the object lives in the controls stream (fCtl) or in a stream (fPrstm), not a storage.
_PIO_NOT_STORAGE = 0x10 | 0x20


class BiffError(Exception):
    """The stream is not a readable BIFF8 workbook; the message (Spanish) says what is wrong."""


@dataclass(frozen=True)
class BiffSheet:
    name: str
    kind: int  # BoundSheet8.dt: 0 worksheet, 1 macro sheet, 2 chart, 6 VBA module
    storage_ids: tuple[int, ...]
    drawing: bytes
    rows: int  # used extent: one past the last row holding a value
    columns: int


@dataclass(frozen=True)
class BiffWorkbook:
    encrypted: bool
    sheets: tuple[BiffSheet, ...]
    drawing_group: bytes


@dataclass
class _SheetScan:
    storage_ids: list[int] = field(default_factory=list)
    drawing: bytearray = field(default_factory=bytearray)
    rows: int = 0
    columns: int = 0


def _records(stream: bytes, pos: int) -> Iterator[tuple[int, bytes]]:
    while pos < len(stream):
        if pos + 4 > len(stream):
            raise BiffError("un registro está truncado")
        rec_type, length = struct.unpack_from("<HH", stream, pos)
        if pos + 4 + length > len(stream):
            raise BiffError("un registro está truncado")
        yield rec_type, stream[pos + 4 : pos + 4 + length]
        pos += 4 + length
    raise BiffError("falta el final de una hoja")


def _substream(stream: bytes, pos: int) -> Iterator[tuple[int, bytes]]:
    """Records of the substream starting at ``pos``; nested substreams (charts) are skipped."""
    depth = 0
    for rec_type, body in _records(stream, pos):
        if rec_type == _BOF:
            depth += 1
            if depth == 1 and (len(body) < 2 or struct.unpack_from("<H", body)[0] != _BIFF8):
                raise BiffError("no está en formato Excel 97-2003 (BIFF8)")
        elif rec_type == _EOF:
            depth -= 1
            if depth == 0:
                return
        elif depth == 1:
            yield rec_type, body
        if depth <= 0:
            raise BiffError("una hoja no tiene inicio")


def _sheet_name(body: bytes) -> str:
    count, high_byte = body[6], body[7] & 1
    raw = body[8 : 8 + count * (2 if high_byte else 1)]
    return raw.decode("utf-16-le" if high_byte else "latin-1", errors="replace")


def _storage_id(body: bytes) -> int | None:
    """The ``MBD`` storage id of an embedded-object OBJ record, if it is one."""
    pos, pio_flags = 0, None
    while pos + 4 <= len(body):
        ft, cb = struct.unpack_from("<HH", body, pos)
        data = body[pos + 4 : pos + 4 + cb]
        if ft == _FT_END:
            break
        if ft == _FT_CMO and (len(data) < 2 or struct.unpack_from("<H", data)[0] != _OT_PICTURE):
            return None
        if ft == _FT_PIOGRBIT and len(data) >= 2:
            (pio_flags,) = struct.unpack_from("<H", data)
        if ft == _FT_PICTFMLA and len(data) >= 2:
            if pio_flags is None or pio_flags & _PIO_NOT_STORAGE:
                return None
            (fmla_length,) = struct.unpack_from("<H", data)
            if 2 + fmla_length + 4 > len(data):
                return None
            return int(struct.unpack_from("<I", data, 2 + fmla_length)[0])
        pos += 4 + cb
    return None


def _scan_sheet(stream: bytes, offset: int) -> _SheetScan:
    scan = _SheetScan()
    previous = 0
    for rec_type, body in _substream(stream, offset):
        if rec_type in _VALUE_CELLS and len(body) >= 4:
            row, col = struct.unpack_from("<HH", body)
            scan.rows, scan.columns = max(scan.rows, row + 1), max(scan.columns, col + 1)
        elif rec_type == _MULRK and len(body) >= 6:
            row, last = (
                struct.unpack_from("<H", body)[0],
                struct.unpack_from("<H", body, len(body) - 2)[0],
            )
            scan.rows, scan.columns = max(scan.rows, row + 1), max(scan.columns, last + 1)
        elif rec_type == _MSODRAWING or (rec_type == _CONTINUE and previous == _MSODRAWING):
            scan.drawing += body
            rec_type = _MSODRAWING
        elif rec_type == _OBJ:
            storage = _storage_id(body)
            if storage is not None:
                scan.storage_ids.append(storage)
        previous = rec_type
    return scan


def read_biff(stream: bytes) -> BiffWorkbook:
    """Parse the globals and every sheet substream of a BIFF8 ``Workbook`` stream."""
    bound: list[tuple[str, int, int]] = []
    group = bytearray()
    previous = 0
    try:
        for rec_type, body in _substream(stream, 0):
            if rec_type == _FILEPASS:
                return BiffWorkbook(True, (), b"")
            if rec_type == _BOUNDSHEET and len(body) >= 8:
                bound.append((_sheet_name(body), body[5], struct.unpack_from("<I", body)[0]))
            elif rec_type == _MSODRAWINGGROUP or (
                rec_type == _CONTINUE and previous == _MSODRAWINGGROUP
            ):
                group += body
                rec_type = _MSODRAWINGGROUP
            previous = rec_type
        sheets = []
        for name, kind, offset in bound:
            scan = _scan_sheet(stream, offset)
            sheets.append(
                BiffSheet(
                    name,
                    kind,
                    tuple(scan.storage_ids),
                    bytes(scan.drawing),
                    scan.rows,
                    scan.columns,
                )
            )
    except (struct.error, IndexError) as exc:
        raise BiffError("un registro no tiene la forma esperada") from exc
    return BiffWorkbook(False, tuple(sheets), bytes(group))
