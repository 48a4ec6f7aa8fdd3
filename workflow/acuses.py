"""Signed receipts (responsivas, acuses) as PDFs (DOMAIN §1, §2, §11).

Every signed step of the portal ends the same way: the caller issues a folio
(``workflow.folios.issue_folio``), writes the step's cadena original with ``cadena_original``
(the folio is one of its values), has the company sign it with its e.firma
(``efirma.signing.sign_with_efirma``) and passes what it shows to ``issue_acuse``, which renders
the PDF, stores it and records it as a ``Document``.

The PDF prints the cadena and the sello as text: whoever holds the acuse and the certificate can
check the signature again without the back office.
"""

from __future__ import annotations

import hashlib
import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from fpdf import FPDF
from fpdf.enums import Align, WrapMode, XPos, YPos
from fpdf.fonts import FontFace
from fpdf.util import Padding
from sqlmodel import Session

from core.config import get_settings
from core.storage import read_blob, store_blob
from rules.formatting import fecha
from schema import Document, DocumentKind

STORAGE_AREA = "acuses"
HEADER = "INFONAVIT — Servicios de Intercomunicación de Avisos"
AUTHOR = "INFONAVIT SIA"
# Shown after the local time; other zones (a test, another deployment) show their IANA name.
ZONE_LABELS = {"America/Mexico_City": "hora del centro de México"}

# fpdf2 replaces its page-count alias in *any* text it lays out, so the default "{nb}" inside a
# razón social or a cadena would print a number instead. ``pdf_text`` turns control characters
# into spaces, so no text that went through it can contain this alias.
_TOTAL_PAGES = "\x01paginas\x01"

_FOLIO = re.compile(r"\d{10}")
_BLOCK_PADDING = Padding.new(1.5)  # mm

# Close equivalents for what people paste from word processors; the rest of what latin-1
# lacks is tried through its compatibility decomposition ("ﬁ" → "fi", "ő" → "o").
_LATIN1_EQUIVALENTS = {
    "\u2010": "-",  # hyphen
    "\u2011": "-",  # non-breaking hyphen
    "\u2012": "-",  # figure dash
    "\u2013": "-",  # en dash
    "\u2014": "-",  # em dash
    "\u2015": "-",  # horizontal bar
    "\u2212": "-",  # minus sign
    "\u2018": "'",
    "\u2019": "'",
    "\u201a": "'",
    "\u201b": "'",
    "\u2032": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u201e": '"',
    "\u201f": '"',
    "\u2033": '"',
    "\u2039": "<",
    "\u203a": ">",
    "\u2022": "-",  # bullet
    "\u20ac": "EUR",
}


def cadena_original(values: Sequence[str]) -> str:
    """The cadena original of a document, in SAT's style: ``||v1|v2|…|vn||``.

    Each value is trimmed and every run of whitespace inside it (spaces, tabs, line breaks)
    becomes one space; a ``|`` inside a value becomes ``/``, so that no value can end its field
    early and pass itself off as the next one. An empty value is an empty field (``||a||c||``
    for ``["a", "", "c"]``). Nothing else changes: accents, ``ñ`` and any other Unicode stay as
    given, since the sello signs the cadena's UTF-8 bytes.
    """
    fields = (" ".join(value.replace("|", "/").split()) for value in values)
    return "||" + "|".join(fields) + "||"


@dataclass(frozen=True)
class Acuse:
    """What a signed receipt shows; ``cadena`` is exactly what ``sello`` signs."""

    kind: DocumentKind
    title: str  # e.g. "Responsiva de generación de contraseña"
    folio: str  # 10 digits, also one of the cadena's values
    issued_at: datetime  # aware
    rfc: str
    razon_social: str
    certificate_number: str
    cadena: str
    sello: str  # base64
    paragraphs: tuple[str, ...] = ()  # the body: e.g. the terms the company accepted
    details: tuple[tuple[str, str], ...] = ()  # extra (label, value) rows, e.g. ("NRP", "…")

    def __post_init__(self) -> None:
        if self.issued_at.tzinfo is None or self.issued_at.utcoffset() is None:
            raise ValueError("Acuse.issued_at must be an aware datetime")
        if not _FOLIO.fullmatch(self.folio):
            raise ValueError(f"Acuse.folio must be 10 digits, got {self.folio!r}")


def pdf_text(text: str) -> str:
    """``text`` as the PDF's core fonts (latin-1) can print it, never raising.

    Spanish letters (á é í ó ú ñ ü ¿ ¡) are latin-1 and stay. Dashes, curly quotes and the like
    become their ASCII look-alikes; other characters become their compatibility decomposition
    without accents when that is latin-1, else ``?``. Line breaks stay; other control characters
    (tabs included) become spaces.
    """
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    return "".join(_latin1_char(char) for char in text)


def _latin1_char(char: str) -> str:
    if char == "\n":
        return char
    if unicodedata.category(char) == "Cc":  # C0 and C1 controls, DEL
        return " "
    if ord(char) < 0x100:
        return char
    if char in _LATIN1_EQUIVALENTS:
        return _LATIN1_EQUIVALENTS[char]
    if unicodedata.combining(char):
        # A mark with no precomposed latin-1 letter for its base: the bare letter is closest.
        return ""
    decomposed = "".join(
        part
        for part in unicodedata.normalize("NFKD", char)
        if ord(part) < 0x100
        and not unicodedata.combining(part)
        and unicodedata.category(part) != "Cc"
    )
    return decomposed or "?"


def local_timestamp(moment: datetime) -> str:
    """``07/dic/2026 10:31:05 (hora del centro de México)``: local time in settings.timezone."""
    settings = get_settings()
    local = moment.astimezone(settings.tz)
    zone = ZONE_LABELS.get(settings.timezone, settings.timezone)
    return f"{fecha(local)} {local:%H:%M:%S} ({zone})"


class _AcusePdf(FPDF):
    def __init__(self, folio: str) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self._folio = folio
        self.alias_nb_pages(_TOTAL_PAGES)
        self.set_margins(left=18, top=15, right=18)
        self.set_auto_page_break(auto=True, margin=20)

    def header(self) -> None:
        self.set_font("Helvetica", "B", 10)
        self.cell(0, 6, pdf_text(HEADER), align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_draw_color(150, 150, 150)
        self.line(self.l_margin, self.get_y() + 1, self.w - self.r_margin, self.get_y() + 1)
        self.ln(5)

    def footer(self) -> None:
        self.set_y(-14)
        self.set_font("Helvetica", "", 8)
        page = pdf_text(f"Folio {self._folio} - Página {self.page_no()} de ")
        self.cell(0, 5, page + _TOTAL_PAGES, align=Align.C)


def render_acuse_pdf(acuse: Acuse) -> bytes:
    """The acuse as an A4 PDF; the same acuse always gives the same bytes."""
    pdf = _AcusePdf(acuse.folio)
    pdf.set_title(pdf_text(acuse.title))
    pdf.set_author(AUTHOR)
    pdf.set_subject(pdf_text(f"Folio {acuse.folio}"))
    pdf.set_lang("es-MX")
    # Fixed instead of fpdf2's "now" (it also seeds the file /ID): same acuse, same bytes.
    pdf.set_creation_date(acuse.issued_at)
    pdf.add_page()

    pdf.set_font("Helvetica", "B", 14)
    pdf.multi_cell(0, 7, pdf_text(acuse.title), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(3)

    rows = [
        ("Folio", acuse.folio),
        ("Fecha y hora", local_timestamp(acuse.issued_at)),
        ("RFC", acuse.rfc),
        ("Razón social", acuse.razon_social),
        ("Número de certificado", acuse.certificate_number),
        *acuse.details,
    ]
    pdf.set_font("Helvetica", "", 9)
    with pdf.table(
        col_widths=(50, 124),
        width=pdf.epw,
        first_row_as_headings=False,
        text_align=(Align.L, Align.L),
        line_height=5,
        padding=1.5,
        borders_layout="HORIZONTAL_LINES",
    ) as table:
        for label, value in rows:
            row = table.row()
            row.cell(pdf_text(label), style=FontFace(emphasis="BOLD"))
            row.cell(pdf_text(value))
    pdf.ln(4)

    pdf.set_font("Helvetica", "", 10)
    for paragraph in acuse.paragraphs:
        pdf.multi_cell(
            0, 5, pdf_text(paragraph), align=Align.J, new_x=XPos.LMARGIN, new_y=YPos.NEXT
        )
        pdf.ln(2)
    pdf.ln(2)

    for heading, value in (
        ("Cadena original", acuse.cadena),
        ("Sello digital (e.firma)", acuse.sello),
    ):
        pdf.set_font("Helvetica", "B", 10)
        pdf.cell(0, 6, pdf_text(heading), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font("Courier", "", 8)
        _monospace_block(pdf, pdf_text(value))
        pdf.ln(3)
    return bytes(pdf.output())


def _monospace_block(pdf: FPDF, text: str) -> None:
    """``text`` in a box, cut every so many characters so that long base64 breaks anywhere.

    The cut is made here rather than by fpdf2's own wrapping, which drops a space that falls on
    a line break: the cadena must read back exactly as signed once its line breaks are removed.
    WrapMode.CHAR stays only as a safety net.
    """
    usable = pdf.epw - _BLOCK_PADDING.left - _BLOCK_PADDING.right
    # A hair under the exact fit, so that rounding never lets fpdf2 wrap a full line again.
    columns = max(1, math.floor(usable / pdf.get_string_width("0") - 0.01))
    lines = [
        line[start : start + columns]
        for line in text.split("\n")
        for start in range(0, max(len(line), 1), columns)
    ]
    pdf.multi_cell(
        0,
        3.6,
        "\n".join(lines),
        border=1,
        padding=_BLOCK_PADDING,
        wrapmode=WrapMode.CHAR,
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )


def issue_acuse(
    session: Session,
    acuse: Acuse,
    *,
    organization_id: int,
    certification_id: int | None = None,
) -> Document:
    """Render the acuse, store its PDF and add its ``Document`` to ``session`` (flushed, not
    committed: the step that signed commits it with everything else).

    The caller issues ``acuse.folio`` with ``workflow.folios.issue_folio`` *before* the company
    signs, because the folio is part of the cadena the sello covers. The PDF is stored before
    the commit; if the transaction then rolls back, the stored file is left unreferenced, which
    is harmless (storage is content-addressed and immutable).
    """
    data = render_acuse_pdf(acuse)
    document = Document(
        folio=acuse.folio,
        kind=acuse.kind,
        organization_id=organization_id,
        certification_id=certification_id,
        sha256=hashlib.sha256(data).hexdigest(),
        storage_path=store_blob(data, STORAGE_AREA, ".pdf"),
        signer_rfc=acuse.rfc,
        certificate_number=acuse.certificate_number,
        signature=acuse.sello,
        # The cadena as signed (UTF-8): the PDF's fonts may not print every character of it.
        cadena=acuse.cadena,
        created_at=acuse.issued_at,
    )
    session.add(document)
    session.flush()
    return document


def acuse_bytes(document: Document) -> bytes:
    """The stored PDF of ``document``, checked against the sha256 its row recorded."""
    data = read_blob(document.storage_path)
    if hashlib.sha256(data).hexdigest() != document.sha256:
        raise ValueError(
            f"stored PDF of document {document.folio} ({document.storage_path}) does not match "
            "its recorded sha256: the storage is corrupt or was altered"
        )
    return data
