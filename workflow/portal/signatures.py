"""Steps signed with the e.firma in two requests, as the portal guides show them: «Validar»
signs the step's cadena original (the key exists only in that request) and leaves the signature
waiting; «Continuar» takes it, once, and the step issues its signed acuse.

What waits (``pending_signatures``) is not secret: the cadena, the sello and the public
certificate. A waiting signature lasts ``SIGNATURE_MINUTES`` and is taken under a row lock, so a
double submit of «Continuar» does the step once.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from core.clock import utcnow
from schema import (
    CompanyAccount,
    Document,
    DocumentKind,
    Organization,
    PendingSignature,
    SignaturePurpose,
)
from workflow.acuses import Acuse, acuse_bytes, issue_acuse
from workflow.audit import record_event
from workflow.folios import issue_folio
from workflow.portal.efirma import read_certificate, sign
from workflow.refusals import SignatureReason, SignatureRefused

# Between «Validar» and «Continuar»: long enough to read the page, short enough that a signature
# left behind on a shared computer is soon worthless.
SIGNATURE_MINUTES = 15

# (folio, moment of signing, certificate number) -> the cadena original to sign.
CadenaOf = Callable[[str, datetime, str], str]


@dataclass(frozen=True)
class WaitingSignature:
    token: str  # for the confirmation form; only its hash is kept
    row: PendingSignature


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def actor_of(account: CompanyAccount) -> str:
    return f"cuenta:{account.id}"


def sign_for_later(
    session: Session,
    account: CompanyAccount,
    organization: Organization,
    *,
    purpose: SignaturePurpose,
    cadena_of: CadenaOf,
    cer: bytes,
    key: bytes,
    efirma_password: str,
    address: str,
    audit: tuple[str, dict[str, Any]],
    certification_id: int | None = None,
    subject: dict[str, Any] | None = None,
) -> WaitingSignature:
    """«Validar»: the step's cadena (its folio issued now, as it is part of what is signed)
    signed with the company's e.firma, audited as ``audit`` (action, data); EFirmaRefused or
    Throttled otherwise."""
    certificate_number = read_certificate(cer).certificate_number
    now = utcnow()
    folio = issue_folio(session, purpose.value)
    cadena = cadena_of(folio, now, certificate_number)
    signed = sign(
        session,
        cer=cer,
        key=key,
        password=efirma_password,
        cadena=cadena,
        rfc=organization.rfc,
        address=address,
        now=now,
    )
    assert account.id is not None
    token = secrets.token_urlsafe(32)
    row = PendingSignature(
        token_hash=_digest(token),
        account_id=account.id,
        purpose=purpose,
        certification_id=certification_id,
        subject=subject,
        folio=folio,
        cadena=cadena,
        sello=signed.sello,
        certificate_der=signed.efirma.certificate_der,
        certificate_number=signed.efirma.certificate_number,
        signed_at=now,
        expires_at=now + timedelta(minutes=SIGNATURE_MINUTES),
    )
    session.add(row)
    action, data = audit
    record_event(
        session,
        actor=actor_of(account),
        action=action,
        entity_type="organization",
        entity_id=account.organization_id,
        data={"folio": folio, "certificate_number": row.certificate_number, **data},
    )
    return WaitingSignature(token, row)


def waiting_signature(
    session: Session,
    account: CompanyAccount,
    purpose: SignaturePurpose,
    token: str,
    *,
    lock: bool = False,
) -> PendingSignature | None:
    """The account's unused, unexpired signature for ``purpose`` behind ``token``."""
    if not token or len(token) > 100:
        return None
    query = select(PendingSignature).where(
        PendingSignature.token_hash == _digest(token),
        PendingSignature.account_id == account.id,
        PendingSignature.purpose == purpose,
        col(PendingSignature.used_at).is_(None),
        col(PendingSignature.expires_at) > utcnow(),
    )
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return session.exec(query).first()


def take_signature(
    session: Session, account: CompanyAccount, purpose: SignaturePurpose, token: str
) -> PendingSignature:
    """«Continuar»: the waiting signature, locked and marked used in the caller's transaction;
    SignatureRefused when it is gone (used, expired, another account's or made up)."""
    waiting = waiting_signature(session, account, purpose, token, lock=True)
    if waiting is None:
        raise SignatureRefused(
            SignatureReason.GONE,
            f"Su validación con e.firma ya no está vigente (dura {SIGNATURE_MINUTES} minutos y "
            "sirve una sola vez). Valide de nuevo con su e.firma.",
        )
    waiting.used_at = utcnow()
    session.add(waiting)
    return waiting


@dataclass(frozen=True)
class IssuedAcuse:
    document: Document
    pdf: bytes


def issue_signed_acuse(
    session: Session,
    waiting: PendingSignature,
    organization: Organization,
    *,
    kind: DocumentKind,
    title: str,
    paragraphs: tuple[str, ...] = (),
    details: tuple[tuple[str, str], ...] = (),
    certification_id: int | None = None,
) -> IssuedAcuse:
    """The step's acuse: the waiting signature's folio, cadena and sello in a PDF."""
    assert organization.id is not None
    document = issue_acuse(
        session,
        Acuse(
            kind=kind,
            title=title,
            folio=waiting.folio,
            issued_at=waiting.signed_at,
            rfc=organization.rfc,
            razon_social=organization.razon_social,
            certificate_number=waiting.certificate_number,
            cadena=waiting.cadena,
            sello=waiting.sello,
            paragraphs=paragraphs,
            details=details,
        ),
        organization_id=organization.id,
        certification_id=certification_id,
    )
    return IssuedAcuse(document, acuse_bytes(document))
