"""Certificación para desarrolladores, the vendor's side (DOMAIN §2–§3, the certification guide):
the request signed with the e.firma, «Seguimiento a Certificación», the approval terms signed to
become `Certificada`, and the cancellation.

Each signed step is the two requests of ``workflow.portal.signatures``; its «Continuar» does the
rest in the caller's one transaction: the state change (``workflow.state_machine``), the acuse,
the audit event and the email commit together or not at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from core.clock import utcnow
from core.config import get_settings
from mailer.outbox import queue_email, store_attachment
from schema import (
    Certification,
    CertificationState,
    CompanyAccount,
    CompanySession,
    Document,
    DocumentKind,
    Organization,
    OrganizationKind,
    SignaturePurpose,
)
from workflow.acuses import cadena_original
from workflow.audit import record_event
from workflow.certifications import CLOSED, start_certification
from workflow.portal.accounts import locked_organization
from workflow.portal.efirma import sign
from workflow.portal.signatures import (
    IssuedAcuse,
    WaitingSignature,
    actor_of,
    issue_signed_acuse,
    sign_for_later,
    take_signature,
)
from workflow.portal.terms import TermsKind, terms
from workflow.refusals import CertificationReason, CertificationRefused
from workflow.relationships.cancellation import void_vendor_relationships
from workflow.state_machine import TRANSITIONS, Event, transition

S = CertificationState
R = CertificationReason
PDF = "application/pdf"
CANCELLABLE = TRANSITIONS[Event.CANCELLED].sources

REQUEST_TITLE = (
    "Responsiva de solicitud de certificación del Servicio de Intercomunicación de Avisos"
)
APPROVAL_TITLE = (
    "Responsiva de aprobación de certificación del Servicio de Intercomunicación de Avisos"
)
CANCELLATION_TITLE = (
    "Acuse de cancelación de certificación del Servicio de Intercomunicación de Avisos"
)


def _refuse(reason: CertificationReason, message: str) -> CertificationRefused:
    return CertificationRefused(reason, message)


def open_certification_of(session: Session, vendor: Organization) -> Certification | None:
    """The vendor's certification that is still going (neither `Vencida` nor `Cancelada`)."""
    return session.exec(
        select(Certification)
        .where(Certification.vendor_id == vendor.id, col(Certification.state).not_in(CLOSED))
        .order_by(col(Certification.id).desc())
    ).first()


def latest_certification(session: Session, vendor: Organization) -> Certification | None:
    """The vendor's most recent certification, closed or not."""
    return session.exec(
        select(Certification)
        .where(Certification.vendor_id == vendor.id)
        .order_by(col(Certification.id).desc())
    ).first()


def certified_vendors(session: Session) -> list[Organization]:
    """The vendors whose certification is `Certificada`: those trust relationships and the
    production service may name. A cancelled one leaves the list at once."""
    return list(
        session.exec(
            select(Organization)
            .join(Certification, col(Certification.vendor_id) == Organization.id)
            .where(Certification.state == S.CERTIFICADA)
            .order_by(col(Organization.razon_social), col(Organization.id))
        ).all()
    )


def _local(moment: datetime) -> str:
    return moment.astimezone(ZoneInfo(get_settings().timezone)).isoformat(timespec="seconds")


def _step_cadena(
    title: str,
    organization: Organization,
    folio: str,
    now: datetime,
    certificate_number: str,
    *rest: str,
) -> str:
    return cadena_original(
        [
            title,
            folio,
            _local(now),
            organization.rfc,
            organization.razon_social,
            certificate_number,
            *rest,
        ]
    )


def _vendor_only(organization: Organization) -> None:
    if organization.kind is not OrganizationKind.DESARROLLADOR:
        raise _refuse(
            R.NOT_A_VENDOR, "La certificación es un trámite de los desarrolladores de software."
        )


def _no_open_certification(session: Session, organization: Organization) -> None:
    current = open_certification_of(session, organization)
    if current is not None:
        raise _refuse(
            R.OPEN_CERTIFICATION,
            f"Su empresa ya tiene la solicitud de certificación {current.folio}, en estado "
            f"«{current.state.label}»; consúltela en «Seguimiento a Certificación».",
        )


def _has_sia_password(organization: Organization) -> None:
    if organization.sia_password_hash is None:
        raise _refuse(
            R.NO_SIA_CREDENTIAL,
            "Antes de solicitar la certificación, genere la contraseña de su empresa en la "
            "pestaña «Generación de contraseña»: con ella usará el ambiente de pruebas.",
        )


# --- Solicitud de Certificación ----------------------------------------------------------------


def sign_request(
    session: Session,
    account: CompanyAccount,
    organization: Organization,
    *,
    accepted_terms: bool,
    cer: bytes,
    key: bytes,
    efirma_password: str,
    address: str,
) -> WaitingSignature:
    """«Validar» of the request: refused for a patrón, a vendor without an SIA password (it
    calls the sandbox with it), one whose certification is still going, or unaccepted terms."""
    _vendor_only(organization)
    _has_sia_password(organization)
    _no_open_certification(session, organization)
    if not accepted_terms:
        raise _refuse(
            R.TERMS_NOT_ACCEPTED,
            "Para continuar, marque «He leído y acepto las condiciones de este servicio».",
        )
    current = terms(TermsKind.CERTIFICACION)
    return sign_for_later(
        session,
        account,
        organization,
        purpose=SignaturePurpose.SOLICITAR_CERTIFICACION,
        audit=("certification.request_signed", {"terms": current.version}),
        cadena_of=lambda folio, now, number: _step_cadena(
            "SOLICITUD DE CERTIFICACION SIA",
            organization,
            folio,
            now,
            number,
            f"TERMINOS {current.version}",
            current.sha256,
        ),
        cer=cer,
        key=key,
        efirma_password=efirma_password,
        address=address,
    )


@dataclass(frozen=True)
class SignedStep:
    certification: Certification
    acuse: IssuedAcuse


def confirm_request(
    session: Session, account: CompanyAccount, organization: Organization, token: str
) -> SignedStep:
    """«Continuar»: the certification opens in `Solicitada` with its signed responsiva (emailed
    now); the round-1 test set goes out by a task after the commit, as for any request."""
    organization = locked_organization(session, organization)
    waiting = take_signature(session, account, SignaturePurpose.SOLICITAR_CERTIFICACION, token)
    # Both may have changed since «Validar», in another tab.
    _has_sia_password(organization)
    _no_open_certification(session, organization)
    certification = start_certification(session, organization, actor=actor_of(account))
    assert certification.id is not None and organization.id is not None
    current = terms(TermsKind.CERTIFICACION)
    issued = issue_signed_acuse(
        session,
        waiting,
        organization,
        kind=DocumentKind.ACUSE_SOLICITUD,
        title=REQUEST_TITLE,
        paragraphs=(current.title, *current.paragraphs),
        details=(
            ("Folio de la certificación", certification.folio),
            ("Condiciones del servicio", f"versión {current.version}"),
        ),
        certification_id=certification.id,
    )
    queue_email(
        session,
        key=f"certification:{certification.id}:requested",
        template="solicitud_certificacion",
        to=[organization.email],
        context={
            "folio": certification.folio,
            "razon_social": organization.razon_social,
            "rfc": organization.rfc,
            "solicitada": waiting.signed_at.isoformat(),
        },
        attachments=[store_attachment(issued.pdf, f"responsiva-{waiting.folio}.pdf", PDF)],
    )
    return SignedStep(certification, issued)


# --- Seguimiento a Certificación: the e.firma once per session ---------------------------------


def efirma_shown(row: CompanySession) -> bool:
    return row.efirma_verified_at is not None


def show_efirma(
    session: Session,
    account: CompanyAccount,
    organization: Organization,
    row: CompanySession,
    *,
    cer: bytes,
    key: bytes,
    efirma_password: str,
    address: str,
) -> None:
    """Reaching «Seguimiento a Certificación» asks for the e.firma, as the guide shows; the
    session remembers that it was shown, and whose it was, never the key. Signing a throwaway
    cadena proves the key is at hand, not only the public certificate."""
    now = utcnow()
    signed = sign(
        session,
        cer=cer,
        key=key,
        password=efirma_password,
        cadena=cadena_original(["SEGUIMIENTO A CERTIFICACION", organization.rfc, _local(now)]),
        rfc=organization.rfc,
        address=address,
        now=now,
    )
    row.efirma_verified_at = now
    row.efirma_certificate_number = signed.efirma.certificate_number
    session.add(row)
    record_event(
        session,
        actor=actor_of(account),
        action="portal.efirma_shown",
        entity_type="organization",
        entity_id=account.organization_id,
        data={"certificate_number": signed.efirma.certificate_number},
    )


def require_efirma_shown(row: CompanySession) -> None:
    if not efirma_shown(row):
        raise _refuse(
            R.EFIRMA_REQUIRED,
            "Para continuar, valide su e.firma en «Seguimiento a Certificación».",
        )


# --- Aprobación ---------------------------------------------------------------------------------


def _current(session: Session, organization: Organization) -> Certification:
    certification = open_certification_of(session, organization)
    if certification is None:
        raise _refuse(
            R.NO_CERTIFICATION, "Su empresa no tiene una solicitud de certificación en curso."
        )
    return certification


def sign_approval(
    session: Session,
    account: CompanyAccount,
    organization: Organization,
    *,
    accepted_terms: bool,
    cer: bytes,
    key: bytes,
    efirma_password: str,
    address: str,
) -> WaitingSignature:
    """«Validar» of the approval terms, only while `Aprobada, pendiente de firma`."""
    _vendor_only(organization)
    certification = _current(session, organization)
    if certification.state is not S.APROBADA_PENDIENTE_DE_FIRMA:
        raise _refuse(
            R.NOT_AWAITING_SIGNATURE,
            f"La solicitud {certification.folio} está en «{certification.state.label}»: no hay "
            "una aprobación que firmar.",
        )
    if not accepted_terms:
        raise _refuse(
            R.TERMS_NOT_ACCEPTED,
            "Para continuar, marque «He leído y acepto las condiciones de este servicio».",
        )
    current = terms(TermsKind.APROBACION)
    return sign_for_later(
        session,
        account,
        organization,
        purpose=SignaturePurpose.FIRMAR_APROBACION,
        audit=(
            "certification.approval_signed",
            {"terms": current.version, "certification": certification.folio},
        ),
        cadena_of=lambda folio, now, number: _step_cadena(
            "APROBACION DE CERTIFICACION SIA",
            organization,
            folio,
            now,
            number,
            certification.folio,
            f"TERMINOS {current.version}",
            current.sha256,
        ),
        cer=cer,
        key=key,
        efirma_password=efirma_password,
        address=address,
        certification_id=certification.id,
    )


def _signed_certification(
    session: Session, organization: Organization, certification_id: int | None
) -> Certification:
    certification = session.get(Certification, certification_id)
    if certification is None or certification.vendor_id != organization.id:
        raise _refuse(R.NO_CERTIFICATION, "La solicitud de certificación firmada no existe.")
    return certification


def _transition(session: Session, certification: Certification, event: Event, actor: str) -> None:
    """The state change, refused in the vendor's words when the state moved meanwhile."""
    session.refresh(certification, with_for_update=True)
    if certification.state not in TRANSITIONS[event].sources:
        raise _refuse(
            R.NOT_CANCELLABLE if event is Event.CANCELLED else R.NOT_AWAITING_SIGNATURE,
            f"La solicitud {certification.folio} cambió a «{certification.state.label}» "
            "mientras firmaba; revise su estatus en «Seguimiento a Certificación».",
        )
    transition(session, certification, event, actor=actor)


def confirm_approval(
    session: Session, account: CompanyAccount, organization: Organization, token: str
) -> SignedStep:
    """«Continuar»: `Certificada`, with the signed responsiva (emailed); from now on the vendor
    is in the list of certified vendors."""
    waiting = take_signature(session, account, SignaturePurpose.FIRMAR_APROBACION, token)
    certification = _signed_certification(session, organization, waiting.certification_id)
    _transition(session, certification, Event.TERMS_SIGNED, actor_of(account))
    assert certification.id is not None
    current = terms(TermsKind.APROBACION)
    issued = issue_signed_acuse(
        session,
        waiting,
        organization,
        kind=DocumentKind.ACUSE_APROBACION,
        title=APPROVAL_TITLE,
        paragraphs=(current.title, *current.paragraphs),
        details=(
            ("Folio de la certificación", certification.folio),
            ("Términos y condiciones", f"versión {current.version}"),
        ),
        certification_id=certification.id,
    )
    queue_email(
        session,
        key=f"certification:{certification.id}:certified",
        template="certificacion",
        to=[organization.email],
        context={
            "folio": certification.folio,
            "razon_social": organization.razon_social,
            "rfc": organization.rfc,
            "certificada": certification.state_changed_at.isoformat(),
        },
        attachments=[store_attachment(issued.pdf, f"responsiva-{waiting.folio}.pdf", PDF)],
    )
    return SignedStep(certification, issued)


# --- Cancelación --------------------------------------------------------------------------------


def sign_cancellation(
    session: Session,
    account: CompanyAccount,
    organization: Organization,
    *,
    cer: bytes,
    key: bytes,
    efirma_password: str,
    address: str,
) -> WaitingSignature:
    """«Validar» of the cancellation, from `En espera de documentos` or `Certificada`; the
    confirmation that follows is the «Continuar» that cancels."""
    _vendor_only(organization)
    certification = _current(session, organization)
    if certification.state not in CANCELLABLE:
        raise _refuse(
            R.NOT_CANCELLABLE,
            f"La solicitud {certification.folio} está en «{certification.state.label}»: sólo se "
            "cancela en espera de documentos o ya certificada.",
        )
    return sign_for_later(
        session,
        account,
        organization,
        purpose=SignaturePurpose.CANCELAR_CERTIFICACION,
        audit=("certification.cancellation_signed", {"certification": certification.folio}),
        cadena_of=lambda folio, now, number: _step_cadena(
            "CANCELACION DE CERTIFICACION SIA",
            organization,
            folio,
            now,
            number,
            certification.folio,
            certification.state.label,
        ),
        cer=cer,
        key=key,
        efirma_password=efirma_password,
        address=address,
        certification_id=certification.id,
    )


def confirm_cancellation(
    session: Session, account: CompanyAccount, organization: Organization, token: str
) -> SignedStep:
    """«Continuar»: `Cancelada`, with the acuse de cancelación (emailed); a certified vendor
    leaves the list of certified vendors at once."""
    waiting = take_signature(session, account, SignaturePurpose.CANCELAR_CERTIFICACION, token)
    certification = _signed_certification(session, organization, waiting.certification_id)
    _transition(session, certification, Event.CANCELLED, actor_of(account))
    # Its patrones' trust ends with it, in the same transaction: no avisos are read in between.
    void_vendor_relationships(session, organization, actor=actor_of(account))
    assert certification.id is not None
    issued = issue_signed_acuse(
        session,
        waiting,
        organization,
        kind=DocumentKind.ACUSE_CANCELACION,
        title=CANCELLATION_TITLE,
        paragraphs=(
            f"La empresa canceló con su e.firma la certificación con folio {certification.folio}"
            ". La cancelación es definitiva; para certificarse de nuevo deberá presentar otra "
            "solicitud.",
        ),
        details=(("Folio de la certificación", certification.folio),),
        certification_id=certification.id,
    )
    queue_email(
        session,
        key=f"certification:{certification.id}:cancelled",
        template="cancelacion",
        to=[organization.email],
        context={
            "folio": certification.folio,
            "razon_social": organization.razon_social,
            "cancelada": certification.state_changed_at.isoformat(),
        },
        attachments=[store_attachment(issued.pdf, f"acuse-cancelacion-{waiting.folio}.pdf", PDF)],
    )
    return SignedStep(certification, issued)


def certification_documents(
    session: Session, organization: Organization, certification: Certification
) -> list[Document]:
    """The acuses of one of the vendor's certifications, oldest first."""
    return list(
        session.exec(
            select(Document)
            .where(
                Document.organization_id == organization.id,
                Document.certification_id == certification.id,
            )
            .order_by(col(Document.created_at), col(Document.id))
        ).all()
    )
