"""Vendors (desarrolladores) signing in with their RFC and SIA password."""

from __future__ import annotations

from sqlmodel import Session, select

from core.security import verify_password
from schema import Organization, OrganizationKind
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
    if vendor is None or vendor.sia_password_hash is None:
        return None
    return vendor if verify_password(password, vendor.sia_password_hash) else None
