"""Files embedded as objects in a workbook: OLE Packager objects and raw embedded parts.

Excel wraps a file inserted as an object in an OLE compound file whose ``\\x01Ole10Native`` stream
holds the Packager header and the file bytes; an xlsx keeps that compound file as
``xl/embeddings/oleObjectN.bin``, and a BIFF workbook as an ``MBD…`` storage of its own compound
file.
Office documents are embedded as a ``Package`` stream, and some producers store the file itself.
"""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass

import olefile

from evidence.formats.detect import OLE_SIGNATURE

NATIVE_STREAM = "\x01Ole10Native"
# Streams that hold an embedded file's own bytes, by producer: Office 2007+ documents, Acrobat.
FILE_STREAMS = ("Package", "CONTENTS")


class EmbeddedUnreadable(Exception):
    """The object holds no file this reader can extract; the message is Spanish."""


@dataclass(frozen=True)
class EmbeddedFile:
    """An extracted file: the name the vendor gave it (or its part name) and its bytes."""

    label: str
    data: bytes


def _cstring(buf: bytes, pos: int) -> tuple[bytes, int]:
    end = buf.index(b"\0", pos)
    return buf[pos:end], end + 1


def _basename(raw: bytes) -> str:
    name = raw.decode("cp1252", errors="replace")
    return name.replace("\\", "/").rsplit("/", 1)[-1]


def parse_ole10native(stream: bytes) -> tuple[str | None, bytes]:
    """The (label, data) of an ``\\x01Ole10Native`` stream.

    The Packager layout is: size, flags, label, source path, reserved, temp path, data size, data.
    Producers that embed a bare file write just the size and the data; that shape is the fallback.
    """
    if len(stream) < 4:
        raise EmbeddedUnreadable("el objeto incrustado está vacío o dañado")
    (total,) = struct.unpack_from("<I", stream, 0)
    body = stream[4 : 4 + total]
    try:
        label, pos = _cstring(body, 2)
        _source, pos = _cstring(body, pos)
        _reserved, temp_len = struct.unpack_from("<II", body, pos)
        pos += 8 + temp_len
        (size,) = struct.unpack_from("<I", body, pos)
        pos += 4
        if pos + size > len(body):
            raise ValueError("native data runs past the stream")
        return _basename(label) or None, body[pos : pos + size]
    except (ValueError, struct.error):
        return None, body


def unwrap_storage(ole: olefile.OleFileIO, storage: list[str], label: str) -> EmbeddedFile:
    """The file inside an OLE object stored at ``storage`` (``[]`` for the root) of ``ole``."""
    if ole.exists("/".join([*storage, NATIVE_STREAM])):
        native_label, data = parse_ole10native(ole.openstream([*storage, NATIVE_STREAM]).read())
        return EmbeddedFile(native_label or label, data)
    for name in FILE_STREAMS:
        if ole.exists("/".join([*storage, name])):
            return EmbeddedFile(label, ole.openstream([*storage, name]).read())
    raise EmbeddedUnreadable(
        "el objeto incrustado no contiene un archivo (insértelo como «Objeto» desde un archivo)"
    )


def unwrap_payload(payload: bytes, label: str) -> EmbeddedFile:
    """The file held by an embedded part: an OLE object is opened, anything else is the file."""
    if not payload.startswith(OLE_SIGNATURE):
        return EmbeddedFile(label, payload)
    try:
        ole = olefile.OleFileIO(io.BytesIO(payload))
    except (OSError, ValueError, struct.error) as exc:
        raise EmbeddedUnreadable("el objeto incrustado está dañado") from exc
    try:
        return unwrap_storage(ole, [], label)
    except (OSError, ValueError, struct.error) as exc:
        raise EmbeddedUnreadable("el objeto incrustado está dañado") from exc
    finally:
        ole.close()
