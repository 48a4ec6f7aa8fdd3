"""«Consultas de sus avisos» (issue 16): in its «Relaciones de confianza» tab, a patrón sees which
desarrollador downloaded which of its avisos and when — its own downloads only — filtered by
local days (desde, hasta) and the desarrollador's RFC, a page at a time, and exports the same
filter as .xlsx.

Like the tab's table, it needs the tab's terms accepted (otherwise: back to the tab). A filter
value the page cannot use is answered with the page itself, what was sent and a Spanish message
(422), never an error.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Query, Request, status
from fastapi.responses import HTMLResponse, Response

from core.clock import utcnow
from review import routing
from review.deps import CurrentPatron, DbSession
from review.inputs import Text
from review.pages.portal.relationships import TAB, XLSX, page, terms_accepted, to_tab
from workflow.avisos.downloads import (
    MAX_PAGE,
    BadFilter,
    DownloadFilters,
    DownloadRow,
    downloads_for_export,
    downloads_workbook,
    parse_filters,
    patron_downloads,
    vendor_by_rfc,
)
from workflow.portal.accounts import SignedInCompany

router = routing.router(include_in_schema=False)

DOWNLOADS = TAB + "/consultas"
EXPORT = DOWNLOADS + ".xlsx"
TEMPLATE = "portal/consultas.html"

Param = Annotated[Text | None, Query(max_length=40)]


def _page_number(value: str | None) -> int:
    text = (value or "").strip()
    if not text:
        return 1
    digits = text.isascii() and text.isdigit() and len(text) <= len(str(MAX_PAGE))
    if not digits or not 1 <= int(text) <= MAX_PAGE:
        raise BadFilter(f"La página debe ser un número entero de 1 a {MAX_PAGE:,}.")
    return int(text)


def _params(filters: DownloadFilters) -> list[tuple[str, str]]:
    params = []
    if filters.desde is not None:
        params.append(("desde", filters.desde.isoformat()))
    if filters.hasta is not None:
        params.append(("hasta", filters.hasta.isoformat()))
    if filters.vendor_rfc:
        params.append(("rfc", filters.vendor_rfc))
    return params


def _link(path: str, filters: DownloadFilters, number: int = 1) -> str:
    params = _params(filters)
    if number > 1:
        params.append(("pagina", str(number)))
    query = urlencode(params)
    return f"{path}?{query}" if query else path


def _refused(
    request: Request,
    company: SignedInCompany,
    problem: BadFilter,
    sent: dict[str, str | None],
) -> HTMLResponse:
    context = {"error": str(problem), "sent": {k: v or "" for k, v in sent.items()}}
    return page(request, company, TEMPLATE, context, status.HTTP_422_UNPROCESSABLE_CONTENT)


@router.get(DOWNLOADS, response_class=HTMLResponse)
def downloads(
    request: Request,
    company: CurrentPatron,
    session: DbSession,
    desde: Param = None,
    hasta: Param = None,
    rfc: Param = None,
    pagina: Param = None,
) -> Response:
    if not terms_accepted(company):
        return to_tab()
    sent = {"desde": desde, "hasta": hasta, "rfc": rfc}
    try:
        filters = parse_filters(desde, hasta, rfc)
        number = _page_number(pagina)
    except BadFilter as problem:
        return _refused(request, company, problem, sent)
    found = patron_downloads(
        session,
        company.organization,
        desde=filters.desde,
        hasta=filters.hasta,
        vendor_rfc=filters.vendor_rfc,
        page=number,
    )
    context: dict[str, Any] = {
        "sent": {
            "desde": filters.desde.isoformat() if filters.desde else "",
            "hasta": filters.hasta.isoformat() if filters.hasta else "",
            "rfc": filters.vendor_rfc or "",
        },
        "filtered": bool(_params(filters)),
        "downloads": found,
        "export": _link(EXPORT, filters),
        "anterior": _link(DOWNLOADS, filters, number - 1) if number > 1 else None,
        "siguiente": _link(DOWNLOADS, filters, number + 1) if found.has_more else None,
    }
    return page(request, company, TEMPLATE, context)


@router.get(EXPORT)
def export(
    request: Request,
    company: CurrentPatron,
    session: DbSession,
    desde: Param = None,
    hasta: Param = None,
    rfc: Param = None,
) -> Response:
    """The same filter as the page, every page of it, as an Excel workbook."""
    if not terms_accepted(company):
        return to_tab()
    try:
        filters = parse_filters(desde, hasta, rfc)
    except BadFilter as problem:
        return _refused(request, company, problem, {"desde": desde, "hasta": hasta, "rfc": rfc})
    patron = company.organization
    now = utcnow()
    vendor = vendor_by_rfc(session, filters.vendor_rfc) if filters.vendor_rfc else None
    rows: Iterable[DownloadRow] = (
        ()  # no desarrollador has that RFC: nobody with it downloaded anything
        if filters.vendor_rfc and vendor is None
        else downloads_for_export(
            session, patron=patron, vendor=vendor, desde=filters.desde, hasta=filters.hasta
        )
    )
    content = downloads_workbook(
        rows,
        generated_at=now,
        patron=patron,
        desde=filters.desde,
        hasta=filters.hasta,
        vendor_rfc=filters.vendor_rfc,
    )
    name = f"consultas-de-avisos-{patron.nrp or patron.rfc}-{now:%Y%m%d}.xlsx"
    return Response(
        content,
        media_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
