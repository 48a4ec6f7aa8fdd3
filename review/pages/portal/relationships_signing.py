"""The steps of «Relaciones de confianza» signed with the e.firma, as the guide shows them:

* Adicionar relación: the form (service, vendor, vigencia, SIA password) → «Aceptar» → e.firma →
  «Validar» → «Registro de Relaciones de Confianza» with the terms → «Continuar» → `En proceso`.
* Borrar: «¿Está seguro…?» → «Continuar» → e.firma → «Validar» → «Solicitud de trámite» →
  «Continuar» → `Relación cancelada por usuario`.

Every step needs the tab's terms accepted in this session; a step reached without them goes to
the tab. Each POST commits the workflow's transaction, or rolls it back on a refusal and shows
the page again with the Spanish message and its status.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Form, Path, Request, status
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from review import routing
from review.deps import CurrentPatron, DbSession, client_address
from review.inputs import Text
from review.pages.portal.relationships import TAB, page, refused, terms_accepted, to_tab
from review.pages.portal.shared import EFirmaPage, FileField, IncompleteEFirma, efirma_input
from review.refusals import http_status
from rules.vigencia import VIGENCIAS
from schema import IntercomService, Organization
from workflow.portal.accounts import SignedInCompany
from workflow.portal.signatures import SIGNATURE_MINUTES, WaitingSignature
from workflow.refusals import EFirmaRefused, RelationshipRefused, SignatureRefused
from workflow.relationships.cancellation import (
    confirm_cancellation,
    patron_relationship,
    sign_cancellation,
)
from workflow.relationships.requests import (
    choice_token,
    choose,
    confirm_addition,
    read_choice,
    sign_addition,
)
from workflow.relationships.table import patron_relationships
from workflow.throttle import Throttled

router = routing.router(include_in_schema=False)

ADD = TAB + "/adicionar"
ADD_EFIRMA = TAB + "/efirma"
ADD_CONFIRM = TAB + "/confirmar"
CANCEL_CONFIRM = TAB + "/borrar/confirmar"
CaseFolio = Annotated[str, Path(pattern=r"^\d{10}$", description="No. de Caso")]
Field = Annotated[Text, Form(max_length=300)]
PASSWORD = Annotated[Text, Form(max_length=1024)]
TOKEN = Annotated[Text, Form(max_length=1000)]
ADD_INTRO = (
    "Para adicionar la relación, valide la e.firma de su empresa. La clave privada se usa sólo "
    "para firmar y no se guarda."
)
CANCEL_INTRO = "Para cancelar la relación de confianza, valide la e.firma de su empresa."


def cancel_path(folio: str) -> str:
    return f"{TAB}/{folio}/borrar"


def _add_form(
    request: Request,
    company: SignedInCompany,
    *,
    chosen: dict[str, Any] | None = None,
    error: str | None = None,
    code: int = status.HTTP_200_OK,
) -> HTMLResponse:
    context = {
        "services": [(s.value, s.label) for s in IntercomService],
        "vigencias": list(VIGENCIAS.items()),
        "chosen": chosen
        or {"servicio": IntercomService.AVISOS.value, "desarrollador": "", "vigencia": 12},
        "has_password": company.organization.sia_password_hash is not None,
        "suggestions": [],
        "explanation": None,
        "error": error,
    }
    return page(request, company, "portal/relaciones_adicionar.html", context, code)


@dataclass(frozen=True)
class EFirmaStep(EFirmaPage):
    """«Agrega los archivos de la e.firma» of one step: where it goes, what it carries on."""

    heading: str
    intro: str
    action: str
    hidden: dict[str, str] = field(default_factory=dict)

    def show(
        self,
        request: Request,
        company: SignedInCompany,
        *,
        error: str | None = None,
        code: int = status.HTTP_200_OK,
    ) -> HTMLResponse:
        context = {
            "heading": self.heading,
            "intro": self.intro,
            "action": self.action,
            "hidden": self.hidden,
            "error": error,
        }
        return page(request, company, "portal/relaciones_efirma.html", context, code)


def _add_step(choice: str) -> EFirmaStep:
    return EFirmaStep("Añadir relación de confianza", ADD_INTRO, ADD_EFIRMA, {"eleccion": choice})


def _cancel_step(folio: str) -> EFirmaStep:
    return EFirmaStep(
        "Cancelar relación de confianza", CANCEL_INTRO, f"{cancel_path(folio)}/efirma"
    )


def _signed_page(
    request: Request,
    company: SignedInCompany,
    waiting: WaitingSignature,
    *,
    kind: str,
    action: str,
    extra: dict[str, Any],
) -> HTMLResponse:
    context = {
        "kind": kind,
        "heading": "Añadir relación de confianza" if kind == "alta" else "Solicitud de trámite",
        "signature": waiting.row,
        "token": waiting.token,
        "action": action,
        "minutes": SIGNATURE_MINUTES,
        **extra,
    }
    return page(request, company, "portal/relaciones_firma.html", context)


# --- Adicionar relación --------------------------------------------------------------------


@router.get(ADD, response_class=HTMLResponse)
def add_form(request: Request, company: CurrentPatron) -> Response:
    if not terms_accepted(company):
        return to_tab()
    return _add_form(request, company)


@router.post(ADD, response_class=HTMLResponse)
def accept_addition(
    request: Request,
    company: CurrentPatron,
    session: DbSession,
    servicio: Field = "",
    desarrollador: Field = "",
    vigencia: Field = "",
    contrasena: PASSWORD = "",
) -> Response:
    """«Aceptar»: the form checked, then the e.firma form carrying what was chosen."""
    if not terms_accepted(company):
        return to_tab()
    months = int(vigencia) if vigencia.isdigit() and len(vigencia) <= 3 else None
    chosen = {"servicio": servicio, "desarrollador": desarrollador, "vigencia": months}
    try:
        choice = choose(
            session,
            company.organization,
            service=servicio,
            vendor=desarrollador,
            vigencia_months=months,
            sia_password=contrasena,
            address=client_address(request),
        )
    except Throttled as exc:
        session.rollback()
        response = _add_form(
            request, company, chosen=chosen, error=str(exc), code=status.HTTP_429_TOO_MANY_REQUESTS
        )
        response.headers["Retry-After"] = str(exc.seconds)
        return response
    except RelationshipRefused as exc:
        session.rollback()
        return _add_form(request, company, chosen=chosen, error=str(exc), code=http_status(exc))
    assert company.row.id is not None
    return _add_step(choice_token(choice, company.row.id)).show(request, company)


@router.post(ADD_EFIRMA, response_class=HTMLResponse)
def validate_addition(
    request: Request,
    company: CurrentPatron,
    session: DbSession,
    eleccion: TOKEN = "",
    password: PASSWORD = "",
    cer: FileField = None,
    key: FileField = None,
) -> Response:
    if not terms_accepted(company):
        return to_tab()
    assert company.row.id is not None
    try:
        choice = read_choice(eleccion, company.row.id)
    except RelationshipRefused as exc:
        return _add_form(request, company, error=str(exc), code=http_status(exc))
    form = _add_step(eleccion)
    try:
        efirma = efirma_input(cer, key, password)
    except IncompleteEFirma as exc:
        return form.show(request, company, error=str(exc), code=status.HTTP_400_BAD_REQUEST)
    try:
        waiting = sign_addition(
            session,
            company.account,
            company.organization,
            choice,
            cer=efirma.cer,
            key=efirma.key,
            efirma_password=efirma.password,
            address=client_address(request),
        )
    except (Throttled, EFirmaRefused) as exc:
        session.rollback()
        return form.refused(request, company, exc)
    except RelationshipRefused as exc:
        session.rollback()
        return refused(request, session, company, exc)
    session.commit()
    vendor = session.get(Organization, choice.vendor_id)
    return _signed_page(
        request,
        company,
        waiting,
        kind="alta",
        action=ADD_CONFIRM,
        extra={
            "vendor": vendor,
            "service": IntercomService(choice.service).label,
            "vigencia": VIGENCIAS[choice.vigencia_months],
        },
    )


@router.post(ADD_CONFIRM, response_class=HTMLResponse)
def confirm_addition_step(
    request: Request, company: CurrentPatron, session: DbSession, token: TOKEN = ""
) -> Response:
    """«Continuar»: `En proceso`; the tab shows it, and then its registration."""
    try:
        confirm_addition(session, company.account, company.organization, token)
    except SignatureRefused:
        session.rollback()
        return to_tab("firma-usada")
    except RelationshipRefused as exc:
        session.rollback()
        return refused(request, session, company, exc)
    session.commit()
    return to_tab("en-proceso")


# --- Borrar ------------------------------------------------------------------------------------


def _row(session: Session, company: SignedInCompany, folio: str) -> Any:
    return next(
        (r for r in patron_relationships(session, company.organization) if r.folio == folio),
        None,
    )


@router.get(TAB + "/{folio}/borrar", response_class=HTMLResponse)
def cancel_question(
    request: Request, company: CurrentPatron, session: DbSession, folio: CaseFolio
) -> Response:
    """«¿Está seguro…?» before the e.firma."""
    if not terms_accepted(company):
        return to_tab()
    try:
        relationship = patron_relationship(session, company.organization, folio)
    except RelationshipRefused as exc:
        return refused(request, session, company, exc)
    row = _row(session, company, relationship.folio)
    if row is None or not row.cancellable:
        return to_tab()
    return page(request, company, "portal/relaciones_borrar.html", {"row": row})


@router.get(TAB + "/{folio}/borrar/efirma", response_class=HTMLResponse)
def cancel_efirma_form(request: Request, company: CurrentPatron, folio: CaseFolio) -> Response:
    if not terms_accepted(company):
        return to_tab()
    return _cancel_step(folio).show(request, company)


@router.post(TAB + "/{folio}/borrar/efirma", response_class=HTMLResponse)
def validate_cancellation(
    request: Request,
    company: CurrentPatron,
    session: DbSession,
    folio: CaseFolio,
    password: PASSWORD = "",
    cer: FileField = None,
    key: FileField = None,
) -> Response:
    if not terms_accepted(company):
        return to_tab()
    form = _cancel_step(folio)
    try:
        efirma = efirma_input(cer, key, password)
    except IncompleteEFirma as exc:
        return form.show(request, company, error=str(exc), code=status.HTTP_400_BAD_REQUEST)
    try:
        waiting = sign_cancellation(
            session,
            company.account,
            company.organization,
            folio,
            cer=efirma.cer,
            key=efirma.key,
            efirma_password=efirma.password,
            address=client_address(request),
        )
    except (Throttled, EFirmaRefused) as exc:
        session.rollback()
        return form.refused(request, company, exc)
    except RelationshipRefused as exc:
        session.rollback()
        return refused(request, session, company, exc)
    session.commit()
    relationship = patron_relationship(session, company.organization, folio)
    vendor = session.get(Organization, relationship.vendor_id)
    return _signed_page(
        request,
        company,
        waiting,
        kind="baja",
        action=CANCEL_CONFIRM,
        extra={"relationship": relationship, "vendor": vendor},
    )


@router.post(CANCEL_CONFIRM, response_class=HTMLResponse)
def confirm_cancellation_step(
    request: Request, company: CurrentPatron, session: DbSession, token: TOKEN = ""
) -> Response:
    try:
        confirm_cancellation(session, company.account, company.organization, token)
    except SignatureRefused:
        session.rollback()
        return to_tab("firma-usada")
    except RelationshipRefused as exc:
        session.rollback()
        return refused(request, session, company, exc)
    session.commit()
    return to_tab("cancelada")
