"""Company accounts: registration with the e.firma, email confirmation, sign-in and sessions.

A patrón is its NRP (with its RFC); a desarrollador is its RFC (with an NRP when it has one).
Registering proves the company with its e.firma (the certificate's RFC must be the company's),
and the account signs in only after its email is confirmed by a signed link. The razón social
is the certificate's: it is what SAT says the company is called.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import Final

from sqlmodel import Session, col, select

from core.clock import utcnow
from core.config import get_settings
from core.security import hash_password
from core.tokens import TokenError, TokenExpired, issue_token, read_token
from mailer.addresses import parse_mailbox
from mailer.outbox import queue_email
from rules.identities import is_valid_nrp, is_valid_rfc
from schema import CompanyAccount, CompanySession, Organization, OrganizationKind
from workflow.audit import record_event
from workflow.browser_sessions import OpenedSession, live_session, open_browser_session, revoke
from workflow.credentials import password_matches
from workflow.portal.efirma import sign
from workflow.refusals import AccountReason, AccountRefused
from workflow.throttle import Attempt, Door

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024
CONFIRMATION_HOURS = 48
_CONFIRM_PURPOSE = "confirmar-cuenta"
_NRP_SHAPE: Final = re.compile(r"^[A-Z0-9]\d{10}$")

KIND_LABELS: Final = {
    OrganizationKind.PATRON: "Patrón",
    OrganizationKind.DESARROLLADOR: "Desarrollador",
}


@dataclass(frozen=True)
class Registration:
    """What the registration form sends, besides the e.firma files."""

    kind: str
    rfc: str
    nrp: str
    email: str
    password: str
    password_again: str


@dataclass(frozen=True)
class Registered:
    account: CompanyAccount
    organization: Organization


def _refuse(reason: AccountReason, message: str) -> AccountRefused:
    return AccountRefused(reason, message)


def _kind(value: str) -> OrganizationKind:
    try:
        return OrganizationKind(value.strip())
    except ValueError:
        raise _refuse(
            AccountReason.INVALID_KIND, "Indique si registra un patrón o un desarrollador."
        ) from None


def _email(value: str) -> str:
    address = value.strip().lower()
    try:
        return parse_mailbox(address).addr_spec
    except ValueError:
        raise _refuse(
            AccountReason.INVALID_EMAIL,
            f"El correo «{address}» no es válido (una sola dirección, sin acentos ni ñ).",
        ) from None


def _fields(form: Registration) -> tuple[OrganizationKind, str, str | None, str]:
    kind = _kind(form.kind)
    rfc = form.rfc.strip().upper()
    if not is_valid_rfc(rfc):
        raise _refuse(AccountReason.INVALID_RFC, f"El RFC «{rfc}» no es válido.")
    nrp = form.nrp.strip().upper() or None
    if nrp is None and kind is OrganizationKind.PATRON:
        raise _refuse(AccountReason.NRP_REQUIRED, "Escriba el Número de Registro Patronal (NRP).")
    if nrp is not None and not is_valid_nrp(nrp):
        raise _refuse(
            AccountReason.INVALID_NRP,
            f"El NRP «{nrp}» no es válido: son 11 caracteres, una letra o dígito y 10 dígitos.",
        )
    email = _email(form.email)
    if not MIN_PASSWORD_LENGTH <= len(form.password) <= MAX_PASSWORD_LENGTH:
        raise _refuse(
            AccountReason.WEAK_CREDENTIAL,
            f"La contraseña del portal debe tener entre {MIN_PASSWORD_LENGTH} y "
            f"{MAX_PASSWORD_LENGTH} caracteres.",
        )
    if form.password != form.password_again:
        raise _refuse(AccountReason.PASSWORDS_DIFFER, "Las dos contraseñas no coinciden.")
    return kind, rfc, nrp, email


def _organization(
    session: Session, kind: OrganizationKind, rfc: str, nrp: str | None
) -> Organization | None:
    """The organization these identifiers name, if the back office already knows it; refused
    when the NRP belongs to someone else."""
    holder = (
        session.exec(select(Organization).where(Organization.nrp == nrp)).first() if nrp else None
    )
    if holder is not None and (holder.kind is not kind or holder.rfc != rfc):
        raise _refuse(
            AccountReason.NRP_TAKEN,
            f"El NRP {nrp} ya está registrado por otra cuenta. Si es suyo, comuníquese con el "
            "Infonavit.",
        )
    if kind is OrganizationKind.PATRON:
        return holder
    return session.exec(
        select(Organization).where(
            Organization.kind == OrganizationKind.DESARROLLADOR, Organization.rfc == rfc
        )
    ).first()


def registration_cadena(kind: OrganizationKind, rfc: str, nrp: str | None, email: str) -> str:
    """What the company signs to register: who it is and the address it claims."""
    moment = utcnow().isoformat(timespec="seconds")
    return f"||REGISTRO PORTAL SIA|{kind.value}|{rfc}|{nrp or ''}|{email}|{moment}||"


def register(
    session: Session,
    form: Registration,
    *,
    cer: bytes,
    key: bytes,
    efirma_password: str,
    address: str,
) -> Registered:
    """Register (or re-register, while unconfirmed) the company's account and queue the
    confirmation email. Refused, with nothing stored, for bad fields or a bad e.firma."""
    kind, rfc, nrp, email = _fields(form)
    organization = _organization(session, kind, rfc, nrp)
    account = (
        session.exec(
            select(CompanyAccount).where(CompanyAccount.organization_id == organization.id)
        ).first()
        if organization is not None
        else None
    )
    if account is not None and account.email_confirmed_at is not None:
        raise _refuse(
            AccountReason.ALREADY_REGISTERED,
            "Esta empresa ya tiene una cuenta en el portal. Ingrese con su correo y contraseña.",
        )
    # Signing proves the key is there, not only the public certificate.
    signed = sign(
        session,
        cer=cer,
        key=key,
        password=efirma_password,
        cadena=registration_cadena(kind, rfc, nrp, email),
        rfc=rfc,
        address=address,
    )
    name = signed.efirma.name or rfc
    if organization is None:
        organization = Organization(kind=kind, rfc=rfc, nrp=nrp, razon_social=name, email=email)
    else:
        organization.razon_social = name
        organization.nrp = organization.nrp or nrp
    session.add(organization)
    session.flush()
    assert organization.id is not None
    if account is None:
        account = CompanyAccount(
            organization_id=organization.id,
            email=email,
            password_hash=hash_password(form.password),
            certificate_number=signed.efirma.certificate_number,
        )
    else:
        account.email = email
        account.password_hash = hash_password(form.password)
        account.certificate_number = signed.efirma.certificate_number
    session.add(account)
    session.flush()
    assert account.id is not None
    record_event(
        session,
        actor=f"empresa:{organization.rfc}",
        action="portal.account_registered",
        entity_type="organization",
        entity_id=organization.id,
        data={
            "account_id": account.id,
            "email": email,
            "certificate_number": signed.efirma.certificate_number,
        },
    )
    _queue_confirmation(session, account, organization)
    return Registered(account, organization)


def _queue_confirmation(
    session: Session, account: CompanyAccount, organization: Organization
) -> None:
    assert account.id is not None
    token = issue_token(_CONFIRM_PURPOSE, {"account": account.id, "email": account.email})
    expires = utcnow() + timedelta(hours=CONFIRMATION_HOURS)
    queue_email(
        session,
        # One email per registration attempt: a re-registration sends its own link.
        key=f"account:{account.id}:confirm:{hashlib.sha256(token.encode()).hexdigest()[:16]}",
        template="cuenta_confirmacion",
        to=[account.email],
        context={
            "razon_social": organization.razon_social,
            "rfc": organization.rfc,
            "enlace": f"{get_settings().portal_url}/confirmar?token={token}",
            "vence": expires.isoformat(),
        },
    )


def confirm_email(session: Session, token: str) -> CompanyAccount:
    """Confirm the address the link was sent to; the organization's contact email becomes it.
    Idempotent: a second click on the same link confirms nothing new and is not an error."""
    try:
        payload = read_token(_CONFIRM_PURPOSE, token, CONFIRMATION_HOURS * 3600)
    except TokenExpired:
        raise _refuse(
            AccountReason.EXPIRED_LINK,
            "El enlace de confirmación venció; regístrese de nuevo para recibir otro.",
        ) from None
    except TokenError:
        raise _refuse(
            AccountReason.INVALID_LINK, "El enlace de confirmación no es válido."
        ) from None
    account = session.exec(
        select(CompanyAccount).where(CompanyAccount.id == payload.get("account")).with_for_update()
    ).first()
    if account is None or account.email != payload.get("email"):
        # A later registration changed the address: this link was for the earlier one.
        raise _refuse(AccountReason.INVALID_LINK, "El enlace de confirmación no es válido.")
    if account.email_confirmed_at is None:
        organization = session.get(Organization, account.organization_id)
        assert organization is not None and organization.id is not None
        account.email_confirmed_at = utcnow()
        organization.email = account.email
        session.add_all([account, organization])
        record_event(
            session,
            actor=f"empresa:{organization.rfc}",
            action="portal.email_confirmed",
            entity_type="organization",
            entity_id=organization.id,
            data={"account_id": account.id, "email": account.email},
        )
    return account


def normalized_identifier(identifier: str) -> str:
    return identifier.strip().upper()


def sign_in_attempt(identifier: str, email: str, address: str) -> Attempt:
    return Attempt(
        Door.PORTAL, f"{normalized_identifier(identifier)}:{email.strip().lower()}", address
    )


def authenticate_company(
    session: Session, identifier: str, email: str, password: str
) -> tuple[CompanyAccount, Organization] | None:
    """The active account whose NRP (or, for a desarrollador, RFC), email and portal password
    these are; None for any mismatch, after the same work."""
    name = normalized_identifier(identifier)
    by = (
        Organization.nrp == name
        if _NRP_SHAPE.match(name)
        else (Organization.rfc == name) & (Organization.kind == OrganizationKind.DESARROLLADOR)
    )
    found = session.exec(
        select(CompanyAccount, Organization)
        .join(Organization, col(Organization.id) == CompanyAccount.organization_id)
        .where(by, CompanyAccount.email == email.strip().lower())
    ).first()
    stored = found[0].password_hash if found is not None else None
    if not password_matches(session, password, stored) or found is None:
        return None
    account, organization = found
    return (account, organization) if account.is_active else None


def open_company_session(
    session: Session, account: CompanyAccount, *, address: str, user_agent: str
) -> OpenedSession[CompanySession]:
    assert account.id is not None
    account.last_login_at = utcnow()
    session.add(account)
    opened = open_browser_session(
        session,
        partial(CompanySession, account_id=account.id),
        address=address,
        user_agent=user_agent,
    )
    record_event(
        session,
        actor=f"cuenta:{account.id}",
        action="portal.signed_in",
        entity_type="organization",
        entity_id=account.organization_id,
    )
    return opened


@dataclass(frozen=True)
class SignedInCompany:
    row: CompanySession
    account: CompanyAccount
    organization: Organization


def resume_company_session(session: Session, cookie: str) -> SignedInCompany | None:
    row = live_session(session, CompanySession, cookie)
    if row is None:
        return None
    account = session.get(CompanyAccount, row.account_id)
    if account is None or not account.is_active or account.email_confirmed_at is None:
        return None
    organization = session.get(Organization, account.organization_id)
    assert organization is not None
    return SignedInCompany(row, account, organization)


def end_company_session(session: Session, row: CompanySession, account: CompanyAccount) -> None:
    revoke(session, row)
    record_event(
        session,
        actor=f"cuenta:{account.id}",
        action="portal.signed_out",
        entity_type="organization",
        entity_id=account.organization_id,
    )


def locked_organization(session: Session, organization: Organization) -> Organization:
    """The organization's row, locked in the caller's transaction: two tabs of one browser
    that each validated a step must not both complete it."""
    return session.exec(
        select(Organization)
        .where(Organization.id == organization.id)
        .with_for_update()
        # The request loaded this row before the lock: what the lock guards is the fresh one.
        .execution_options(populate_existing=True)
    ).one()
