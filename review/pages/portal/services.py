"""The Servicios de Intercomunicación: the portal's entry after sign-in. The service is its tabs
(shared.portal_context gives them to every page); its entry opens the first one."""

from __future__ import annotations

from fastapi import status
from fastapi.responses import RedirectResponse

from review import routing
from review.deps import CurrentCompany

router = routing.router(include_in_schema=False)

PORTAL = "/portal"
FIRST_TAB = "/portal/contrasena"


@router.get(PORTAL)
def services(company: CurrentCompany) -> RedirectResponse:
    """The links in emails and on the home page land here: a company that is not signed in is
    sent to the sign-in form by CurrentCompany, a signed-in one to «Generación de contraseña»,
    the one tab every kind of company has."""
    del company  # only its presence matters
    return RedirectResponse(FIRST_TAB, status_code=status.HTTP_303_SEE_OTHER)
