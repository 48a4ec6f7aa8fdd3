"""The companies' sign-in and sign-out, in the manner of the staff's (review/pages/session.py):
double-submit CSRF before sign-in, throttling with Retry-After, a new session id at every
sign-in, audit, 303.

After a few recent failures for one NRP/RFC and email from one address, the form shows a captcha
and the sign-in requires it solved. A wrong or missing answer counts as a failure too, so that
the throttle still stops a guesser who ignores the image.
"""

from __future__ import annotations

import base64
from typing import Annotated

from fastapi import Form, HTTPException, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from core.clock import utcnow
from review import routing
from review.deps import (
    COMPANY_COOKIE,
    CSRF_REFUSED,
    ORIGIN_REFUSED,
    PORTAL_SIGN_IN,
    PRE_SESSION_COOKIE,
    CurrentCompany,
    DbSession,
    SentCsrf,
    client_address,
    cookie_options,
    pre_session_token_matches,
    same_origin,
)
from review.inputs import Text
from review.templating import render
from schema import CompanyAccount, Organization
from workflow.portal.accounts import (
    authenticate_company,
    end_company_session,
    open_company_session,
    sign_in_attempt,
)
from workflow.portal.captcha import Challenge, new_challenge, solve
from workflow.throttle import Throttled, recent_failures, throttled

router = routing.router(include_in_schema=False)

PORTAL_HOME = "/portal"
SIGN_OUT = "/portal/salir"
# Failures (for that NRP/RFC and email, from that address, within the throttle's window) after
# which the form asks for the captcha; the throttle itself stops at workflow.throttle's limit.
CAPTCHA_AFTER = 3

WRONG_CREDENTIALS = "El NRP o RFC, el correo electrónico o la contraseña son incorrectos."
WRONG_CAPTCHA = (
    "Escriba el texto de la imagen tal como aparece; si no se lee bien, escriba el de la imagen "
    "nueva."
)
NOT_CONFIRMED = (
    "Confirme su correo antes de ingresar: abra el enlace del mensaje que le enviamos al "
    "registrar la empresa. Si el enlace venció, regístrese de nuevo para recibir otro."
)


def captcha_image(challenge: Challenge) -> str:
    """The image as a data: URL (the pages' CSP allows ``img-src data:``), so that no URL
    serves captchas apart from the page that asks for one."""
    return "data:image/png;base64," + base64.b64encode(challenge.png).decode("ascii")


def _form(
    request: Request,
    *,
    error: str | None,
    values: dict[str, str],
    code: int,
    challenge: Challenge | None = None,
) -> HTMLResponse:
    context = {
        "error": error,
        "values": values,
        "captcha_token": challenge.token if challenge else None,
        "captcha_src": captcha_image(challenge) if challenge else None,
    }
    return render(request, "portal/ingresar.html", context, code)


@router.get(PORTAL_SIGN_IN, response_class=HTMLResponse)
def sign_in_form(request: Request) -> HTMLResponse:
    return _form(request, error=None, values={}, code=status.HTTP_200_OK)


def _refused(
    request: Request,
    session: Session,
    identifier: str,
    email: str,
    *,
    error: str,
    code: int,
) -> HTMLResponse:
    """The form again, with a new captcha once this account has failed often enough here."""
    attempt = sign_in_attempt(identifier, email, client_address(request))
    challenge = None
    if recent_failures(session, attempt, utcnow()) >= CAPTCHA_AFTER:
        challenge = new_challenge(session)
    session.commit()
    values = {"identificador": identifier, "email": email}
    return _form(request, error=error, values=values, code=code, challenge=challenge)


@router.post(PORTAL_SIGN_IN)
def sign_in(
    request: Request,
    session: DbSession,
    sent: SentCsrf,
    identificador: Annotated[Text, Form(max_length=100)] = "",
    email: Annotated[Text, Form(max_length=320)] = "",
    password: Annotated[Text, Form(max_length=1024)] = "",
    captcha_token: Annotated[Text, Form(max_length=200)] = "",
    captcha: Annotated[Text, Form(max_length=100)] = "",
) -> Response:
    if not same_origin(request):
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail=ORIGIN_REFUSED)
    if not pre_session_token_matches(request, sent):
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail=CSRF_REFUSED)
    identifier, address = identificador.strip().upper(), email.strip().lower()
    attempt = sign_in_attempt(identifier, address, client_address(request))
    needs_captcha = recent_failures(session, attempt, utcnow()) >= CAPTCHA_AFTER
    captcha_failed = False

    def check() -> tuple[CompanyAccount, Organization] | None:
        nonlocal captcha_failed
        # Solved (and so spent) before the password is even hashed: a guesser pays an image
        # for every try.
        if needs_captcha and not solve(session, captcha_token, captcha):
            captcha_failed = True
            return None
        return authenticate_company(session, identifier, address, password)

    try:
        found = throttled(session, attempt, check)
    except Throttled as exc:
        values = {"identificador": identifier, "email": address}
        response = _form(
            request, error=str(exc), values=values, code=status.HTTP_429_TOO_MANY_REQUESTS
        )
        response.headers["Retry-After"] = str(exc.seconds)
        return response
    if found is None:
        if captcha_failed:
            error, code = WRONG_CAPTCHA, status.HTTP_400_BAD_REQUEST
        else:
            error, code = WRONG_CREDENTIALS, status.HTTP_401_UNAUTHORIZED
        return _refused(request, session, identifier, address, error=error, code=code)
    account, _organization = found
    if account.email_confirmed_at is None:
        # The password was right: saying why it cannot sign in tells the owner what to do.
        return _refused(
            request,
            session,
            identifier,
            address,
            error=NOT_CONFIRMED,
            code=status.HTTP_403_FORBIDDEN,
        )
    # A new session id at every sign-in, whatever cookie the browser brought (no fixation).
    opened = open_company_session(
        session,
        account,
        address=client_address(request),
        user_agent=request.headers.get("user-agent", ""),
    )
    session.commit()
    signed_in = RedirectResponse(PORTAL_HOME, status_code=status.HTTP_303_SEE_OTHER)
    signed_in.set_cookie(COMPANY_COOKIE, opened.cookie, **cookie_options())
    signed_in.delete_cookie(PRE_SESSION_COOKIE, path="/")
    return signed_in


@router.post(SIGN_OUT)
def sign_out(company: CurrentCompany, session: DbSession) -> RedirectResponse:
    end_company_session(session, company.row, company.account)
    session.commit()
    response = RedirectResponse(PORTAL_SIGN_IN, status_code=status.HTTP_303_SEE_OTHER)
    response.delete_cookie(COMPANY_COOKIE, path="/")
    return response
