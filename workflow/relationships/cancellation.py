"""The end of a relationship before its time: «Borrar» by the patrón (confirmation → e.firma →
«Solicitud de trámite» → «Continuar» → `Relación cancelada por usuario` and its acuse), and the
loss of effect of every relationship of a vendor whose certification is cancelled.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from core.clock import utcnow
from core.config import get_settings
from mailer.outbox import queue_email, store_attachment
from schema import (
    CompanyAccount,
    DocumentKind,
    Organization,
    RelationshipStatus,
    SignaturePurpose,
    TrustRelationship,
)
from workflow.acuses import cadena_original
from workflow.portal.signatures import (
    IssuedAcuse,
    WaitingSignature,
    actor_of,
    issue_signed_acuse,
    sign_for_later,
    take_signature,
)
from workflow.refusals import RelationshipReason, RelationshipRefused
from workflow.relationships.emails import relationship_context
from workflow.relationships.requests import require_patron
from workflow.relationships.states import IllegalMove, RelationshipEvent, move

R = RelationshipReason
PDF = "application/pdf"
ACUSE_TITLE = (
    "Acuse de cancelación de relación de confianza del Servicio de Intercomunicación de Avisos"
)
VOIDED = "La certificación del desarrollador se canceló."


def patron_relationship(session: Session, patron: Organization, folio: str) -> TrustRelationship:
    """One of the patrón's relationships by its No. de Caso; another patrón's is not found."""
    relationship = session.exec(
        select(TrustRelationship).where(
            TrustRelationship.patron_id == patron.id, TrustRelationship.folio == folio[:20]
        )
    ).first()
    if relationship is None:
        raise RelationshipRefused(
            R.NO_SUCH_RELATIONSHIP, f"No encontramos la relación con No. de Caso {folio[:20]}."
        )
    return relationship


def _not_cancellable(relationship: TrustRelationship) -> RelationshipRefused:
    return RelationshipRefused(
        R.NOT_CANCELLABLE,
        f"La relación {relationship.folio} está en «{relationship.status.label}»: sólo se "
        "cancela una relación vigente.",
    )


def sign_cancellation(
    session: Session,
    account: CompanyAccount,
    patron: Organization,
    folio: str,
    *,
    cer: bytes,
    key: bytes,
    efirma_password: str,
    address: str,
) -> WaitingSignature:
    """«Validar» of «Borrar», only for a vigente relationship of this patrón."""
    require_patron(patron)
    relationship = patron_relationship(session, patron, folio)
    if relationship.status is not RelationshipStatus.VIGENTE:
        raise _not_cancellable(relationship)
    vendor = session.get(Organization, relationship.vendor_id)
    assert vendor is not None
    zone = get_settings().tz
    return sign_for_later(
        session,
        account,
        patron,
        purpose=SignaturePurpose.CANCELAR_RELACION,
        audit=("relationship.cancellation_signed", {"relationship": relationship.folio}),
        cadena_of=lambda signature_folio, now, number: cadena_original(
            [
                "CANCELACION DE RELACION DE CONFIANZA SIA",
                signature_folio,
                now.astimezone(zone).isoformat(timespec="seconds"),
                patron.rfc,
                patron.nrp or "",
                patron.razon_social,
                number,
                relationship.folio,
                vendor.rfc,
                vendor.razon_social,
            ]
        ),
        cer=cer,
        key=key,
        efirma_password=efirma_password,
        address=address,
        subject={"relationship_id": relationship.id},
    )


@dataclass(frozen=True)
class Cancelled:
    relationship: TrustRelationship
    acuse: IssuedAcuse


def confirm_cancellation(
    session: Session, account: CompanyAccount, patron: Organization, token: str
) -> Cancelled:
    """«Continuar»: `Relación cancelada por usuario` today, its acuse (emailed); the vendor stops
    reading the patrón's avisos at once."""
    waiting = take_signature(session, account, SignaturePurpose.CANCELAR_RELACION, token)
    relationship = session.get(TrustRelationship, int((waiting.subject or {})["relationship_id"]))
    if relationship is None or relationship.patron_id != patron.id:
        raise RelationshipRefused(R.NO_SUCH_RELATIONSHIP, "La relación firmada no existe.")
    try:
        move(session, relationship, RelationshipEvent.CANCELLED, actor=actor_of(account))
    except IllegalMove:
        raise _not_cancellable(relationship) from None
    now = utcnow()
    relationship.cancelled_on = now.astimezone(get_settings().tz).date()
    vendor = session.get(Organization, relationship.vendor_id)
    assert vendor is not None
    issued = issue_signed_acuse(
        session,
        waiting,
        patron,
        kind=DocumentKind.ACUSE_CANCELACION_RELACION,
        title=ACUSE_TITLE,
        paragraphs=(
            f"El patrón canceló con su e.firma la relación de confianza con No. de Caso "
            f"{relationship.folio}. Desde este momento el desarrollador no puede consultar los "
            "avisos de sus trabajadores.",
        ),
        details=(
            ("No. de Caso", relationship.folio),
            ("NRP", patron.nrp or ""),
            ("Desarrollador", f"{vendor.razon_social} ({vendor.rfc})"),
            ("Servicio de Intercomunicación", relationship.service.label),
        ),
    )
    relationship.cancellation_acuse_id = issued.document.id
    session.add(relationship)
    queue_email(
        session,
        key=f"relationship:{relationship.id}:cancelled",
        template="relacion_cancelada",
        to=[patron.email],
        context={**relationship_context(relationship, patron, vendor), "cancelada": now},
        attachments=[store_attachment(issued.pdf, f"acuse-cancelacion-{waiting.folio}.pdf", PDF)],
    )
    return Cancelled(relationship, issued)


def void_vendor_relationships(
    session: Session, vendor: Organization, *, actor: str, now: datetime | None = None
) -> list[str]:
    """A vendor whose certification is cancelled: each vigente relationship loses its effect in
    the caller's transaction, and its patrón is told. Requests still `En proceso` are declined
    by their worker, which checks the certification."""
    moment = now or utcnow()
    relationships = session.exec(
        select(TrustRelationship)
        .where(
            TrustRelationship.vendor_id == vendor.id,
            TrustRelationship.status == RelationshipStatus.VIGENTE,
        )
        .order_by(col(TrustRelationship.id))
    ).all()
    voided = []
    for relationship in relationships:
        move(session, relationship, RelationshipEvent.VOIDED, actor=actor, reason=VOIDED)
        patron = session.get(Organization, relationship.patron_id)
        assert patron is not None
        queue_email(
            session,
            key=f"relationship:{relationship.id}:voided",
            template="relacion_sin_efecto",
            to=[patron.email],
            context={**relationship_context(relationship, patron, vendor), "fecha": moment},
        )
        voided.append(relationship.folio)
    return voided
