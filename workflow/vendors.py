"""Vendors (desarrolladores) signing in with their RFC and SIA password."""

from __future__ import annotations

from sqlmodel import Session, select

from schema import Organization, OrganizationKind
from workflow.credentials import password_matches
from workflow.throttle import Attempt, Door


def normalize_rfc(rfc: str) -> str:
    return rfc.strip().upper()


def vendor_attempt(door: Door, rfc: str, address: str) -> Attempt:
    """A vendor's sign-in attempt, for throttling: its RFC as authenticate_vendor reads it."""
    return Attempt(door, normalize_rfc(rfc), address)


def authenticate_vendor(session: Session, rfc: str, password: str) -> Organization | None:
    """The vendor whose RFC and SIA password these are; None for any mismatch."""
    vendor = session.exec(
        select(Organization).where(
            Organization.kind == OrganizationKind.DESARROLLADOR,
            Organization.rfc == normalize_rfc(rfc),
        )
    ).first()
    stored = vendor.sia_password_hash if vendor is not None else None
    return vendor if password_matches(session, password, stored) else None
