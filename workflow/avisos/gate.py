"""Who may download a patrón's avisos (DOMAIN §2 process 4): the vendor's payroll system and
the patrón authenticate at once, each with its SIA password, and the pair passes only while the
vendor is `Certificada` and their relationship is `Relación Vigente` and within its vigencia.

The session token names the pair and the version of each SIA password; every request checks
the pair again, so a token stops working as soon as either password is cancelled or replaced,
the relationship ends (Borrar, expiry, a voided one) or the certification is cancelled.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from core.clock import utcnow
from core.tokens import TokenError, TokenExpired, issue_token, read_token
from rules.formatting import fecha
from schema import (
    IntercomService,
    Organization,
    OrganizationKind,
    RelationshipStatus,
    TrustRelationship,
)
from workflow.credentials import password_matches
from workflow.refusals import GateReason, GateRefused
from workflow.relationships.requests import is_certified
from workflow.throttle import Attempt, Door
from workflow.vendors import normalize_rfc

G = GateReason
S = RelationshipStatus
SCOPE = "produccion-avisos"
TOKEN_SECONDS = 15 * 60


@dataclass(frozen=True)
class Pair:
    vendor: Organization
    patron: Organization
    relationship: TrustRelationship


def pair_attempt(rfc: str, nrp: str, address: str) -> Attempt:
    """A production sign-in, for throttling: both names as ``authenticate_pair`` reads them."""
    return Attempt(Door.API, f"avisos:{normalize_rfc(rfc)}:{nrp.strip().upper()}", address)


def authenticate_pair(
    session: Session, *, rfc: str, password: str, nrp: str, patron_password: str
) -> tuple[Organization, Organization] | None:
    """Both credential pairs at once; None unless both are right. Both passwords are checked
    whatever the first gave, so the time taken does not tell which one was wrong."""
    vendor = session.exec(
        select(Organization).where(
            Organization.kind == OrganizationKind.DESARROLLADOR,
            Organization.rfc == normalize_rfc(rfc),
        )
    ).first()
    patron = session.exec(
        select(Organization).where(
            Organization.kind == OrganizationKind.PATRON, Organization.nrp == nrp.strip().upper()
        )
    ).first()
    vendor_hash = vendor.sia_password_hash if vendor else None
    patron_hash = patron.sia_password_hash if patron else None
    vendor_ok = password_matches(session, password, vendor_hash)
    patron_ok = password_matches(session, patron_password, patron_hash)
    if not (vendor_ok and patron_ok) or vendor is None or patron is None:
        return None
    return vendor, patron


def _refuse(reason: GateReason, message: str) -> GateRefused:
    return GateRefused(reason, message)


def check_pair(
    session: Session, vendor: Organization, patron: Organization, now: datetime | None = None
) -> TrustRelationship:
    """The vigente relationship of the pair, or why there is none, in each case's own words."""
    moment = now or utcnow()
    assert vendor.id is not None
    if not is_certified(session, vendor.id):
        raise _refuse(
            G.VENDOR_NOT_CERTIFIED,
            f"El desarrollador {vendor.rfc} no está certificado por el Infonavit; no puede "
            "consultar avisos.",
        )
    relationship = session.exec(
        select(TrustRelationship)
        .where(
            TrustRelationship.patron_id == patron.id,
            TrustRelationship.vendor_id == vendor.id,
            TrustRelationship.service == IntercomService.AVISOS,
            col(TrustRelationship.status).not_in((S.NO_PROCEDENTE,)),
        )
        .order_by(col(TrustRelationship.id).desc())
    ).first()
    who = f"el patrón {patron.nrp} y el desarrollador {vendor.rfc}"
    if relationship is None:
        raise _refuse(G.NO_RELATIONSHIP, f"No existe una relación de confianza entre {who}.")
    if relationship.status is S.EN_PROCESO:
        raise _refuse(
            G.RELATIONSHIP_PENDING,
            f"La relación de confianza entre {who} aún está en proceso; intente en unos minutos.",
        )
    if relationship.status is S.CANCELADA:
        when = fecha(relationship.cancelled_on) if relationship.cancelled_on else ""
        raise _refuse(
            G.RELATIONSHIP_CANCELLED,
            f"El patrón canceló la relación de confianza {relationship.folio} el {when}.",
        )
    if relationship.status is S.SIN_EFECTO:
        raise _refuse(
            G.RELATIONSHIP_VOIDED,
            f"La relación de confianza {relationship.folio} quedó sin efecto: la certificación "
            "del desarrollador se canceló.",
        )
    expires = relationship.expires_at
    if relationship.status is S.NO_VIGENTE or expires is None or expires <= moment:
        ended = fecha(relationship.ends_on) if relationship.ends_on else ""
        raise _refuse(
            G.RELATIONSHIP_EXPIRED,
            f"La relación de confianza {relationship.folio} terminó su vigencia el {ended}.",
        )
    return relationship


def issue_pair_token(pair: Pair) -> str:
    # Each SIA password's version rides in the token: cancelling or replacing either one ends
    # the sessions opened with the old one at once.
    return issue_token(
        SCOPE,
        {
            "v": pair.vendor.id,
            "p": pair.patron.id,
            "vv": pair.vendor.sia_password_version,
            "pv": pair.patron.sia_password_version,
        },
    )


def pair_of_token(session: Session, token: str, now: datetime | None = None) -> Pair:
    """The pair a session token names, checked again now; GateRefused otherwise."""
    try:
        payload = read_token(SCOPE, token[:2000], TOKEN_SECONDS)
    except TokenExpired:
        raise _refuse(
            G.INVALID_TOKEN, "El token expiró; abra otra sesión en /api/v1/produccion/sesiones."
        ) from None
    except TokenError:
        raise _refuse(G.INVALID_TOKEN, "El token no es válido.") from None
    vendor = session.get(Organization, payload.get("v"))
    patron = session.get(Organization, payload.get("p"))
    if vendor is None or patron is None:
        raise _refuse(G.INVALID_TOKEN, "El token no es válido.")
    for who, organization, version in (
        ("del desarrollador", vendor, payload.get("vv")),
        ("del patrón", patron, payload.get("pv")),
    ):
        if organization.sia_password_hash is None or organization.sia_password_version != version:
            raise _refuse(
                G.PASSWORD_CHANGED,
                f"La contraseña SIA {who} con la que se abrió la sesión ya no es válida; abra "
                "otra sesión.",
            )
    return Pair(vendor, patron, check_pair(session, vendor, patron, now))
