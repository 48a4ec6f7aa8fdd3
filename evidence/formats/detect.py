"""Which kind of file an upload is, decided by its content and never by its name (DOMAIN §8)."""

from __future__ import annotations

import zipfile
import zlib
from enum import StrEnum

from evidence.findings import Code, FindingError, finding
from evidence.formats.archive import INFLATE_ERRORS

OLE_SIGNATURE = bytes.fromhex("d0cf11e0a1b11ae1")
ZIP_SIGNATURES = (b"PK\x03\x04", b"PK\x05\x06")

SAVE_AS = "Guárdelo como .xlsx o como .xls (Excel 97-2003) y súbalo de nuevo."
DAMAGED = "El libro está dañado o incompleto: {}. Ábralo en Excel, guárdelo de nuevo y súbalo."
# What reading a damaged or hostile zip can raise, from the directory to the last inflated byte.
ZIP_ERRORS: tuple[type[Exception], ...] = (
    zipfile.BadZipFile,
    zlib.error,
    *INFLATE_ERRORS,
    EOFError,
    OSError,
    NotImplementedError,
    ValueError,
)


class WorkbookFormat(StrEnum):
    XLS = "xls"
    XLSX = "xlsx"


def _describe_text(head: bytes) -> str:
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith((b"<!doctype html", b"<html", b"<table", b"<meta", b"<head")):
        return "una página HTML (un «xls» exportado como HTML)"
    if text.startswith(b"<?xml") or text.startswith(b"<"):
        if b"urn:schemas-microsoft-com:office:spreadsheet" in head:
            return "una hoja XML de Excel 2003"
        return "un documento XML"
    if text.startswith(b"{\\rtf"):
        return "un documento RTF"
    return "un archivo de otro tipo"


def describe_foreign(head: bytes) -> str:
    """Spanish description of a file that is not a workbook, for the WB-FORMAT message."""
    if head.startswith(b"%PDF"):
        return "un PDF"
    if head.startswith((b"\x89PNG", b"\xff\xd8\xff")):
        return "una imagen"
    return _describe_text(head)


def format_error(what: str, filename: str | None) -> FindingError:
    name = f"«{filename}»" if filename else "subido"
    return FindingError(
        finding(Code.WB_FORMAT, f"El archivo {name} es {what}, no un libro de Excel. {SAVE_AS}")
    )


def detect_format(data: bytes, filename: str | None = None) -> WorkbookFormat:
    """The container kind of ``data``; anything but OLE2 or ZIP raises a WB-FORMAT finding."""
    if not data:
        raise FindingError(finding(Code.WB_FORMAT, "El archivo está vacío."))
    if data.startswith(OLE_SIGNATURE):
        return WorkbookFormat.XLS
    if data.startswith(ZIP_SIGNATURES):
        return WorkbookFormat.XLSX
    raise format_error(describe_foreign(data[:4096]), filename)
