"""The «Relaciones de confianza» tab of a patrón (DOMAIN §2 process 3), as the relationships
guide shows it: the terms once per session, then three buttons — «Ver Términos y condiciones»,
«Exportar tabla», «Adicionar relación» — and the table of its relationships.

The table asks for itself again every few seconds while a request is `En proceso` (a worker
registers it). The steps signed with the e.firma (Adicionar, Borrar) are in
``relationships_signing``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from core.clock import utcnow
from review import routing
from review.deps import CurrentPatron, DbSession
from review.inputs import Text
from review.pages.portal.documents import download_path
from review.pages.portal.shared import ACCEPTED, Checkbox, portal_context
from review.refusals import http_status
from review.templating import render
from schema import RelationshipStatus
from workflow.portal.accounts import SignedInCompany
from workflow.portal.terms import TermsKind, terms
from workflow.refusals import RelationshipRefused
from workflow.relationships.export import table_workbook
from workflow.relationships.requests import vendor_choices, vendor_not_offered
from workflow.relationships.table import HEADERS, patron_relationships

router = routing.router(include_in_schema=False)

TAB = "/portal/relaciones"
TERMS = TAB + "/terminos"
TABLE = TAB + "/tabla"
EXPORT = TAB + "/exportar"
SUGGESTIONS = TAB + "/desarrolladores"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# What a redirect to the tab announces (?aviso=…), so that reloading it repeats nothing.
NOTICES = {
    "en-proceso": (
        "Su solicitud quedó «En proceso». En unos minutos aparecerá como «Relación Vigente» y "
        "recibirá el acuse por correo; esta tabla se actualiza sola."
    ),
    "cancelada": (
        "La relación quedó cancelada; el desarrollador ya no puede consultar los avisos de sus "
        "trabajadores. Puede descargar el acuse de cancelación en la tabla."
    ),
    "firma-usada": "Esta firma ya se había usado; esta es la tabla actual.",
}


def page(
    request: Request,
    company: SignedInCompany,
    template: str,
    context: dict[str, Any] | None = None,
    code: int = status.HTTP_200_OK,
) -> HTMLResponse:
    frame = {**portal_context(company, "relaciones"), "terms": terms(TermsKind.RELACIONES)}
    return render(request, template, {**frame, **(context or {})}, code)


def terms_accepted(company: SignedInCompany) -> bool:
    return company.row.relationship_terms_at is not None


def to_tab(notice: str | None = None) -> RedirectResponse:
    target = f"{TAB}?aviso={notice}" if notice else TAB
    return RedirectResponse(target, status_code=status.HTTP_303_SEE_OTHER)


def _table(session: Session, company: SignedInCompany) -> dict[str, Any]:
    rows = patron_relationships(session, company.organization)
    return {
        "rows": rows,
        "headers": HEADERS,
        "in_process": any(r.relationship.status is RelationshipStatus.EN_PROCESO for r in rows),
        "document_path": download_path,
    }


def tab_page(
    request: Request,
    session: Session,
    company: SignedInCompany,
    *,
    error: str | None = None,
    notice: str | None = None,
    code: int = status.HTTP_200_OK,
) -> HTMLResponse:
    context: dict[str, Any] = {
        "accepted": terms_accepted(company),
        "error": error,
        "notice": notice,
    }
    if context["accepted"]:
        context |= _table(session, company)
    return page(request, company, "portal/relaciones.html", context, code)


def refused(
    request: Request, session: Session, company: SignedInCompany, exc: RelationshipRefused
) -> HTMLResponse:
    return tab_page(request, session, company, error=str(exc), code=http_status(exc))


@router.get(TAB, response_class=HTMLResponse)
def relationships_tab(
    request: Request,
    company: CurrentPatron,
    session: DbSession,
    aviso: Annotated[Text, Query(max_length=40)] = "",
) -> HTMLResponse:
    return tab_page(request, session, company, notice=NOTICES.get(aviso))


@router.post(TERMS, response_class=HTMLResponse)
def accept_terms(
    request: Request, company: CurrentPatron, session: DbSession, acepto: Checkbox = ""
) -> Response:
    if acepto != ACCEPTED:
        return tab_page(
            request,
            session,
            company,
            error="Para continuar, marque «He leído y acepto las condiciones de este servicio».",
            code=status.HTTP_400_BAD_REQUEST,
        )
    company.row.relationship_terms_at = utcnow()
    session.add(company.row)
    session.commit()
    return to_tab()


@router.get(TERMS, response_class=HTMLResponse)
def show_terms(request: Request, company: CurrentPatron) -> HTMLResponse:
    """«Ver Términos y condiciones»."""
    return page(request, company, "portal/relaciones_terminos.html")


@router.get(TABLE, response_class=HTMLResponse)
def table(request: Request, company: CurrentPatron, session: DbSession) -> Response:
    """The table alone, for htmx while a request is `En proceso`."""
    if not terms_accepted(company):
        return to_tab()
    return page(request, company, "portal/_relaciones_tabla.html", _table(session, company))


@router.get(EXPORT)
def export(company: CurrentPatron, session: DbSession) -> Response:
    """«Exportar tabla»: the same rows as an Excel workbook."""
    if not terms_accepted(company):
        return to_tab()
    patron = company.organization
    now = utcnow()
    content = table_workbook(patron_relationships(session, patron), generated_at=now, patron=patron)
    name = f"relaciones-de-confianza-{patron.nrp or patron.rfc}-{now:%Y%m%d}.xlsx"
    return Response(
        content,
        media_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get(SUGGESTIONS, response_class=HTMLResponse)
def suggestions(
    request: Request,
    company: CurrentPatron,
    session: DbSession,
    desarrollador: Annotated[Text, Query(max_length=300)] = "",
) -> HTMLResponse:
    """The typeahead of «Adicionar relación»: certified vendors only; a vendor that is not
    certified is explained, not offered."""
    found = vendor_choices(session, desarrollador)
    context = {
        "suggestions": found,
        "explanation": None if found else vendor_not_offered(session, desarrollador),
    }
    return page(request, company, "portal/_relaciones_sugerencias.html", context)
