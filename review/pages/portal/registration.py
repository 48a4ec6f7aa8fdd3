"""Registering a company in the portal with its e.firma, and confirming its email.

Both forms are shown before sign-in, so their CSRF token is the pre-session cookie sent back in
the form (double submit), as on /ingresar. The confirmation link only shows a button: mail
scanners open links to inspect them, and such a visit must not confirm anything.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import File, Form, HTTPException, Query, Request, UploadFile, status
from fastapi.responses import HTMLResponse, Response

from review import routing
from review.deps import (
    CSRF_REFUSED,
    ORIGIN_REFUSED,
    PORTAL_SIGN_IN,
    DbSession,
    SentCsrf,
    client_address,
    pre_session_token_matches,
    same_origin,
)
from review.inputs import Text
from review.pages.portal.shared import IncompleteEFirma, efirma_input
from review.refusals import http_status
from review.templating import render
from schema import OrganizationKind
from workflow.portal.accounts import (
    CONFIRMATION_HOURS,
    KIND_LABELS,
    MAX_PASSWORD_LENGTH,
    MIN_PASSWORD_LENGTH,
    Registration,
    confirm_email,
    register,
)
from workflow.refusals import AccountRefused, EFirmaRefused
from workflow.throttle import Throttled

router = routing.router(include_in_schema=False)

REGISTER = "/portal/registro"
CONFIRM = "/portal/confirmar"
# Generous: a value too long for its field is refused by the workflow with its own message,
# and only absurd lengths get the generic 422.
SHORT_FIELD = 100
TOKEN_LIMIT = 500  # a confirmation token is about 150 characters
INCOMPLETE_LINK = (
    "El enlace de confirmación no es válido: está incompleto. Ábralo tal como llegó en el "
    "correo, o regístrese de nuevo para recibir otro."
)

KIND_ORDER = (OrganizationKind.PATRON, OrganizationKind.DESARROLLADOR)

FileField = Annotated[UploadFile | None, File()]


def _check_origin(request: Request, sent: str | None) -> None:
    if not same_origin(request):
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail=ORIGIN_REFUSED)
    if not pre_session_token_matches(request, sent):
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail=CSRF_REFUSED)


def _form(request: Request, error: str | None, values: dict[str, str], code: int) -> HTMLResponse:
    context = {
        "error": error,
        "values": values,
        # In the guide's order: the patrón first.
        "kinds": [(kind.value, KIND_LABELS[kind]) for kind in KIND_ORDER],
        "min_password": MIN_PASSWORD_LENGTH,
        "max_password": MAX_PASSWORD_LENGTH,
    }
    return render(request, "portal/registro.html", context, code)


@router.get(REGISTER, response_class=HTMLResponse)
def registration_form(request: Request) -> HTMLResponse:
    return _form(request, None, {}, status.HTTP_200_OK)


@router.post(REGISTER)
def register_company(
    request: Request,
    session: DbSession,
    sent: SentCsrf,
    tipo: Annotated[Text, Form(max_length=SHORT_FIELD)] = "",
    rfc: Annotated[Text, Form(max_length=SHORT_FIELD)] = "",
    nrp: Annotated[Text, Form(max_length=SHORT_FIELD)] = "",
    email: Annotated[Text, Form(max_length=320)] = "",
    password: Annotated[Text, Form(max_length=MAX_PASSWORD_LENGTH)] = "",
    password_confirmacion: Annotated[Text, Form(max_length=MAX_PASSWORD_LENGTH)] = "",
    efirma_password: Annotated[Text, Form(max_length=1024)] = "",
    cer: FileField = None,
    key: FileField = None,
) -> Response:
    _check_origin(request, sent)
    # Passwords are never sent back to the browser.
    values = {"tipo": tipo, "rfc": rfc, "nrp": nrp, "email": email}
    try:
        efirma = efirma_input(cer, key, efirma_password)
    except IncompleteEFirma as exc:
        return _form(request, str(exc), values, status.HTTP_400_BAD_REQUEST)
    form = Registration(
        kind=tipo,
        rfc=rfc,
        nrp=nrp,
        email=email,
        password=password,
        password_again=password_confirmacion,
    )
    try:
        registered = register(
            session,
            form,
            cer=efirma.cer,
            key=efirma.key,
            efirma_password=efirma.password,
            address=client_address(request),
        )
    except Throttled as exc:
        session.rollback()
        response = _form(request, str(exc), values, status.HTTP_429_TOO_MANY_REQUESTS)
        response.headers["Retry-After"] = str(exc.seconds)
        return response
    except (AccountRefused, EFirmaRefused) as exc:
        session.rollback()
        return _form(request, str(exc), values, http_status(exc))
    session.commit()
    context = {"email": registered.account.email, "hours": CONFIRMATION_HOURS}
    return render(request, "portal/registro_enviado.html", context)


def _confirmation(
    request: Request, *, token: str = "", error: str | None = None, confirmed: bool = False
) -> HTMLResponse:
    code = status.HTTP_400_BAD_REQUEST if error else status.HTTP_200_OK
    context = {"token": token, "error": error, "confirmed": confirmed, "sign_in": PORTAL_SIGN_IN}
    return render(request, "portal/confirmar.html", context, code)


@router.get(CONFIRM, response_class=HTMLResponse)
def confirmation_page(
    request: Request, token: Annotated[Text, Query(max_length=TOKEN_LIMIT)] = ""
) -> HTMLResponse:
    if not token.strip():
        return _confirmation(request, error=INCOMPLETE_LINK)
    return _confirmation(request, token=token.strip())


@router.post(CONFIRM, response_class=HTMLResponse)
def confirm(
    request: Request,
    session: DbSession,
    sent: SentCsrf,
    token: Annotated[Text, Form(max_length=TOKEN_LIMIT)] = "",
) -> HTMLResponse:
    _check_origin(request, sent)
    if not token.strip():
        return _confirmation(request, error=INCOMPLETE_LINK)
    try:
        confirm_email(session, token.strip())
    except AccountRefused as exc:
        session.rollback()
        return _confirmation(request, error=str(exc))
    session.commit()
    return _confirmation(request, confirmed=True)
