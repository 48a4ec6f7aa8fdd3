"""The steps of «Seguimiento a Certificación» signed with the e.firma, as the guide shows them:

* Aprobación, while `Aprobada, pendiente de firma`: «Continuar» → the approval terms and «He leído
  y acepto las condiciones de este servicio» → «Continuar» → e.firma → «Validar» → the terms
  again → «Continuar» → `Certificada` and «Descargar responsiva».
* Cancelación, while `En espera de documentos` or `Certificada`: «Cancelar certificación» →
  e.firma → «Validar» → «¿Está seguro…?» → «Continuar» → `Cancelada` and «Descargar acuse de
  cancelación».

Both live inside the follow-up, so both require the e.firma shown in this session first.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Request, status
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from review import routing
from review.deps import CurrentVendor, DbSession, client_address
from review.inputs import Text
from review.pages.portal.certification import (
    APPROVAL,
    APPROVAL_CONFIRM,
    APPROVAL_EFIRMA,
    APPROVAL_TERMS,
    CANCEL,
    CANCEL_CONFIRM,
    CANCEL_EFIRMA,
    FOLLOW_UP,
    FOLLOW_UP_STEP,
    TERMS_REQUIRED,
    EFirmaForm,
    efirma_missing,
    follow_up_page,
    page,
    signature_gone,
    to_follow_up,
)
from review.pages.portal.documents import download_path
from review.pages.portal.shared import (
    ACCEPTED,
    Checkbox,
    FileField,
    IncompleteEFirma,
    efirma_input,
)
from review.refusals import http_status
from schema import Certification, CertificationState
from workflow.portal.accounts import SignedInCompany
from workflow.portal.certification import (
    CANCELLABLE,
    SignedStep,
    confirm_approval,
    confirm_cancellation,
    efirma_shown,
    open_certification_of,
    sign_approval,
    sign_cancellation,
)
from workflow.portal.signatures import SIGNATURE_MINUTES, WaitingSignature
from workflow.portal.terms import TermsKind, terms
from workflow.refusals import CertificationRefused, EFirmaRefused, SignatureRefused
from workflow.throttle import Throttled

router = routing.router(include_in_schema=False)

S = CertificationState
NOTHING_TO_SIGN = (
    "Su certificación no tiene una aprobación pendiente de firma; este es su estatus actual."
)

APPROVAL_FORM = EFirmaForm(
    action=APPROVAL_EFIRMA,
    step=FOLLOW_UP_STEP,
    heading="Aprobación de Certificación",
    intro=(
        "Firme los términos y condiciones de la aprobación con la e.firma de su empresa. La "
        "clave privada se usa solo para firmar y no se guarda."
    ),
    back=APPROVAL,
    hidden={"acepto": ACCEPTED},
)
CANCEL_FORM = EFirmaForm(
    action=CANCEL_EFIRMA,
    step=FOLLOW_UP_STEP,
    heading="Cancelar certificación",
    intro=(
        "Para cancelar la certificación, valide la e.firma de su empresa. Antes de cancelar se "
        "le pedirá que lo confirme."
    ),
    back=FOLLOW_UP,
)
HEADINGS = {"aprobacion": "Aprobación de Certificación", "cancelacion": "Cancelar certificación"}
TOKEN = Annotated[Text, Form(max_length=200)]
PASSWORD = Annotated[Text, Form(max_length=1024)]


def _refused(
    request: Request, session: Session, company: SignedInCompany, exc: CertificationRefused
) -> Response:
    return follow_up_page(request, session, company, error=str(exc), code=http_status(exc))


def _signed(
    request: Request, company: SignedInCompany, kind: str, step: SignedStep
) -> HTMLResponse:
    context = {
        "kind": kind,
        "certification": step.certification,
        "document": step.acuse.document,
        "download": download_path(step.acuse.document),
        "email": company.organization.email,
        "follow_up": FOLLOW_UP,
    }
    return page(
        request, company, "portal/certificacion_responsiva.html", context, step=FOLLOW_UP_STEP
    )


def _to_confirm(
    request: Request,
    session: Session,
    company: SignedInCompany,
    kind: str,
    waiting: WaitingSignature,
    action: str,
) -> HTMLResponse:
    """After «Validar»: what was signed, and the «Continuar» that does the step."""
    context = {
        "kind": kind,
        "heading": HEADINGS[kind],
        "signature": waiting.row,
        "token": waiting.token,
        "action": action,
        "certification": session.get(Certification, waiting.row.certification_id),
        "terms": terms(TermsKind.APROBACION),
        "minutes": SIGNATURE_MINUTES,
        "follow_up": FOLLOW_UP,
    }
    return page(request, company, "portal/certificacion_firma.html", context, step=FOLLOW_UP_STEP)


# --- Aprobación -------------------------------------------------------------------------------


def _approval_terms(
    request: Request,
    company: SignedInCompany,
    *,
    error: str | None = None,
    code: int = status.HTTP_200_OK,
) -> HTMLResponse:
    context = {"terms": terms(TermsKind.APROBACION), "error": error, "action": APPROVAL_TERMS}
    return page(
        request, company, "portal/certificacion_aprobacion.html", context, code, step=FOLLOW_UP_STEP
    )


def _awaiting_signature(session: Session, company: SignedInCompany) -> bool:
    current = open_certification_of(session, company.organization)
    return current is not None and current.state is S.APROBADA_PENDIENTE_DE_FIRMA


@router.get(APPROVAL, response_class=HTMLResponse)
def approval_terms(request: Request, company: CurrentVendor, session: DbSession) -> Response:
    # The follow-up asks for the e.firma first, and says where the certification stands.
    if not efirma_shown(company.row) or not _awaiting_signature(session, company):
        return to_follow_up()
    return _approval_terms(request, company)


@router.post(APPROVAL_TERMS, response_class=HTMLResponse)
def accept_approval_terms(
    request: Request, company: CurrentVendor, session: DbSession, acepto: Checkbox = ""
) -> Response:
    missing = efirma_missing(request, company)
    if missing is not None:
        return missing
    if not _awaiting_signature(session, company):
        return follow_up_page(
            request, session, company, error=NOTHING_TO_SIGN, code=status.HTTP_409_CONFLICT
        )
    if acepto != ACCEPTED:
        return _approval_terms(
            request, company, error=TERMS_REQUIRED, code=status.HTTP_400_BAD_REQUEST
        )
    return APPROVAL_FORM.show(request, company)


@router.post(APPROVAL_EFIRMA, response_class=HTMLResponse)
def validate_approval(
    request: Request,
    company: CurrentVendor,
    session: DbSession,
    acepto: Checkbox = "",
    password: PASSWORD = "",
    cer: FileField = None,
    key: FileField = None,
) -> Response:
    missing = efirma_missing(request, company)
    if missing is not None:
        return missing
    # Checked before the files: the e.firma form carries the acceptance only when it was given.
    if acepto != ACCEPTED:
        return _approval_terms(
            request, company, error=TERMS_REQUIRED, code=status.HTTP_400_BAD_REQUEST
        )
    try:
        efirma = efirma_input(cer, key, password)
    except IncompleteEFirma as exc:
        return APPROVAL_FORM.show(
            request, company, error=str(exc), code=status.HTTP_400_BAD_REQUEST
        )
    try:
        waiting = sign_approval(
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
        return APPROVAL_FORM.refused(request, company, exc)
    except CertificationRefused as exc:
        session.rollback()
        return _refused(request, session, company, exc)
    session.commit()
    return _to_confirm(request, session, company, "aprobacion", waiting, APPROVAL_CONFIRM)


@router.post(APPROVAL_CONFIRM, response_class=HTMLResponse)
def confirm_approval_step(
    request: Request, company: CurrentVendor, session: DbSession, token: TOKEN = ""
) -> Response:
    missing = efirma_missing(request, company)
    if missing is not None:
        return missing
    try:
        step = confirm_approval(session, company.account, company.organization, token)
    except SignatureRefused:
        session.rollback()
        return signature_gone()
    except CertificationRefused as exc:
        session.rollback()
        return _refused(request, session, company, exc)
    session.commit()
    return _signed(request, company, "aprobacion", step)


# --- Cancelación ------------------------------------------------------------------------------


def _cancellable(session: Session, company: SignedInCompany) -> bool:
    current = open_certification_of(session, company.organization)
    return current is not None and current.state in CANCELLABLE


@router.get(CANCEL, response_class=HTMLResponse)
def cancel_form(request: Request, company: CurrentVendor, session: DbSession) -> Response:
    # The follow-up asks for the e.firma first, and says where the certification stands.
    if not efirma_shown(company.row) or not _cancellable(session, company):
        return to_follow_up()
    return CANCEL_FORM.show(request, company)


@router.post(CANCEL_EFIRMA, response_class=HTMLResponse)
def validate_cancellation(
    request: Request,
    company: CurrentVendor,
    session: DbSession,
    password: PASSWORD = "",
    cer: FileField = None,
    key: FileField = None,
) -> Response:
    missing = efirma_missing(request, company)
    if missing is not None:
        return missing
    try:
        efirma = efirma_input(cer, key, password)
    except IncompleteEFirma as exc:
        return CANCEL_FORM.show(request, company, error=str(exc), code=status.HTTP_400_BAD_REQUEST)
    try:
        waiting = sign_cancellation(
            session,
            company.account,
            company.organization,
            cer=efirma.cer,
            key=efirma.key,
            efirma_password=efirma.password,
            address=client_address(request),
        )
    except (Throttled, EFirmaRefused) as exc:
        session.rollback()
        return CANCEL_FORM.refused(request, company, exc)
    except CertificationRefused as exc:
        session.rollback()
        return _refused(request, session, company, exc)
    session.commit()
    return _to_confirm(request, session, company, "cancelacion", waiting, CANCEL_CONFIRM)


@router.post(CANCEL_CONFIRM, response_class=HTMLResponse)
def confirm_cancellation_step(
    request: Request, company: CurrentVendor, session: DbSession, token: TOKEN = ""
) -> Response:
    missing = efirma_missing(request, company)
    if missing is not None:
        return missing
    try:
        step = confirm_cancellation(session, company.account, company.organization, token)
    except SignatureRefused:
        session.rollback()
        return signature_gone()
    except CertificationRefused as exc:
        session.rollback()
        return _refused(request, session, company, exc)
    session.commit()
    return _signed(request, company, "cancelacion", step)
