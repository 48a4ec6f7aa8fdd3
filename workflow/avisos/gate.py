"""Who may download a patrón's avisos (DOMAIN §2 process 4): the vendor's payroll system and
the patrón authenticate at once, each with its SIA password, and the pair passes only while the
vendor is `Certificada` and their relationship is `Relación Vigente` and within its vigencia.

The session token names the pair and the version of each SIA password; every request checks
the pair again, so a token stops working as soon as either password is cancelled or replaced,
the relationship ends (Borrar, expiry, a voided one) or the certification is cancelled.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from core.clock import utcnow
from core.tokens import TokenError, TokenExpired, issue_token, read_token
from rules.formatting import fecha
from schema import (
    Certification,
    CertificationState,
    IntercomService,
    Organization,
    OrganizationKind,
    RelationshipStatus,
    TrustRelationship,
)
from workflow.credentials import password_matches
from workflow.refusals import GateReason, GateRefused
from workflow.throttle import Attempt, Door
from workflow.vendors import normalize_rfc

G = GateReason
S = RelationshipStatus
SCOPE = "produccion-avisos"
TOKEN_SECONDS = 15 * 60


@dataclass(frozen=True)
class Pair:
    """A vendor and a patrón cleared to download, as of one check: what a page needs of them."""

    vendor_id: int
    vendor_rfc: str
    patron_id: int
    patron_nrp: str
    relationship_id: int
    # The SIA passwords' versions the pair was cleared with (they ride in a session token).
    password_versions: tuple[int, int]


@dataclass(frozen=True)
class _Standing:
    """One row of :func:`_standing`: the two organizations and their latest relationship."""

    vendor_rfc: str
    vendor_password_set: bool
    vendor_password_version: int
    patron_nrp: str | None
    patron_password_set: bool
    patron_password_version: int
    certified: bool
    relationship_id: int | None
    folio: str | None
    status: RelationshipStatus | None
    cancelled_on: date | None
    ends_on: date | None
    expires_at: datetime | None


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


@cache
def _standing_statement() -> sa.Select[Any]:
    """Built once: aliasing the organizations' columns costs more than running the query."""
    vendor, patron = aliased(Organization), aliased(Organization)
    certified = (
        select(Certification.id)
        .where(
            Certification.vendor_id == vendor.id,
            Certification.state == CertificationState.CERTIFICADA,
        )
        .exists()
    )
    # The latest relationship of the pair for the service; one that never took effect (No
    # procedente) does not hide the one before it.
    earlier = aliased(TrustRelationship)
    latest = (
        select(sa.func.max(earlier.id))
        .where(
            earlier.patron_id == patron.id,
            earlier.vendor_id == vendor.id,
            earlier.service == IntercomService.AVISOS,
            earlier.status != S.NO_PROCEDENTE,
        )
        .scalar_subquery()
    )
    columns: list[Any] = [
        vendor.rfc,
        col(vendor.sia_password_hash).is_not(None),
        vendor.sia_password_version,
        patron.nrp,
        col(patron.sia_password_hash).is_not(None),
        patron.sia_password_version,
        certified,
        TrustRelationship.id,
        TrustRelationship.folio,
        TrustRelationship.status,
        TrustRelationship.cancelled_on,
        TrustRelationship.ends_on,
        TrustRelationship.expires_at,
    ]
    statement = (
        sa.select(*columns)
        .select_from(vendor)
        .join(patron, sa.true())
        .outerjoin(TrustRelationship, col(TrustRelationship.id) == latest)
        .where(
            col(vendor.id) == sa.bindparam("vendor_id"),
            col(vendor.kind) == OrganizationKind.DESARROLLADOR,
            col(patron.id) == sa.bindparam("patron_id"),
            col(patron.kind) == OrganizationKind.PATRON,
        )
    )
    return statement


def _standing(session: Session, vendor_id: int, patron_id: int) -> _Standing | None:
    """Everything the gate judges, in one statement: every page asks it again."""
    parameters = {"vendor_id": vendor_id, "patron_id": patron_id}
    session.flush()  # what session.execute would do; the rest as Core, without the ORM's layer
    row = session.connection().execute(_standing_statement(), parameters).first()
    return None if row is None else _Standing(*row)


def _judge(standing: _Standing, moment: datetime) -> int:
    """The id of the pair's vigente relationship, or why there is none, in each case's words."""
    if not standing.certified:
        raise _refuse(
            G.VENDOR_NOT_CERTIFIED,
            f"El desarrollador {standing.vendor_rfc} no está certificado por el Infonavit; no "
            "puede consultar avisos.",
        )
    who = f"el patrón {standing.patron_nrp} y el desarrollador {standing.vendor_rfc}"
    if standing.relationship_id is None:
        raise _refuse(G.NO_RELATIONSHIP, f"No existe una relación de confianza entre {who}.")
    if standing.status is S.EN_PROCESO:
        raise _refuse(
            G.RELATIONSHIP_PENDING,
            f"La relación de confianza entre {who} aún está en proceso; intente en unos minutos.",
        )
    if standing.status is S.CANCELADA:
        when = fecha(standing.cancelled_on) if standing.cancelled_on else ""
        raise _refuse(
            G.RELATIONSHIP_CANCELLED,
            f"El patrón canceló la relación de confianza {standing.folio} el {when}.",
        )
    if standing.status is S.SIN_EFECTO:
        raise _refuse(
            G.RELATIONSHIP_VOIDED,
            f"La relación de confianza {standing.folio} quedó sin efecto: la certificación "
            "del desarrollador se canceló.",
        )
    expires = standing.expires_at
    if standing.status is S.NO_VIGENTE or expires is None or expires <= moment:
        ended = fecha(standing.ends_on) if standing.ends_on else ""
        raise _refuse(
            G.RELATIONSHIP_EXPIRED,
            f"La relación de confianza {standing.folio} terminó su vigencia el {ended}.",
        )
    return standing.relationship_id


def _cleared(vendor_id: int, patron_id: int, standing: _Standing, moment: datetime) -> Pair:
    return Pair(
        vendor_id,
        standing.vendor_rfc,
        patron_id,
        standing.patron_nrp or "",
        _judge(standing, moment),
        (standing.vendor_password_version, standing.patron_password_version),
    )


def check_pair(
    session: Session, vendor: Organization, patron: Organization, now: datetime | None = None
) -> Pair:
    """The pair, if the vendor is certified and their relationship vigente now; GateRefused
    otherwise."""
    assert vendor.id is not None and patron.id is not None
    standing = _standing(session, vendor.id, patron.id)
    assert standing is not None, "a vendor and a patrón as authenticate_pair returns them"
    return _cleared(vendor.id, patron.id, standing, now or utcnow())


def issue_pair_token(pair: Pair) -> str:
    # Each SIA password's version rides in the token: cancelling or replacing either one ends
    # the sessions opened with the old one at once.
    vendor_version, patron_version = pair.password_versions
    return issue_token(
        SCOPE,
        {"v": pair.vendor_id, "p": pair.patron_id, "vv": vendor_version, "pv": patron_version},
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
    vendor_id, patron_id = payload.get("v"), payload.get("p")
    if not (isinstance(vendor_id, int) and isinstance(patron_id, int)):
        raise _refuse(G.INVALID_TOKEN, "El token no es válido.")
    standing = _standing(session, vendor_id, patron_id)
    if standing is None:
        raise _refuse(G.INVALID_TOKEN, "El token no es válido.")
    for who, password_set, version, given in (
        ("del desarrollador", standing.vendor_password_set, standing.vendor_password_version,
         payload.get("vv")),
        ("del patrón", standing.patron_password_set, standing.patron_password_version,
         payload.get("pv")),
    ):  # fmt: skip
        if not password_set or version != given:
            raise _refuse(
                G.PASSWORD_CHANGED,
                f"La contraseña SIA {who} con la que se abrió la sesión ya no es válida; abra "
                "otra sesión.",
            )
    return _cleared(vendor_id, patron_id, standing, now or utcnow())
