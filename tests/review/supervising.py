"""People and certifications for the supervisor's and the administrator's tests: staff accounts
of each role, and certifications brought into review (and assigned) at a chosen moment."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session

from core.clock import travel_to, utcnow
from core.security import hash_password
from schema import Organization, OrganizationKind, StaffRole, StaffUser
from tests.vendor import STAFF_PASSWORD
from workflow.assignment import assign_reviewer
from workflow.state_machine import Event, open_certification, transition


def staff_member(
    engine: Engine,
    email: str,
    role: StaffRole,
    name: str | None = None,
    *,
    password: str = STAFF_PASSWORD,
    active: bool = True,
) -> StaffUser:
    user = StaffUser(
        email=email,
        full_name=name or email.split("@")[0].title(),
        role=role,
        password_hash=hash_password(password),
        is_active=active,
    )
    with Session(engine, expire_on_commit=False) as session:
        session.add(user)
        session.commit()
    return user


def in_review(engine: Engine, rfc: str, at: datetime | None = None) -> str:
    """The folio of a new vendor's certification whose evidence was accepted ``at`` (now),
    assigned as acceptance assigns it."""
    with travel_to(at or utcnow()), Session(engine, expire_on_commit=False) as session:
        vendor = Organization(
            kind=OrganizationKind.DESARROLLADOR,
            rfc=rfc,
            razon_social=f"Nóminas {rfc} <b>S.A.</b>",
            email=f"{rfc.lower()}@nandu.example",
        )
        session.add(vendor)
        session.flush()
        certification = open_certification(session, vendor, actor="test")
        transition(session, certification, Event.TEST_SET_SENT, actor="test")
        transition(session, certification, Event.EVIDENCE_ACCEPTED, actor="test")
        assign_reviewer(session, certification)
        session.commit()
        return certification.folio
