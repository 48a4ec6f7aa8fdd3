"""«Solicitud de Certificación», the tab's first step, as the guide shows it: the terms and
«He leído y acepto las condiciones de este servicio» → «Continuar» → «Agrega los archivos de la
e.firma» → «Validar» → «Solicitud del Trámite» → «Continuar» → «Descargar responsiva».

A vendor whose certification is going is sent to «Seguimiento a Certificación» instead; one
without the SIA password is sent to «Generación de contraseña» first (the sandbox needs it).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Form, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from review import routing
from review.deps import CurrentVendor, DbSession, client_address
from review.inputs import Text
from review.pages.portal.certification import (
    FOLLOW_UP,
    REQUEST_CONFIRM,
    REQUEST_EFIRMA,
    REQUEST_STEP,
    REQUEST_TERMS,
    TAB,
    TERMS_REQUIRED,
    EFirmaForm,
    documents_shown,
    page,
    signature_gone,
)
from review.pages.portal.documents import download_path
from review.pages.portal.shared import (
    ACCEPTED,
    Checkbox,
    FileField,
    IncompleteEFirma,
    efirma_input,
)
from review.pages.portal.sia_password import TAB as PASSWORD_TAB
from review.refusals import http_status
from workflow.certifications import CLOSED
from workflow.portal.accounts import SignedInCompany
from workflow.portal.certification import (
    certification_documents,
    confirm_request,
    latest_certification,
    open_certification_of,
    sign_request,
)
from workflow.portal.signatures import SIGNATURE_MINUTES
from workflow.portal.terms import TermsKind, terms
from workflow.refusals import (
    CertificationRefused,
    EFirmaRefused,
    SignatureRefused,
)
from workflow.throttle import Throttled

router = routing.router(include_in_schema=False)

NO_SIA_CREDENTIAL = (
    "Antes de solicitar la certificación, su empresa necesita la contraseña de los Servicios "
    "de Intercomunicación: con ella usará el ambiente de pruebas. Genérela en la pestaña "
    "«Generación de contraseña»."
)
ALREADY_GOING = (
    "Su empresa ya tiene una solicitud de certificación en curso; consulte su estatus en "
    "«Seguimiento a Certificación»."
)

REQUEST_FORM = EFirmaForm(
    action=REQUEST_EFIRMA,
    step=REQUEST_STEP,
    heading="Solicitud de Certificación",
    intro=(
        "Firme la solicitud con la e.firma de su empresa. La clave privada se usa solo para "
        "firmar y no se guarda."
    ),
    back=TAB,
    hidden={"acepto": ACCEPTED},
)


def _tab(
    request: Request,
    session: Session,
    company: SignedInCompany,
    *,
    error: str | None = None,
    code: int = status.HTTP_200_OK,
) -> HTMLResponse:
    """Step 1: the terms to accept, or what stands in the way (no SIA password; a
    certification already going, when a refusal brings the vendor back here)."""
    vendor = company.organization
    latest = latest_certification(session, vendor)
    closed = latest if latest is not None and latest.state in CLOSED else None
    context: dict[str, Any] = {
        "error": error,
        "going": open_certification_of(session, vendor),
        "has_password": vendor.sia_password_hash is not None,
        "password_tab": PASSWORD_TAB,
        "follow_up": FOLLOW_UP,
        "terms": terms(TermsKind.CERTIFICACION),
        "closed": closed,
        "closed_documents": (
            documents_shown(certification_documents(session, vendor, closed)) if closed else []
        ),
    }
    return page(
        request, company, "portal/certificacion_solicitud.html", context, code, step=REQUEST_STEP
    )


def _refused_tab(
    request: Request, session: Session, company: SignedInCompany, refused: CertificationRefused
) -> HTMLResponse:
    return _tab(request, session, company, error=str(refused), code=http_status(refused))


@router.get(TAB, response_class=HTMLResponse)
def certification_tab(request: Request, company: CurrentVendor, session: DbSession) -> Response:
    if open_certification_of(session, company.organization) is not None:
        return RedirectResponse(FOLLOW_UP, status_code=status.HTTP_303_SEE_OTHER)
    return _tab(request, session, company)


def _not_yet(session: Session, company: SignedInCompany, acepto: str) -> tuple[str, int] | None:
    """What stops the request before the e.firma is even asked for (the workflow checks all of
    it again when signing)."""
    if open_certification_of(session, company.organization) is not None:
        return ALREADY_GOING, status.HTTP_409_CONFLICT
    if company.organization.sia_password_hash is None:
        return NO_SIA_CREDENTIAL, status.HTTP_409_CONFLICT
    if acepto != ACCEPTED:
        return TERMS_REQUIRED, status.HTTP_400_BAD_REQUEST
    return None


@router.post(REQUEST_TERMS, response_class=HTMLResponse)
def accept_terms(
    request: Request, company: CurrentVendor, session: DbSession, acepto: Checkbox = ""
) -> HTMLResponse:
    stop = _not_yet(session, company, acepto)
    if stop is not None:
        return _tab(request, session, company, error=stop[0], code=stop[1])
    return REQUEST_FORM.show(request, company)


@router.post(REQUEST_EFIRMA, response_class=HTMLResponse)
def validate_efirma(
    request: Request,
    company: CurrentVendor,
    session: DbSession,
    acepto: Checkbox = "",
    password: Annotated[Text, Form(max_length=1024)] = "",
    cer: FileField = None,
    key: FileField = None,
) -> HTMLResponse:
    # Checked before the files: the e.firma form carries the acceptance only when it was given.
    stop = _not_yet(session, company, acepto)
    if stop is not None:
        return _tab(request, session, company, error=stop[0], code=stop[1])
    try:
        efirma = efirma_input(cer, key, password)
    except IncompleteEFirma as exc:
        return REQUEST_FORM.show(request, company, error=str(exc), code=status.HTTP_400_BAD_REQUEST)
    try:
        waiting = sign_request(
            session,
            company.account,
            company.organization,
            accepted_terms=True,
            cer=efirma.cer,
            key=efirma.key,
            efirma_password=efirma.password,
            address=client_address(request),
        )
    except (Throttled, EFirmaRefused) as exc:
        session.rollback()
        return REQUEST_FORM.refused(request, company, exc)
    except CertificationRefused as exc:
        session.rollback()
        return _refused_tab(request, session, company, exc)
    session.commit()
    context = {
        "kind": "solicitud",
        "heading": "Solicitud del Trámite",
        "signature": waiting.row,
        "token": waiting.token,
        "action": REQUEST_CONFIRM,
        "terms": terms(TermsKind.CERTIFICACION),
        "minutes": SIGNATURE_MINUTES,
    }
    return page(request, company, "portal/certificacion_firma.html", context, step=REQUEST_STEP)


@router.post(REQUEST_CONFIRM, response_class=HTMLResponse)
def confirm(
    request: Request,
    company: CurrentVendor,
    session: DbSession,
    token: Annotated[Text, Form(max_length=200)] = "",
) -> Response:
    try:
        step = confirm_request(session, company.account, company.organization, token)
    except SignatureRefused as exc:
        session.rollback()
        if open_certification_of(session, company.organization) is not None:
            return signature_gone()
        # Nothing was requested with it (it expired, say): validate again from the start.
        return _tab(request, session, company, error=str(exc), code=http_status(exc))
    except CertificationRefused as exc:
        session.rollback()
        return _refused_tab(request, session, company, exc)
    session.commit()
    context = {
        "kind": "solicitud",
        "certification": step.certification,
        "document": step.acuse.document,
        "download": download_path(step.acuse.document),
        "email": company.organization.email,
        "follow_up": FOLLOW_UP,
    }
    return page(
        request, company, "portal/certificacion_responsiva.html", context, step=REQUEST_STEP
    )
