"""The old evidence page (RFC + SIA password in the form): the upload now lives in the portal,
«Certificación (Desarrolladores)» > «Seguimiento a Certificación», behind the company's sign-in
and its e.firma. The path still answers, so that the links of emails already sent and forms left
open in a browser lead there."""

from __future__ import annotations

from fastapi import status
from fastapi.responses import RedirectResponse

from review import routing
from review.pages.portal.certification import TAB

router = routing.router(include_in_schema=False)

UPLOAD_PATH = "/portal/evidencias"


def _to_the_tab() -> RedirectResponse:
    return RedirectResponse(TAB, status_code=status.HTTP_303_SEE_OTHER)


@router.get(UPLOAD_PATH)
def old_upload_page() -> RedirectResponse:
    return _to_the_tab()


@router.post(UPLOAD_PATH)
async def old_upload() -> RedirectResponse:
    # Async and without parameters: the body of an old form's upload is never read (the path
    # stays exempt from BodyLimit, so even a large one gets the redirect, not a 413).
    return _to_the_tab()
