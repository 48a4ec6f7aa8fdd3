"""Certificates for the public registry's tests: vendors certified through the state machine at
the moments a test chooses (the clock travels there), cancelled the same way, or left short of
`Certificada`; and many certificates planted at once for the pages of the registry."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from core.clock import travel_to
from schema import Certification, CertificationState, Organization, OrganizationKind
from workflow.folios import issue_folio
from workflow.state_machine import Event, open_certification, transition

# The real flow's events, in order, from `Solicitada` to `Certificada`.
TO_CERTIFIED = (Event.TEST_SET_SENT, Event.EVIDENCE_ACCEPTED, Event.APPROVED, Event.TERMS_SIGNED)


def add_vendor(engine: Engine, rfc: str, razon_social: str) -> int:
    """A desarrollador's id."""
    with Session(engine) as session:
        vendor = Organization(
            kind=OrganizationKind.DESARROLLADOR,
            rfc=rfc,
            razon_social=razon_social,
            email=f"{rfc.lower()}@registro.example",
        )
        session.add(vendor)
        session.commit()
        assert vendor.id is not None
        return vendor.id


def certification_of(engine: Engine, vendor_id: int, at: datetime, events: int) -> str:
    """The folio of a new certification of the vendor, moved ``at`` through the first
    ``events`` steps of :data:`TO_CERTIFIED` (all four: `Certificada`)."""
    with travel_to(at), Session(engine) as session:
        vendor = session.get(Organization, vendor_id)
        assert vendor is not None
        certification = open_certification(session, vendor, actor="test")
        for event in TO_CERTIFIED[:events]:
            transition(session, certification, event, actor="test")
        session.commit()
        return certification.folio


def certify(engine: Engine, vendor_id: int, at: datetime) -> str:
    """The folio of a new certification of the vendor that became `Certificada` ``at``."""
    return certification_of(engine, vendor_id, at, len(TO_CERTIFIED))


def certified_vendor(engine: Engine, rfc: str, razon_social: str, at: datetime) -> str:
    return certify(engine, add_vendor(engine, rfc, razon_social), at)


def cancel(engine: Engine, folio: str, at: datetime) -> None:
    """The vendor cancels the certification ``at``."""
    with travel_to(at), Session(engine) as session:
        certification = session.exec(
            select(Certification).where(Certification.folio == folio)
        ).one()
        transition(session, certification, Event.CANCELLED, actor="test")
        session.commit()


def plant_certificates(engine: Engine, count: int, at: datetime) -> list[str]:
    """``count`` vendors, each with a certificate in force since ``at``, planted straight in the
    tables (the state machine would take as many transitions); their folios, by razón social."""
    folios = []
    with Session(engine) as session:
        for number in range(count):
            vendor = Organization(
                kind=OrganizationKind.DESARROLLADOR,
                rfc=f"PLA{number:06d}AA1",
                razon_social=f"Planta {number:04d}",
                email=f"planta{number}@registro.example",
            )
            session.add(vendor)
            session.flush()
            assert vendor.id is not None
            folio = issue_folio(session, "certificacion")
            session.add(
                Certification(
                    folio=folio,
                    vendor_id=vendor.id,
                    state=CertificationState.CERTIFICADA,
                    requested_at=at,
                    state_changed_at=at,
                    certified_at=at,
                )
            )
            folios.append(folio)
        session.commit()
    return folios
