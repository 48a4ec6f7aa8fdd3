"""Who downloaded which avisos and when (issue 16): the reading side of ``AvisoDownload``, one row
per page the production service served to a vendor's payroll system.

* :func:`patron_downloads`: a patrón's downloads for its portal («Consultas de sus avisos»),
  newest first, a page at a time, with the vendor in the same query (index
  ``ix_aviso_downloads_patron_id_at``).
* :func:`downloads_for_export`: every download that matches, streamed, for operators
  (``sia avisos descargas``) and the portal's export.
* :func:`downloads_workbook`: those rows as an .xlsx.
* :func:`parse_filters`: the filters as people type them (``AAAA-MM-DD`` dates, an RFC), checked
  once for the portal and the command alike; :class:`BadFilter` says in Spanish what is wrong.

``desde`` and ``hasta`` are local days (``settings.tz``), both included: a download belongs to
the day its moment falls on in Mexico City, as the page shows it.

A read model: nothing here changes stored state.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from core.config import get_settings
from rules.formatting import fecha, fecha_hora
from schema import AvisoDownload, Organization, OrganizationKind
from workflow.acuses import ZONE_LABELS
from workflow.spreadsheets import CELL_LIMIT, text_cell

PAGE_SIZE = 50
MAX_PAGE = 10_000
EXPORT_BATCH = 500  # rows fetched at a time while streaming

# The workbook's columns, in order; operators' workbooks over every patrón add PATRON_HEADERS.
HEADERS: tuple[str, ...] = (
    "Fecha y hora",
    "RFC del desarrollador",
    "Razón social del desarrollador",
    "Folio de consulta",
    "Avisos descargados",
    "Folios de los avisos",
    "Consulta",
)
PATRON_HEADERS: tuple[str, ...] = ("NRP del patrón", "Razón social del patrón")
SHEET_TITLE = "Consultas de avisos"
HEADER_ROW = 4
FIRST_DATA_ROW = HEADER_ROW + 1
DATETIME_FORMAT = "dd/mm/yyyy hh:mm:ss"
FOLIO_SEPARATOR = ", "
ALL_AVISOS = "Todos los avisos"
WIDTHS = {
    "Fecha y hora": 20,
    "RFC del desarrollador": 16,
    "Razón social del desarrollador": 40,
    "Folio de consulta": 18,
    "Avisos descargados": 12,
    "Folios de los avisos": 60,
    "Consulta": 50,
    "NRP del patrón": 14,
    "Razón social del patrón": 40,
}

_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# The shape of an RFC (12 characters: persona moral; 13: persona física), not its check digit.
_RFC = re.compile(r"[A-ZÑ&]{3,4}[0-9]{6}[A-Z0-9]{3}")


class BadFilter(ValueError):
    """A filter value that cannot be used; the message says what to correct, in Spanish."""


@dataclass(frozen=True)
class DownloadFilters:
    desde: date | None = None
    hasta: date | None = None
    vendor_rfc: str | None = None


@dataclass(frozen=True)
class DownloadRow:
    """One download as the page, the workbook and the command show it."""

    at: datetime  # aware, UTC
    vendor_rfc: str
    vendor_razon_social: str
    patron_nrp: str | None
    patron_razon_social: str
    folio_consulta: str
    count: int
    folios: tuple[str, ...]  # the avisos served, by folio
    # The query as the vendor's system asked it (None: not given).
    desde: str | None
    hasta: str | None
    nss: str | None
    clase: str | None

    @property
    def consulta(self) -> str:
        """The query in words: «Desde 01/ene/2026 · Hasta 01/mar/2026 · NSS … · Clase …»."""
        parts = []
        if self.desde:
            parts.append(f"Desde {_day_text(self.desde)}")
        if self.hasta:
            parts.append(f"Hasta {_day_text(self.hasta)}")
        if self.nss:
            parts.append(f"NSS {self.nss}")
        if self.clase:
            parts.append(f"Clase {self.clase}")
        return " · ".join(parts) or ALL_AVISOS


@dataclass(frozen=True)
class DownloadPage:
    """A page of downloads; ``has_more`` says whether page ``number + 1`` has any."""

    rows: tuple[DownloadRow, ...]
    number: int
    has_more: bool


def _day_text(value: str) -> str:
    try:
        return fecha(date.fromisoformat(value))
    except ValueError:
        return value


def _parse_day(label: str, value: str | None) -> date | None:
    text = (value or "").strip()
    if not text:
        return None
    if _ISO_DAY.fullmatch(text):
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass
    raise BadFilter(
        f"La fecha «{label}» debe ser un día válido con la forma AAAA-MM-DD "
        "(por ejemplo, 2026-03-15)."
    )


def normal_rfc(value: str | None) -> str | None:
    """An RFC as stored (no spaces, upper case); None for empty text; BadFilter for text that
    does not have the shape of one."""
    text = "".join((value or "").split()).upper()
    if not text:
        return None
    if not _RFC.fullmatch(text):
        raise BadFilter(
            "El RFC del desarrollador tiene 12 caracteres (persona moral) o 13 (persona física), "
            "por ejemplo CAC840428RH1."
        )
    return text


def parse_filters(
    desde: str | None = None, hasta: str | None = None, rfc: str | None = None
) -> DownloadFilters:
    """The filters as typed: ``AAAA-MM-DD`` dates (empty: none) and a desarrollador's RFC."""
    start, end = _parse_day("Desde", desde), _parse_day("Hasta", hasta)
    check_period(start, end)
    return DownloadFilters(start, end, normal_rfc(rfc))


def check_period(desde: date | None, hasta: date | None) -> None:
    if desde is not None and hasta is not None and hasta < desde:
        raise BadFilter("La fecha «Hasta» es anterior a la fecha «Desde».")


def _local_midnight(day: date) -> datetime | None:
    """The UTC moment a local day starts; None past the calendar's ends (no bound there)."""
    try:
        return datetime.combine(day, time(), tzinfo=get_settings().tz).astimezone(UTC)
    except OverflowError:
        return None


def _period_conditions(desde: date | None, hasta: date | None) -> list[Any]:
    conditions: list[Any] = []
    if desde is not None and (start := _local_midnight(desde)) is not None:
        conditions.append(col(AvisoDownload.at) >= start)
    if hasta is not None and hasta < date.max:
        end = _local_midnight(hasta + timedelta(days=1))
        if end is not None:
            conditions.append(col(AvisoDownload.at) < end)
    return conditions


def _text_of(query: Any, key: str) -> str | None:
    value = query.get(key) if isinstance(query, dict) else None
    return None if value is None or value == "" else str(value)


def _row(download: AvisoDownload, vendor: Organization, patron: Organization) -> DownloadRow:
    query = download.query
    return DownloadRow(
        at=download.at,
        vendor_rfc=vendor.rfc,
        vendor_razon_social=vendor.razon_social,
        patron_nrp=patron.nrp,
        patron_razon_social=patron.razon_social,
        folio_consulta=download.folio_consulta,
        count=download.count,
        folios=tuple(str(folio) for folio in download.folios or ()),
        desde=_text_of(query, "desde"),
        hasta=_text_of(query, "hasta"),
        nss=_text_of(query, "nss"),
        clase=_text_of(query, "clase"),
    )


def _newest_first() -> tuple[Any, Any]:
    return col(AvisoDownload.at).desc(), col(AvisoDownload.id).desc()


def patron_downloads(
    session: Session,
    patron: Organization,
    *,
    desde: date | None = None,
    hasta: date | None = None,
    vendor_rfc: str | None = None,
    page: int = 1,
    page_size: int = PAGE_SIZE,
) -> DownloadPage:
    """Page ``page`` (from 1) of ``patron``'s downloads, newest first, optionally within local
    days ``desde``..``hasta`` and by one vendor (``vendor_rfc`` as stored): one query with the
    vendor joined (index ``ix_aviso_downloads_patron_id_at``)."""
    if not 1 <= page <= MAX_PAGE:
        raise ValueError(f"page must be from 1 to {MAX_PAGE}")
    conditions = _period_conditions(desde, hasta)
    if vendor_rfc is not None:
        conditions.append(Organization.rfc == vendor_rfc)
    found = session.exec(
        select(AvisoDownload, Organization)
        .join(Organization, col(Organization.id) == AvisoDownload.vendor_id)
        .where(AvisoDownload.patron_id == patron.id, *conditions)
        .order_by(*_newest_first())
        .offset((page - 1) * page_size)
        .limit(page_size + 1)
    ).all()
    rows = tuple(_row(download, vendor, patron) for download, vendor in found)
    return DownloadPage(rows[:page_size], page, len(rows) > page_size)


def downloads_for_export(
    session: Session,
    *,
    patron: Organization | None = None,
    vendor: Organization | None = None,
    desde: date | None = None,
    hasta: date | None = None,
    batch_size: int = EXPORT_BATCH,
) -> Iterator[DownloadRow]:
    """Every download that matches, newest first, streamed ``batch_size`` rows at a time (a
    server-side cursor on PostgreSQL): the caller consumes it inside the session."""
    vendor_org = aliased(Organization, name="vendor")
    patron_org = aliased(Organization, name="patron")
    conditions = _period_conditions(desde, hasta)
    if patron is not None:
        conditions.append(AvisoDownload.patron_id == patron.id)
    if vendor is not None:
        conditions.append(AvisoDownload.vendor_id == vendor.id)
    found = session.exec(
        select(AvisoDownload, vendor_org, patron_org)
        .join(vendor_org, col(vendor_org.id) == AvisoDownload.vendor_id)
        .join(patron_org, col(patron_org.id) == AvisoDownload.patron_id)
        .where(*conditions)
        .order_by(*_newest_first())
        .execution_options(yield_per=batch_size)
    )
    for download, vendor_row, patron_row in found:
        yield _row(download, vendor_row, patron_row)


def vendor_by_rfc(session: Session, rfc: str) -> Organization | None:
    """The desarrollador with this RFC (as :func:`normal_rfc` gives it), or None."""
    return session.exec(
        select(Organization).where(
            Organization.kind == OrganizationKind.DESARROLLADOR, Organization.rfc == rfc
        )
    ).first()


def local_moment(value: datetime) -> datetime:
    """``value`` in local time without its zone, as a spreadsheet cell holds it."""
    return value.astimezone(get_settings().tz).replace(tzinfo=None)


def _filter_text(desde: date | None, hasta: date | None, vendor_rfc: str | None) -> str:
    parts = []
    if desde is not None:
        parts.append(f"desde el {fecha(desde)}")
    if hasta is not None:
        parts.append(f"hasta el {fecha(hasta)}")
    if vendor_rfc:
        parts.append(f"desarrollador {vendor_rfc}")
    return ", ".join(parts) if parts else "todas"


def downloads_workbook(
    rows: Iterable[DownloadRow],
    *,
    generated_at: datetime,
    patron: Organization | None = None,
    desde: date | None = None,
    hasta: date | None = None,
    vendor_rfc: str | None = None,
) -> bytes:
    """The .xlsx of ``rows``, written as they come (a write-only sheet: a long export is not
    held in memory as cells).

    Rows 1 and 2 name the patrón (or «todos los patrones», and then each row names its patrón
    in the :data:`PATRON_HEADERS` columns), the filters and when it was generated
    (``generated_at``, aware); row :data:`HEADER_ROW` holds :data:`HEADERS`, bold, with an
    autofilter, frozen above the data. «Fecha y hora» is a date-time cell in local time; «Avisos
    descargados» a number; the rest text, never a formula (``workflow.spreadsheets``)."""
    settings = get_settings()
    headers = HEADERS + (PATRON_HEADERS if patron is None else ())
    book = Workbook(write_only=True)
    sheet = book.create_sheet(SHEET_TITLE)
    for column, header in enumerate(headers, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = WIDTHS[header]
    sheet.freeze_panes = f"A{FIRST_DATA_ROW}"

    def text(value: str, *, bold: bool = False, size: float | None = None) -> Any:
        cell = text_cell(WriteOnlyCell(sheet), value)
        if bold:
            cell.font = Font(bold=True, size=size)
        return cell

    whose = (
        f"NRP {patron.nrp or '—'} · {patron.razon_social}"
        if patron is not None
        else "todos los patrones"
    )
    zone = ZONE_LABELS.get(settings.timezone, settings.timezone)
    sheet.append([text(f"{SHEET_TITLE} · {whose}", bold=True, size=12)])
    sheet.append(
        [
            text(
                f"Consultas: {_filter_text(desde, hasta, vendor_rfc)} · Generado el "
                f"{fecha_hora(generated_at, settings.tz)} ({zone})"
            )
        ]
    )
    sheet.append([])
    sheet.append([text(header, bold=True) for header in headers])

    count = 0
    for row in rows:
        moment = WriteOnlyCell(sheet, value=local_moment(row.at).replace(microsecond=0))
        moment.number_format = DATETIME_FORMAT
        folios = FOLIO_SEPARATOR.join(row.folios)
        if len(folios) > CELL_LIMIT:
            folios = folios[: CELL_LIMIT - 1] + "…"
        values: list[Any] = [
            moment,
            text(row.vendor_rfc),
            text(row.vendor_razon_social),
            text(row.folio_consulta),
            WriteOnlyCell(sheet, value=row.count),
            text(folios),
            text(row.consulta),
        ]
        if patron is None:
            values += [text(row.patron_nrp or ""), text(row.patron_razon_social)]
        sheet.append(values)
        count += 1

    sheet.auto_filter.ref = f"A{HEADER_ROW}:{get_column_letter(len(headers))}{HEADER_ROW + count}"
    book.properties.creator = "SIA Certificación"
    book.properties.title = SHEET_TITLE
    book.properties.created = generated_at.astimezone(UTC).replace(tzinfo=None)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
