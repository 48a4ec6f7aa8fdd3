"""The patrón's table of relaciones de confianza (DOMAIN §2 process 3), as its portal tab, the
staff's read-only view, the Excel export and `sia relationships list` all show it, and the
lookups of a patrón by NRP or RFC that lead to it.

A read model: nothing here changes stored state.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import aliased
from sqlmodel import Session, col, or_, select

from rules.identities import is_valid_nrp
from schema import (
    Document,
    Organization,
    OrganizationKind,
    RelationshipStatus,
    TrustRelationship,
)

# The guide's columns, in its order. «Acuse» is the download of the acuses; «Cancelación» holds
# the «Borrar» of a vigente relationship (the portal's only action; no column of data).
HEADERS: tuple[str, ...] = (
    "No. de Caso",
    "RFC",
    "Razón social",
    "Servicios de Intercomunicación",
    "Fecha inicio vigencia",
    "Fin de vigencia",
    "Fecha cancelación anticipada",
    "Estatus",
    "Acuse",
    "Cancelación",
)

# A search lists at most this many patrones.
SEARCH_LIMIT = 50


@dataclass(frozen=True)
class RelationshipRow:
    """One line of the table: the relationship and what each column shows."""

    relationship: TrustRelationship
    folio: str  # «No. de Caso»
    vendor_rfc: str
    vendor_razon_social: str
    service: str  # label, "Avisos"
    starts_on: date | None  # «Fecha inicio vigencia»
    ends_on: date | None  # «Fin de vigencia»
    cancelled_on: date | None  # «Fecha cancelación anticipada»
    status: str  # RelationshipStatus.label
    acuse: Document | None
    cancellation_acuse: Document | None
    cancellable: bool  # status is VIGENTE («Borrar» shown)

    @property
    def acuse_folios(self) -> tuple[str, ...]:
        """The folios of its acuses: the registration's, then the cancellation's."""
        return tuple(d.folio for d in (self.acuse, self.cancellation_acuse) if d is not None)


def patron_relationships(session: Session, patron: Organization) -> list[RelationshipRow]:
    """Every relationship of ``patron``, newest first (id descending), with its vendor and its
    acuses: one query (index ``ix_trust_relationships_patron_id_id``), no lookup per row."""
    acuse = aliased(Document, name="acuse")
    cancellation = aliased(Document, name="cancellation_acuse")
    found = session.exec(
        select(TrustRelationship, Organization, acuse, cancellation)
        .join(Organization, col(Organization.id) == TrustRelationship.vendor_id)
        .outerjoin(acuse, col(acuse.id) == TrustRelationship.acuse_id)
        .outerjoin(cancellation, col(cancellation.id) == TrustRelationship.cancellation_acuse_id)
        .where(TrustRelationship.patron_id == patron.id)
        .order_by(col(TrustRelationship.id).desc())
    ).all()
    return [
        RelationshipRow(
            relationship=relationship,
            folio=relationship.folio,
            vendor_rfc=vendor.rfc,
            vendor_razon_social=vendor.razon_social,
            service=relationship.service.label,
            starts_on=relationship.starts_on,
            ends_on=relationship.ends_on,
            cancelled_on=relationship.cancelled_on,
            status=relationship.status.label,
            acuse=registered,
            cancellation_acuse=cancelled,
            cancellable=relationship.status is RelationshipStatus.VIGENTE,
        )
        for relationship, vendor, registered, cancelled in found
    ]


def normalized_nrp(text: str) -> str:
    """An NRP as stored: no spaces, upper case."""
    return "".join(text.split()).upper()


def patron_by_nrp(session: Session, nrp: str) -> Organization | None:
    """The patrón registered with this NRP (any spacing or case); None for an unknown NRP or
    text that is not one (which never reaches the database)."""
    wanted = normalized_nrp(nrp)
    if not is_valid_nrp(wanted):
        return None
    return session.exec(
        select(Organization).where(
            Organization.kind == OrganizationKind.PATRON, Organization.nrp == wanted
        )
    ).first()


def search_patrons(session: Session, text: str, limit: int = SEARCH_LIMIT) -> list[Organization]:
    """Patrones whose NRP or RFC starts with ``text`` (spaces and case aside), by NRP; at most
    ``limit``. Empty text finds nothing."""
    wanted = "".join(text.split()).upper()
    if not wanted:
        return []
    return list(
        session.exec(
            select(Organization)
            .where(
                Organization.kind == OrganizationKind.PATRON,
                or_(
                    col(Organization.nrp).startswith(wanted, autoescape=True),
                    col(Organization.rfc).startswith(wanted, autoescape=True),
                ),
            )
            .order_by(col(Organization.nrp), col(Organization.id))
            .limit(limit)
        ).all()
    )
