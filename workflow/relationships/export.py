"""«Exportar tabla»: the patrón's relationships table as an Excel workbook (.xlsx).

One sheet, «Relaciones de confianza». Rows 1 and 2 name the patrón (NRP, razón social, RFC) and
when the workbook was generated; row :data:`HEADER_ROW` (4) holds the headers, bold, with an
autofilter, frozen above the data; from row :data:`FIRST_DATA_ROW` (5) one row per relationship,
in the table's order (newest first). The columns are the table's data columns
(:data:`EXPORT_HEADERS`): «Acuse» holds the folios of its acuses as text (the registration's,
then the cancellation's, separated by ", "); the «Cancelación» column of the portal holds only
the «Borrar» action and is left out.

Dates are date cells (sortable, filterable) shown as ``dd/mm/yyyy``: the page's ``07/mar/2024``
needs Spanish month names, which a number format cannot promise on every spreadsheet's locale.

Every text cell is written by ``workflow.spreadsheets.text_cell``: a string cell
(``inlineStr``), never a formula, and one that starts with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return also carries the quote prefix (``quotePrefix``, what Excel sets for text typed
after an apostrophe), so editing the cell keeps it text: a razón social such as
``=HYPERLINK(…)`` is shown, never evaluated.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import UTC, date, datetime

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from core.config import get_settings
from rules.formatting import fecha_hora
from schema import Organization
from workflow.acuses import ZONE_LABELS
from workflow.relationships.table import HEADERS, RelationshipRow
from workflow.spreadsheets import text_cell

SHEET_TITLE = "Relaciones de confianza"
HEADER_ROW = 4
FIRST_DATA_ROW = HEADER_ROW + 1
# The table's columns but «Cancelación» (an action, no data).
EXPORT_HEADERS: tuple[str, ...] = HEADERS[:-1]
DATE_FORMAT = "dd/mm/yyyy"
ACUSE_SEPARATOR = ", "
MIN_WIDTH, MAX_WIDTH, DATE_WIDTH = 10, 60, 14


def table_workbook(
    rows: Sequence[RelationshipRow], *, generated_at: datetime, patron: Organization
) -> bytes:
    """The .xlsx of ``rows`` (as ``patron_relationships`` gives them) for ``patron``;
    ``generated_at`` (aware) is printed in local time and kept as the document's date."""
    settings = get_settings()
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = SHEET_TITLE

    zone = ZONE_LABELS.get(settings.timezone, settings.timezone)
    title = f"{SHEET_TITLE} · NRP {patron.nrp or '—'} · {patron.razon_social}"
    text_cell(sheet.cell(row=1, column=1), title).font = Font(bold=True, size=12)
    text_cell(
        sheet.cell(row=2, column=1),
        f"RFC {patron.rfc} · Generado el {fecha_hora(generated_at, settings.tz)} ({zone})",
    )

    bold = Font(bold=True)
    for column, header in enumerate(EXPORT_HEADERS, start=1):
        text_cell(sheet.cell(row=HEADER_ROW, column=column), header).font = bold

    widths = [len(header) for header in EXPORT_HEADERS]
    for offset, row in enumerate(rows):
        for column, value in enumerate(_values(row), start=1):
            cell = sheet.cell(row=FIRST_DATA_ROW + offset, column=column)
            if isinstance(value, date):
                cell.value = value
                cell.number_format = DATE_FORMAT
                widths[column - 1] = max(widths[column - 1], DATE_WIDTH)
            elif isinstance(value, str):
                text_cell(cell, value)
                widths[column - 1] = max(widths[column - 1], len(value))
    for column, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = min(
            MAX_WIDTH, max(MIN_WIDTH, width + 2)
        )

    last_row = HEADER_ROW + len(rows)
    sheet.auto_filter.ref = f"A{HEADER_ROW}:{get_column_letter(len(EXPORT_HEADERS))}{last_row}"
    sheet.freeze_panes = f"A{FIRST_DATA_ROW}"

    moment = generated_at.astimezone(UTC).replace(tzinfo=None)
    book.properties.creator = "SIA Certificación"
    book.properties.title = f"{SHEET_TITLE} del patrón {patron.nrp or patron.rfc}"
    book.properties.created = moment
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _values(row: RelationshipRow) -> tuple[str | date | None, ...]:
    return (
        row.folio,
        row.vendor_rfc,
        row.vendor_razon_social,
        row.service,
        row.starts_on,
        row.ends_on,
        row.cancelled_on,
        row.status,
        ACUSE_SEPARATOR.join(row.acuse_folios) or None,
    )
