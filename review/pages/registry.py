"""The public registry of certified vendors (issue 15), for anyone and without signing in: the
list of certificates in force with a search by RFC or razón social, and each certificate's
permanent page, which says whether it is in force or since when it is cancelled.

A search that is a whole RFC lists every certificate of that RFC, cancelled ones too, so a patrón
checking a vendor sees «Cancelado» rather than nothing. A query value the page cannot use is
answered with the page itself, what was sent and a Spanish message (422), never an error.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated
from urllib.parse import urlencode

from fastapi import HTTPException, Path, Query, Request, status
from fastapi.responses import HTMLResponse

from core.config import get_settings
from review import routing
from review.deps import DbSession
from review.inputs import Text
from review.templating import render
from workflow.registry import (
    MAX_PAGE,
    MAX_SEARCH,
    certificate_by_folio,
    is_folio,
    list_certificates,
    normal_rfc,
)

router = routing.router(include_in_schema=False)

REGISTRY_PATH = "/desarrolladores-certificados"
BAD_FOLIO = "El folio de un certificado tiene 10 dígitos; revise el enlace."


def certificate_path(folio: str) -> str:
    return f"{REGISTRY_PATH}/{folio}"


def certificate_url(folio: str) -> str:
    """The certificate's permanent, absolute URL (``SIA_BASE_URL``)."""
    return get_settings().base_url.rstrip("/") + certificate_path(folio)


def no_certificate(folio: str) -> str:
    return f"No hay un certificado con el folio {folio}."


class BadQuery(ValueError):
    """A query value the registry cannot use; the message says what to correct, in Spanish."""


def _page_number(value: str | None) -> int:
    text = (value or "").strip()
    if not text:
        return 1
    digits = text.isascii() and text.isdigit() and len(text) <= len(str(MAX_PAGE))
    if not digits or not 1 <= int(text) <= MAX_PAGE:
        raise BadQuery(f"La página debe ser un número entero de 1 a {MAX_PAGE:,}.")
    return int(text)


def _search(value: str | None) -> str:
    text = " ".join((value or "").split())
    if len(text) > MAX_SEARCH:
        raise BadQuery(
            f"Para buscar por RFC o razón social escriba a lo más {MAX_SEARCH} caracteres."
        )
    return text


def _link(search: str, page: int) -> str:
    params = []
    if search:
        params.append(("buscar", search))
    if page > 1:
        params.append(("pagina", str(page)))
    query = urlencode(params)
    return f"{REGISTRY_PATH}?{query}" if query else REGISTRY_PATH


Param = Annotated[Text | None, Query()]


@router.get(REGISTRY_PATH, response_class=HTMLResponse)
def registry(
    request: Request, session: DbSession, buscar: Param = None, pagina: Param = None
) -> HTMLResponse:
    context: dict[str, object] = {"buscar": buscar or ""}
    try:
        search, number = _search(buscar), _page_number(pagina)
    except BadQuery as problem:
        return render(request, "registro_lista.html", {**context, "problema": str(problem)}, 422)
    rfc = normal_rfc(search)
    page = (
        list_certificates(session, rfc=rfc, page=number)
        if rfc is not None
        else list_certificates(session, search=search or None, page=number)
    )
    links: Mapping[str, str | None] = {
        "anterior": _link(search, number - 1) if number > 1 else None,
        "siguiente": _link(search, number + 1) if page.has_more else None,
    }
    return render(
        request,
        "registro_lista.html",
        {**context, "buscar": search, "rfc": rfc, "page": page, **links},
    )


@router.get(REGISTRY_PATH + "/{folio}", response_class=HTMLResponse)
def certificate(
    request: Request,
    session: DbSession,
    folio: Annotated[Text, Path(description="Folio del certificado: 10 dígitos")],
) -> HTMLResponse:
    if not is_folio(folio):
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail=BAD_FOLIO)
    found = certificate_by_folio(session, folio)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=no_certificate(folio))
    response = render(
        request,
        "registro_certificado.html",
        {"certificado": found, "url": certificate_url(found.folio)},
    )
    # Whoever checks a certificate must see a cancellation at once, not a stored copy.
    response.headers["Cache-Control"] = "no-cache"
    return response
