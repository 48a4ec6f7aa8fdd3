"""The «Generación de contraseña» tab (DOMAIN §2, process 1), step by step as the portal guide
shows it: terms → «Continuar» → e.firma → «Validar» → «Solicitud de trámite» → «Continuar» →
«Respuesta firmada electrónicamente»; and «Cancelar contraseña» and «Recuperar contraseña».

No page ever shows the SIA password: it goes only by email. Each POST commits the workflow's
transaction; a refusal rolls back, except for what must outlive it (the throttle's count, which
the workflow commits itself, and a spent captcha).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Form, Query, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from review import routing
from review.deps import CurrentCompany, DbSession, client_address
from review.inputs import Text
from review.pages.portal.documents import LABELS, download_path
from review.pages.portal.session import captcha_image
from review.pages.portal.shared import (
    ACCEPTED,
    Checkbox,
    FileField,
    IncompleteEFirma,
    efirma_input,
    portal_context,
)
from review.refusals import http_status
from review.templating import render
from workflow.portal.accounts import SignedInCompany
from workflow.portal.captcha import new_challenge
from workflow.portal.sia_password import (
    cancel_password,
    company_documents,
    confirm_generation,
    ever_generated,
    has_password,
    recover_password,
    sign_generation,
)
from workflow.portal.signatures import SIGNATURE_MINUTES
from workflow.portal.terms import terms
from workflow.refusals import (
    EFirmaRefused,
    Refused,
    SiaPasswordReason,
    SiaPasswordRefused,
    SignatureRefused,
)
from workflow.throttle import Throttled

router = routing.router(include_in_schema=False)

TAB = "/portal/contrasena"
TERMS = TAB + "/terminos"
EFIRMA = TAB + "/efirma"
CONFIRM = TAB + "/confirmar"
CANCEL = TAB + "/cancelar"
RECOVER = TAB + "/recuperar"

TERMS_REQUIRED = "Para continuar, marque la casilla «Acepto términos y condiciones»."
ALREADY_HAS_ONE = (
    "Su empresa ya tiene una contraseña de los Servicios de Intercomunicación; no se genera "
    "otra mientras esté vigente. Use «Recuperar contraseña» o «Cancelar contraseña»."
)
# What a redirect back to the tab announces (?aviso=…), so that reloading it repeats nothing.
NOTICES = {
    "cancelada": (
        "Su contraseña de los Servicios de Intercomunicación quedó cancelada y ya no funciona. "
        "Puede generar una nueva cuando la necesite."
    ),
    "recuperada": "Le enviamos una contraseña nueva a {email}. La anterior ya no funciona.",
}


def _page(
    request: Request,
    company: SignedInCompany,
    template: str,
    context: dict[str, Any] | None = None,
    code: int = status.HTTP_200_OK,
) -> HTMLResponse:
    return render(
        request, template, {**portal_context(company, "contrasena"), **(context or {})}, code
    )


def _tab(
    request: Request,
    session: Session,
    company: SignedInCompany,
    *,
    notice: str | None = None,
    error: str | None = None,
    code: int = status.HTTP_200_OK,
) -> HTMLResponse:
    documents = [
        (document, LABELS.get(document.kind, "Documento firmado"), download_path(document))
        for document in company_documents(session, company.organization)
    ]
    context = {
        "has_password": has_password(company.organization),
        "may_recover": ever_generated(session, company.organization),
        "terms": terms(),
        "documents": documents,
        "notice": notice,
        "error": error,
    }
    return _page(request, company, "portal/contrasena.html", context, code)


def _refused_tab(
    request: Request, session: Session, company: SignedInCompany, refused: Refused
) -> HTMLResponse:
    return _tab(request, session, company, error=str(refused), code=http_status(refused))


def _to_tab(notice: str) -> RedirectResponse:
    return RedirectResponse(f"{TAB}?aviso={notice}", status_code=status.HTTP_303_SEE_OTHER)


@router.get(TAB, response_class=HTMLResponse)
def password_tab(
    request: Request,
    company: CurrentCompany,
    session: DbSession,
    aviso: Annotated[Text | None, Query(max_length=20)] = None,
) -> HTMLResponse:
    notice = NOTICES.get(aviso or "")
    if notice is not None:
        notice = notice.format(email=company.organization.email)
    return _tab(request, session, company, notice=notice)


def _efirma_form(
    request: Request, company: SignedInCompany, error: str | None, code: int
) -> HTMLResponse:
    return _page(
        request,
        company,
        "portal/contrasena_efirma.html",
        {"error": error, "accepted": ACCEPTED},
        code,
    )


@router.post(TERMS, response_class=HTMLResponse)
def accept_terms(
    request: Request, company: CurrentCompany, session: DbSession, acepto: Checkbox = ""
) -> HTMLResponse:
    if has_password(company.organization):
        return _tab(request, session, company, error=ALREADY_HAS_ONE, code=status.HTTP_409_CONFLICT)
    if acepto != ACCEPTED:
        return _tab(
            request, session, company, error=TERMS_REQUIRED, code=status.HTTP_400_BAD_REQUEST
        )
    return _efirma_form(request, company, None, status.HTTP_200_OK)


@router.post(EFIRMA, response_class=HTMLResponse)
def validate_efirma(
    request: Request,
    company: CurrentCompany,
    session: DbSession,
    acepto: Checkbox = "",
    password: Annotated[Text, Form(max_length=1024)] = "",
    cer: FileField = None,
    key: FileField = None,
) -> HTMLResponse:
    # Checked before the files: the e.firma form carries the acceptance only when it was given,
    # and a form re-shown for a missing file must not add it.
    if acepto != ACCEPTED:
        return _tab(
            request, session, company, error=TERMS_REQUIRED, code=status.HTTP_400_BAD_REQUEST
        )
    try:
        efirma = efirma_input(cer, key, password)
    except IncompleteEFirma as exc:
        return _efirma_form(request, company, str(exc), status.HTTP_400_BAD_REQUEST)
    try:
        waiting = sign_generation(
            session,
            company.account,
            company.organization,
            accepted_terms=True,
            cer=efirma.cer,
            key=efirma.key,
            efirma_password=efirma.password,
            address=client_address(request),
        )
    except Throttled as exc:
        session.rollback()
        response = _efirma_form(request, company, str(exc), status.HTTP_429_TOO_MANY_REQUESTS)
        response.headers["Retry-After"] = str(exc.seconds)
        return response
    except EFirmaRefused as exc:
        session.rollback()
        return _efirma_form(request, company, str(exc), http_status(exc))
    except SiaPasswordRefused as exc:
        session.rollback()
        return _refused_tab(request, session, company, exc)
    session.commit()
    context = {
        "signature": waiting.row,
        "token": waiting.token,
        "terms_version": terms().version,
        "minutes": SIGNATURE_MINUTES,
    }
    return _page(request, company, "portal/contrasena_solicitud.html", context)


@router.post(CONFIRM, response_class=HTMLResponse)
def confirm(
    request: Request,
    company: CurrentCompany,
    session: DbSession,
    token: Annotated[Text, Form(max_length=200)] = "",
) -> HTMLResponse:
    try:
        document = confirm_generation(session, company.account, company.organization, token)
    except (SiaPasswordRefused, SignatureRefused) as exc:
        session.rollback()
        return _refused_tab(request, session, company, exc)
    session.commit()
    context = {
        "document": document,
        "download": download_path(document),
        "email": company.organization.email,
    }
    return _page(request, company, "portal/contrasena_respuesta.html", context)


@router.get(CANCEL, response_class=HTMLResponse)
def cancel_warning(request: Request, company: CurrentCompany) -> Response:
    if not has_password(company.organization):
        return RedirectResponse(TAB, status_code=status.HTTP_303_SEE_OTHER)
    return _page(request, company, "portal/contrasena_cancelar.html")


@router.post(CANCEL, response_class=HTMLResponse)
def cancel(request: Request, company: CurrentCompany, session: DbSession) -> Response:
    try:
        cancel_password(session, company.account, company.organization)
    except SiaPasswordRefused as exc:
        session.rollback()
        return _refused_tab(request, session, company, exc)
    session.commit()
    return _to_tab("cancelada")


def _captcha_page(
    request: Request,
    session: Session,
    company: SignedInCompany,
    error: str | None,
    code: int,
) -> HTMLResponse:
    challenge = new_challenge(session)
    session.commit()
    context = {
        "error": error,
        "captcha_token": challenge.token,
        "captcha_src": captcha_image(challenge),
    }
    return _page(request, company, "portal/contrasena_recuperar.html", context, code)


@router.get(RECOVER, response_class=HTMLResponse)
def recover_form(request: Request, company: CurrentCompany, session: DbSession) -> Response:
    if not ever_generated(session, company.organization):
        return RedirectResponse(TAB, status_code=status.HTTP_303_SEE_OTHER)
    return _captcha_page(request, session, company, None, status.HTTP_200_OK)


@router.post(RECOVER, response_class=HTMLResponse)
def recover(
    request: Request,
    company: CurrentCompany,
    session: DbSession,
    captcha_token: Annotated[Text, Form(max_length=200)] = "",
    captcha: Annotated[Text, Form(max_length=100)] = "",
) -> Response:
    try:
        recover_password(
            session,
            company.account,
            company.organization,
            captcha_token=captcha_token,
            captcha_answer=captcha,
        )
    except SiaPasswordRefused as exc:
        # The captcha is spent by any answer, right or wrong: that must stick.
        session.commit()
        if exc.reason is SiaPasswordReason.WRONG_CAPTCHA:
            return _captcha_page(request, session, company, str(exc), http_status(exc))
        return _refused_tab(request, session, company, exc)
    session.commit()
    return _to_tab("recuperada")
