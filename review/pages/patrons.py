"""The staff's read-only view of the patrones (/panel/patrones): a search by NRP or RFC, and a
patrón's data with its relaciones de confianza as its portal tab shows them, without «Borrar»,
and its newest downloads of avisos (who downloaded which, when; `sia avisos descargas` exports
them all).

There is no staff route for the acuses' PDFs (the portal's serves only the signed-in company's
own), so the acuses are named by folio.
"""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import HTTPException, Query, Request, status
from fastapi.responses import HTMLResponse

from review import routing
from review.deps import CurrentStaff, DbSession
from review.inputs import Text
from review.templating import render
from rules.identities import is_valid_nrp
from workflow.avisos.downloads import patron_downloads
from workflow.relationships.table import (
    HEADERS,
    SEARCH_LIMIT,
    normalized_nrp,
    patron_by_nrp,
    patron_relationships,
    search_patrons,
)

router = routing.router(include_in_schema=False)
PAGE = "/panel/patrones"
MAX_QUERY = 40  # an NRP is 11 characters and an RFC 13; room for spaces
SHOWN = 20  # characters of a bad NRP repeated in the 404
LAST_DOWNLOADS = 20  # the patrón's newest downloads of avisos shown on its page
_UNPRINTABLE = re.compile(r"[^\w .\-/&]")


@router.get(PAGE, response_class=HTMLResponse)
def patrons(
    request: Request,
    staff: CurrentStaff,
    session: DbSession,
    q: Annotated[Text | None, Query(max_length=MAX_QUERY)] = None,
) -> HTMLResponse:
    wanted = (q or "").strip()
    # One more than shown tells whether there are more.
    found = search_patrons(session, wanted, limit=SEARCH_LIMIT + 1) if wanted else []
    return render(
        request,
        "patrones.html",
        {
            "staff": staff,
            "seccion": "patrones",
            "q": wanted,
            "patrons": found[:SEARCH_LIMIT],
            "more": len(found) > SEARCH_LIMIT,
            "limit": SEARCH_LIMIT,
        },
    )


def _not_found(nrp: str) -> HTTPException:
    wanted = normalized_nrp(nrp)
    if is_valid_nrp(wanted):
        detail = f"No hay un patrón registrado con el NRP {wanted}."
    else:
        shown = _UNPRINTABLE.sub("?", wanted[:SHOWN]) + ("…" if len(wanted) > SHOWN else "")
        detail = f"«{shown}» no es un NRP: son 11 caracteres, una letra o dígito y 10 dígitos."
    return HTTPException(status.HTTP_404_NOT_FOUND, detail=detail)


@router.get(PAGE + "/{nrp}", response_class=HTMLResponse)
def patron(request: Request, staff: CurrentStaff, session: DbSession, nrp: str) -> HTMLResponse:
    # Any text is accepted here and answered 404 unless it names a patrón: patron_by_nrp never
    # sends the database something that is not an NRP.
    found = patron_by_nrp(session, nrp)
    if found is None:
        raise _not_found(nrp)
    return render(
        request,
        "patrones_detalle.html",
        {
            "staff": staff,
            "seccion": "patrones",
            "patron": found,
            "rows": patron_relationships(session, found),
            "headers": HEADERS,
            "downloads": patron_downloads(session, found, page_size=LAST_DOWNLOADS).rows,
        },
    )
