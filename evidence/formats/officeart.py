"""OfficeArt records in BIFF8 ([MS-ODRAW]): the picture store and the pictures a sheet shows.

A BIFF workbook keeps every picture once, in the BLIP store of its MsoDrawingGroup records; each
sheet's MsoDrawing records describe its shapes, and a picture shape names its BLIP by 1-based index
(the ``pib`` property). OLE objects are shapes too, whose ``pib`` is only their preview.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass

# Record types.
_DGG_CONTAINER = 0xF000
_BSTORE_CONTAINER = 0xF001
_DG_CONTAINER = 0xF002
_SPGR_CONTAINER = 0xF003
_SP_CONTAINER = 0xF004
_FBSE = 0xF007
_FSP = 0xF00A
_FOPT = 0xF00B
_CONTAINERS = frozenset({_DGG_CONTAINER, _BSTORE_CONTAINER, _DG_CONTAINER, _SPGR_CONTAINER})

_BLIP_KINDS = {
    0xF01A: "emf",
    0xF01B: "wmf",
    0xF01C: "pict",
    0xF01D: "jpeg",
    0xF01E: "png",
    0xF01F: "dib",
    0xF029: "tiff",
    0xF02A: "jpeg",
}
_METAFILES = frozenset({"emf", "wmf", "pict"})
_METAFILE_HEADER = 34
_FBSE_FIXED = 36
_PIB = 0x0104
_F_OLE_SHAPE = 0x10
_MAX_DEPTH = 16


@dataclass(frozen=True)
class Blip:
    """One stored picture: ``kind`` as named by its record type, and the picture file's bytes."""

    kind: str
    data: bytes


@dataclass(frozen=True)
class _Record:
    instance: int
    type: int
    start: int
    end: int


def _records(buf: bytes, start: int, end: int) -> Iterator[_Record]:
    pos = start
    while pos + 8 <= end:
        ver_inst, rec_type, length = struct.unpack_from("<HHI", buf, pos)
        body = pos + 8
        if body + length > end:
            return  # a truncated record ends what can be read
        yield _Record(ver_inst >> 4, rec_type, body, body + length)
        pos = body + length


def _walk(buf: bytes, wanted: frozenset[int]) -> Iterator[_Record]:
    """Records of the ``wanted`` types anywhere under the top-level containers, in file order."""
    stack = [(_records(buf, 0, len(buf)), 0)]
    while stack:
        iterator, depth = stack[-1]
        record = next(iterator, None)
        if record is None:
            stack.pop()
            continue
        if record.type in wanted:
            yield record
        if record.type in _CONTAINERS and depth < _MAX_DEPTH:
            stack.append((_records(buf, record.start, record.end), depth + 1))


def _blip(buf: bytes, record: _Record) -> Blip | None:
    kind = _BLIP_KINDS.get(record.type)
    if kind is None:
        return None
    # An odd instance means the record carries a second 16-byte UID.
    skip = 16 * (2 if record.instance & 1 else 1)
    skip += _METAFILE_HEADER if kind in _METAFILES else 1
    return Blip(kind, buf[record.start + skip : record.end])


def blip_store(drawing_group: bytes) -> list[Blip | None]:
    """The BLIP store in order (``pib`` N is item N-1); None where a BLIP is not embedded."""
    store: list[Blip | None] = []
    for fbse in _walk(drawing_group, frozenset({_FBSE})):
        if fbse.end - fbse.start < _FBSE_FIXED:
            store.append(None)
            continue
        name_length = drawing_group[fbse.start + 33]
        inner = next(
            _records(drawing_group, fbse.start + _FBSE_FIXED + name_length, fbse.end), None
        )
        store.append(_blip(drawing_group, inner) if inner else None)
    return store


def _shape_pib(buf: bytes, shape: _Record) -> int | None:
    pib: int | None = None
    for record in _records(buf, shape.start, shape.end):
        if record.type == _FSP and record.end - record.start >= 8:
            (flags,) = struct.unpack_from("<I", buf, record.start + 4)
            if flags & _F_OLE_SHAPE:
                return None
        elif record.type == _FOPT:
            count = min(record.instance, (record.end - record.start) // 6)
            for i in range(count):
                opid, value = struct.unpack_from("<HI", buf, record.start + 6 * i)
                if opid & 0x3FFF == _PIB:
                    pib = value
    return pib


def picture_indexes(drawing: bytes) -> list[int]:
    """1-based BLIP indexes of the picture shapes (not OLE objects) in a sheet's drawing."""
    pibs = (_shape_pib(drawing, shape) for shape in _walk(drawing, frozenset({_SP_CONTAINER})))
    return [pib for pib in pibs if pib]
