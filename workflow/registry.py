"""The public registry of certified vendors (issue 15): what anyone may read about the
certificates the back office issued, so a patrón can check a vendor before trusting it.

A *certificate* is a certification that became `Certificada` at some point (``certified_at``
is set by the state machine and kept after a cancellation). It is in force while the
certification stays `Certificada`; once `Cancelada` it is still shown, as cancelled, with the
moment of the cancellation. A certification that never reached `Certificada` is no certificate:
nothing here discloses it, not even that its folio exists.

Pure reads; the lists are pages of :data:`PAGE_SIZE` rows at most (there may be thousands).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from schema import Certification, CertificationState, Organization, OrganizationKind

S = CertificationState

PAGE_SIZE = 50
MAX_PAGE = 10_000  # 500,000 certificates: far beyond what the registry will ever hold
MAX_SEARCH = 100
STATUS_IN_FORCE = "Certificado"
STATUS_CANCELLED = "Cancelado"
# Only these states can follow `Certificada` (DOMAIN §3); anything else is never disclosed.
_CERTIFIED_STATES = (S.CERTIFICADA, S.CANCELADA)

_FOLIO = re.compile(r"[0-9]{10}")
# The shape of an RFC (12 characters: persona moral; 13: persona física), not its check digit.
_RFC = re.compile(r"[A-ZÑ&]{3,4}[0-9]{6}[A-Z0-9]{3}")


@dataclass(frozen=True)
class Certificate:
    """One certificate as the registry shows it."""

    folio: str
    rfc: str
    razon_social: str
    certified_at: datetime
    in_force: bool
    cancelled_at: datetime | None

    @property
    def status(self) -> str:
        """«Certificado» while in force, «Cancelado» after the cancellation."""
        return STATUS_IN_FORCE if self.in_force else STATUS_CANCELLED


@dataclass(frozen=True)
class CertificatePage:
    """A page of certificates; ``has_more`` says whether page ``number + 1`` has any."""

    rows: tuple[Certificate, ...]
    number: int
    has_more: bool


def is_folio(text: str) -> bool:
    """Whether ``text`` has the shape of a folio: 10 ASCII digits."""
    return _FOLIO.fullmatch(text) is not None


def normal_rfc(text: str) -> str | None:
    """``text`` as an RFC (upper case, surrounding spaces dropped), or None when it does not
    have the shape of one."""
    rfc = text.strip().upper()
    return rfc if _RFC.fullmatch(rfc) else None


def _certificate(certification: Certification, vendor: Organization) -> Certificate:
    assert certification.certified_at is not None
    cancelled = certification.state is S.CANCELADA
    return Certificate(
        folio=certification.folio,
        rfc=vendor.rfc,
        razon_social=vendor.razon_social,
        certified_at=certification.certified_at,
        in_force=certification.state is S.CERTIFICADA,
        cancelled_at=certification.state_changed_at if cancelled else None,
    )


def _certificates() -> Any:
    return (
        select(Certification, Organization)
        .join(Organization, col(Organization.id) == Certification.vendor_id)
        .where(
            col(Certification.certified_at).is_not(None),
            col(Certification.state).in_(_CERTIFIED_STATES),
            Organization.kind == OrganizationKind.DESARROLLADOR,
        )
    )


def _holds(column: str, text: str) -> Any:
    """``column`` holds ``text``, whatever the case (lower() folds Unicode on both databases:
    core.db gives SQLite Python's)."""
    return col(column).icontains(text, autoescape=True)


def list_certificates(
    session: Session,
    *,
    search: str | None = None,
    rfc: str | None = None,
    page: int = 1,
    page_size: int = PAGE_SIZE,
) -> CertificatePage:
    """Page ``page`` (from 1) of the registry.

    Without ``rfc``: the certificates in force, by razón social then id. ``search`` keeps those
    whose RFC or razón social holds it (case-insensitive, but see :func:`_holds` for accented
    letters on SQLite; runs of spaces count as one).
    With ``rfc`` (exact): every certificate of that RFC, cancelled ones too, newest first, so
    that a vendor whose certificate was cancelled is shown as such rather than as unknown.
    """
    if not 1 <= page <= MAX_PAGE:
        raise ValueError(f"page must be from 1 to {MAX_PAGE}")
    query = _certificates()
    if rfc is not None:
        query = query.where(Organization.rfc == rfc.strip().upper()).order_by(
            col(Certification.certified_at).desc(), col(Certification.id).desc()
        )
    else:
        query = query.where(Certification.state == S.CERTIFICADA).order_by(
            col(Organization.razon_social), col(Certification.id)
        )
    text = " ".join((search or "").split())
    if text:
        query = query.where(
            _holds(Organization.rfc, text) | _holds(Organization.razon_social, text)
        )
    found = session.exec(query.offset((page - 1) * page_size).limit(page_size + 1)).all()
    rows = tuple(_certificate(certification, vendor) for certification, vendor in found)
    return CertificatePage(rows[:page_size], page, len(rows) > page_size)


def certificate_by_folio(session: Session, folio: str) -> Certificate | None:
    """The certificate of folio ``folio``, in force or cancelled; None for a folio that is
    unknown or whose certification never became `Certificada`."""
    if not is_folio(folio):
        return None
    found = session.exec(_certificates().where(Certification.folio == folio)).first()
    return None if found is None else _certificate(*found)
