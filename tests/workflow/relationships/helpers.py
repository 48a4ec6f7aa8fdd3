"""Relaciones de confianza written straight into the database, for tests of what reads them (the
table, its export, the staff's view, the CLI): a patrón with its portal account, certified
vendors, acuses, and relationships in any status.

    patron = make_patron(session)
    vendor = make_vendor(session)
    make_relationship(session, patron, vendor, status=RelationshipStatus.CANCELADA,
                      starts_on=date(2024, 3, 7), cancelled_on=date(2024, 3, 8))

Nothing here goes through ``workflow.relationships`` (no audit, no emails, no PDF): the rows are
what those steps leave behind. Each helper flushes, so ids are set; the caller commits.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import date, timedelta
from functools import cache

from sqlmodel import Session, select

from core.clock import utcnow
from core.security import hash_password
from rules.vigencia import add_months
from schema import (
    CompanyAccount,
    Document,
    DocumentKind,
    IntercomService,
    Organization,
    OrganizationKind,
    PendingSignature,
    RelationshipStatus,
    SignaturePurpose,
    TrustRelationship,
)
from workflow.folios import issue_folio

NRP = "Y5412345107"
PATRON_RFC = "PAT8503157B7"
PATRON_NAME = "PATRONES UNIDOS SA DE CV"
VENDOR_RFC = "CAC840428RH1"
VENDOR_NAME = "NOMINAS DEL NORTE SA DE CV"
CERTIFICATE_NUMBER = "30001000000500003416"

# Statuses a relationship reaches only once registered (it has dates and an acuse).
REGISTERED = frozenset(
    {
        RelationshipStatus.VIGENTE,
        RelationshipStatus.CANCELADA,
        RelationshipStatus.NO_VIGENTE,
        RelationshipStatus.SIN_EFECTO,
    }
)


def make_patron(
    session: Session,
    *,
    nrp: str = NRP,
    rfc: str = PATRON_RFC,
    razon_social: str = PATRON_NAME,
    email: str | None = None,
) -> Organization:
    """A patrón and its confirmed portal account."""
    patron = Organization(
        kind=OrganizationKind.PATRON,
        rfc=rfc,
        razon_social=razon_social,
        nrp=nrp,
        email=email or f"contacto@{nrp.lower()}.example",
    )
    session.add(patron)
    session.flush()
    account_of(session, patron)
    return patron


def make_vendor(
    session: Session, *, rfc: str = VENDOR_RFC, razon_social: str = VENDOR_NAME
) -> Organization:
    """A desarrollador (its certification is not needed by what reads the table)."""
    vendor = Organization(
        kind=OrganizationKind.DESARROLLADOR,
        rfc=rfc,
        razon_social=razon_social,
        email=f"certificacion@{rfc.lower()}.example",
    )
    session.add(vendor)
    session.flush()
    return vendor


@cache
def _portal_password_hash() -> str:
    return hash_password("contraseña-del-portal-de-pruebas")


def account_of(session: Session, organization: Organization) -> CompanyAccount:
    """The organization's portal account, created (confirmed) when it has none."""
    found = session.exec(
        select(CompanyAccount).where(CompanyAccount.organization_id == organization.id)
    ).first()
    if found is not None:
        return found
    assert organization.id is not None
    account = CompanyAccount(
        organization_id=organization.id,
        email=organization.email,
        password_hash=_portal_password_hash(),
        certificate_number=CERTIFICATE_NUMBER,
        email_confirmed_at=utcnow(),
    )
    session.add(account)
    session.flush()
    return account


def make_document(session: Session, organization: Organization, kind: DocumentKind) -> Document:
    """A Document row (an acuse); no PDF is stored behind it."""
    assert organization.id is not None
    folio = issue_folio(session, kind.value)
    document = Document(
        folio=folio,
        kind=kind,
        organization_id=organization.id,
        sha256=hashlib.sha256(folio.encode()).hexdigest(),
        storage_path=f"acuses/{folio}.pdf",
        signer_rfc=organization.rfc,
        certificate_number=CERTIFICATE_NUMBER,
        signature="c2VsbG8=",
        cadena=f"||{folio}||",
    )
    session.add(document)
    session.flush()
    return document


def _signature(
    session: Session, account: CompanyAccount, folio: str, purpose: SignaturePurpose
) -> PendingSignature:
    assert account.id is not None
    now = utcnow()
    signature = PendingSignature(
        token_hash=hashlib.sha256(uuid.uuid4().bytes).hexdigest(),
        account_id=account.id,
        purpose=purpose,
        folio=folio,
        cadena=f"||{folio}||",
        sello="c2VsbG8=",
        certificate_der=b"certificado",
        certificate_number=CERTIFICATE_NUMBER,
        signed_at=now,
        expires_at=now + timedelta(minutes=15),
        used_at=now,
    )
    session.add(signature)
    session.flush()
    return signature


def make_relationship(
    session: Session,
    patron: Organization,
    vendor: Organization,
    *,
    status: RelationshipStatus = RelationshipStatus.VIGENTE,
    starts_on: date | None = None,
    ends_on: date | None = None,
    cancelled_on: date | None = None,
    vigencia_months: int = 12,
    folio: str | None = None,
    acuse: bool | None = None,
    cancellation_acuse: bool | None = None,
    status_reason: str | None = None,
) -> TrustRelationship:
    """A relationship of ``patron`` with ``vendor`` in ``status``.

    By default a registered one (every status but en proceso and no procedente) gets dates
    (from 2024-03-07 for ``vigencia_months``) and an acuse; a cancelled one also gets
    ``cancelled_on`` (its start) and a cancellation acuse. Pass values to override them.
    """
    assert patron.id is not None and vendor.id is not None
    registered = status in REGISTERED
    if registered and starts_on is None:
        starts_on = date(2024, 3, 7)
    if starts_on is not None and ends_on is None:
        ends_on = add_months(starts_on, vigencia_months)
    cancelled = status is RelationshipStatus.CANCELADA
    if cancelled and cancelled_on is None:
        cancelled_on = starts_on
    account = account_of(session, patron)
    folio = folio or issue_folio(session, "relacion_confianza")
    signature = _signature(session, account, folio, SignaturePurpose.ADICIONAR_RELACION)
    registration = (
        make_document(session, patron, DocumentKind.ACUSE_RELACION)
        if (registered if acuse is None else acuse)
        else None
    )
    cancellation = (
        make_document(session, patron, DocumentKind.ACUSE_CANCELACION_RELACION)
        if (cancelled if cancellation_acuse is None else cancellation_acuse)
        else None
    )
    assert signature.id is not None and account.id is not None
    relationship = TrustRelationship(
        folio=folio,
        patron_id=patron.id,
        vendor_id=vendor.id,
        service=IntercomService.AVISOS,
        vigencia_months=vigencia_months,
        status=status,
        status_reason=status_reason,
        requested_by=account.id,
        signature_id=signature.id,
        starts_on=starts_on,
        ends_on=ends_on,
        cancelled_on=cancelled_on,
        acuse_id=registration.id if registration else None,
        cancellation_acuse_id=cancellation.id if cancellation else None,
    )
    session.add(relationship)
    session.flush()
    return relationship
