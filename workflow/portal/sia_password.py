"""Generación de contraseña (DOMAIN §2, process 1): generate the SIA password with the e.firma,
cancel it, recover a new one.

Generating takes two requests, as the portal guide shows it (``workflow.portal.signatures``):
«Validar» signs the cadena of the responsiva with the e.firma and keeps the signature waiting;
«Continuar» generates the password, issues the signed responsiva and emails both. The
password is emailed once and kept only as an argon2 hash; every change bumps
``sia_password_version`` so that sandbox tokens issued under the old password stop at once.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from core.clock import utcnow
from core.config import get_settings
from core.security import hash_password
from core.tokens import new_password
from mailer.outbox import queue_email, store_attachment
from schema import CompanyAccount, Document, DocumentKind, Organization, SignaturePurpose
from workflow.acuses import cadena_original
from workflow.audit import record_event
from workflow.portal import captcha
from workflow.portal.accounts import KIND_LABELS, locked_organization
from workflow.portal.signatures import (
    WaitingSignature,
    actor_of,
    issue_signed_acuse,
    sign_for_later,
    take_signature,
)
from workflow.portal.terms import TermsKind, terms
from workflow.refusals import SiaPasswordReason, SiaPasswordRefused

RESPONSIVA_TITLE = "Responsiva de generación de contraseña de los Servicios de Intercomunicación"
PDF = "application/pdf"


def has_password(organization: Organization) -> bool:
    return organization.sia_password_hash is not None


def generation_cadena(
    organization: Organization, *, folio: str, signed_at: datetime, certificate_number: str
) -> str:
    local = signed_at.astimezone(ZoneInfo(get_settings().timezone))
    current = terms(TermsKind.CONTRASENA)
    return cadena_original(
        [
            "RESPONSIVA GENERACION DE CONTRASEÑA SIA",
            folio,
            local.isoformat(timespec="seconds"),
            organization.kind.value,
            organization.rfc,
            organization.razon_social,
            organization.nrp or "",
            certificate_number,
            f"TERMINOS {current.version}",
            current.sha256,
        ]
    )


def sign_generation(
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
    """«Validar»: the responsiva's cadena signed with the company's e.firma, waiting for
    «Continuar». Refused when the terms were not accepted, a password is already active, or the
    e.firma is not the company's valid one."""
    if not accepted_terms:
        raise SiaPasswordRefused(
            SiaPasswordReason.TERMS_NOT_ACCEPTED,
            "Para continuar, marque «Acepto términos y condiciones».",
        )
    _refuse_if_active(organization)
    return sign_for_later(
        session,
        account,
        organization,
        purpose=SignaturePurpose.GENERAR_CONTRASENA,
        audit=("sia_password.terms_signed", {"terms": terms(TermsKind.CONTRASENA).version}),
        cadena_of=lambda folio, now, number: generation_cadena(
            organization, folio=folio, signed_at=now, certificate_number=number
        ),
        cer=cer,
        key=key,
        efirma_password=efirma_password,
        address=address,
    )


def _refuse_if_active(organization: Organization) -> None:
    if has_password(organization):
        raise SiaPasswordRefused(
            SiaPasswordReason.ALREADY_ACTIVE,
            "Su empresa ya tiene una contraseña de los Servicios de Intercomunicación. Si no la "
            "conoce, use «Recuperar contraseña»; si ya no debe funcionar, «Cancelar contraseña».",
        )


def _new_password(organization: Organization) -> str:
    password = new_password()
    organization.sia_password_hash = hash_password(password)
    organization.sia_password_version += 1
    return password


def confirm_generation(
    session: Session, account: CompanyAccount, organization: Organization, token: str
) -> Document:
    """«Continuar»: generate the password, issue the signed responsiva, email both (one
    transaction: the caller commits)."""
    organization = locked_organization(session, organization)
    waiting = take_signature(session, account, SignaturePurpose.GENERAR_CONTRASENA, token)
    _refuse_if_active(organization)
    assert organization.id is not None
    password = _new_password(organization)
    session.add(organization)
    details = [("Tipo de cuenta", KIND_LABELS[organization.kind])]
    if organization.nrp:
        details.append(("NRP", organization.nrp))
    current = terms(TermsKind.CONTRASENA)
    details.append(("Términos y condiciones", f"versión {current.version}"))
    issued = issue_signed_acuse(
        session,
        waiting,
        organization,
        kind=DocumentKind.RESPONSIVA_CONTRASENA,
        title=RESPONSIVA_TITLE,
        paragraphs=(current.title, *current.paragraphs),
        details=tuple(details),
    )
    queue_email(
        session,
        key=f"organization:{organization.id}:sia_password:{organization.sia_password_version}",
        template="contrasena_generada",
        to=[organization.email],
        context={
            "folio": waiting.folio,
            "rfc": organization.rfc,
            "razon_social": organization.razon_social,
            "generada": utcnow().isoformat(),
            "sia": {"password": password},
        },
        attachments=[store_attachment(issued.pdf, f"responsiva-{waiting.folio}.pdf", PDF)],
    )
    record_event(
        session,
        actor=actor_of(account),
        action="sia_password.generated",
        entity_type="organization",
        entity_id=organization.id,
        data={"folio": waiting.folio, "certificate_number": waiting.certificate_number},
    )
    return issued.document


def ever_generated(session: Session, organization: Organization) -> bool:
    """Whether the company ever signed the terms and got a password (its responsiva exists):
    then it may recover one, even after cancelling, without signing again."""
    return (
        session.exec(
            select(Document.id).where(
                Document.organization_id == organization.id,
                Document.kind == DocumentKind.RESPONSIVA_CONTRASENA,
            )
        ).first()
        is not None
    )


def _none_active() -> SiaPasswordRefused:
    return SiaPasswordRefused(
        SiaPasswordReason.NONE_ACTIVE,
        "Su empresa no tiene una contraseña vigente de los Servicios de Intercomunicación. "
        "Genérela con su e.firma en esta misma pestaña.",
    )


def cancel_password(
    session: Session, account: CompanyAccount, organization: Organization
) -> Organization:
    """«Cancelar contraseña»: it stops working at once, everywhere (the caller commits)."""
    organization = locked_organization(session, organization)
    if not has_password(organization):
        raise _none_active()
    assert organization.id is not None
    organization.sia_password_hash = None
    organization.sia_password_version += 1
    session.add(organization)
    queue_email(
        session,
        key=f"organization:{organization.id}:sia_password:{organization.sia_password_version}",
        template="contrasena_cancelada",
        to=[organization.email],
        context={
            "rfc": organization.rfc,
            "razon_social": organization.razon_social,
            "cancelada": utcnow().isoformat(),
        },
    )
    record_event(
        session,
        actor=actor_of(account),
        action="sia_password.cancelled",
        entity_type="organization",
        entity_id=organization.id,
    )
    return organization


def recover_password(
    session: Session,
    account: CompanyAccount,
    organization: Organization,
    *,
    captcha_token: str,
    captcha_answer: str,
) -> Organization:
    """«Recuperar contraseña»: after the captcha, a new password by email; the old one, if any,
    stops working. A company that cancelled its password recovers a new one this way too; one
    that never generated any must sign the terms first. The caller commits, also when the
    captcha was wrong: it is spent."""
    if not captcha.solve(session, captcha_token, captcha_answer):
        raise SiaPasswordRefused(
            SiaPasswordReason.WRONG_CAPTCHA,
            "El texto no coincide con la imagen o la imagen ya no es válida. Escriba el de la "
            "imagen nueva.",
        )
    organization = locked_organization(session, organization)
    if not (has_password(organization) or ever_generated(session, organization)):
        raise _none_active()
    assert organization.id is not None
    password = _new_password(organization)
    session.add(organization)
    queue_email(
        session,
        key=f"organization:{organization.id}:sia_password:{organization.sia_password_version}",
        template="contrasena_recuperada",
        to=[organization.email],
        context={
            "rfc": organization.rfc,
            "razon_social": organization.razon_social,
            "recuperada": utcnow().isoformat(),
            "sia": {"password": password},
        },
    )
    record_event(
        session,
        actor=actor_of(account),
        action="sia_password.recovered",
        entity_type="organization",
        entity_id=organization.id,
    )
    return organization


def company_documents(session: Session, organization: Organization) -> list[Document]:
    """The company's signed receipts, newest first."""
    return list(
        session.exec(
            select(Document)
            .where(Document.organization_id == organization.id)
            .order_by(col(Document.created_at).desc(), col(Document.id).desc())
        ).all()
    )


def company_document(session: Session, organization: Organization, folio: str) -> Document | None:
    """One of the company's receipts; None for another company's (as for a missing one)."""
    return session.exec(
        select(Document).where(
            Document.organization_id == organization.id, Document.folio == folio.strip()
        )
    ).first()
