"""Relaciones de confianza through the real flow (``workflow.relationships``), each step its own
request that commits, as the portal runs them: a patrón registered through the portal with its
SIA password and e.firma, vendors certified through the state machine, a relationship chosen
(«Aceptar»), signed («Validar»), confirmed («Continuar») and registered by the worker.

    patron = patron_with_password(engine, lab)
    vendor_id = certified_vendor(engine)
    relationship = vigente_relationship(engine, patron, VENDOR_RFC)

The tests using these need the process settings that trust the test SAT (``portal_settings``)
and, to keep tasks off any broker, ``sent_tasks``. Rows written straight into the database, for
what only reads them, are in ``tests.workflow.relationships.helpers``.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

import pypdf
from cryptography import x509
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from core.clock import travel_to
from efirma.signing import verify_sello
from mailer.attachments import Attachment, read_attachment
from schema import (
    AuditEvent,
    Certification,
    CompanyAccount,
    Document,
    DocumentKind,
    Organization,
    OutboxEmail,
    PendingSignature,
    RelationshipStatus,
    TrustRelationship,
)
from tests.efirma.factory import Lab
from tests.workflow.portal.helpers import (
    ADDRESS,
    NRP,
    PATRON_NAME,
    PATRON_RFC,
    Company,
    P,
    generate_password,
    loaded,
    register_company,
    validar,
)
from tests.workflow.relationships.helpers import VENDOR_NAME, VENDOR_RFC, make_vendor
from workflow.acuses import acuse_bytes
from workflow.portal.signatures import WaitingSignature
from workflow.relationships.cancellation import (
    Cancelled,
    confirm_cancellation,
    sign_cancellation,
)
from workflow.relationships.processing import process_request
from workflow.relationships.requests import (
    AdditionChoice,
    choose,
    confirm_addition,
    sign_addition,
)
from workflow.state_machine import Event, open_certification, transition

T = TypeVar("T")
PATRON_EMAIL = "contacto@patrones-unidos.example"
# A second patrón (an RFC with a right check digit, as the portal's form demands).
OTHER_PATRON_RFC = "OTR9912316C4"
OTHER_PATRON_NRP = "Y5412345108"
OTHER_PATRON_NAME = "OTRO PATRON SA DE CV"
OTHER_PATRON_EMAIL = "contacto@otro-patron.example"
# A second certified vendor.
SAMA_RFC = "PME380607P35"
SAMA_NAME = "SAMA GROUP SA DE CV"

# Certification events that bring a certification from `Solicitada` to `Certificada`.
TO_CERTIFIED = (Event.TEST_SET_SENT, Event.EVIDENCE_ACCEPTED, Event.APPROVED, Event.TERMS_SIGNED)


@dataclass(frozen=True)
class Patron:
    """A patrón of the portal: its account, e.firma and the SIA password it generated."""

    company: Company
    sia_password: str


def patron_with_password(
    engine: Engine,
    lab: Lab,
    *,
    rfc: str = PATRON_RFC,
    nrp: str = NRP,
    name: str = PATRON_NAME,
    email: str = PATRON_EMAIL,
) -> Patron:
    """A patrón registered and confirmed through the portal, with its SIA password generated."""
    company = register_company(engine, lab, kind=P, rfc=rfc, nrp=nrp, name=name, email=email)
    return Patron(company, generate_password(engine, company))


def other_patron(engine: Engine, lab: Lab) -> Patron:
    return patron_with_password(
        engine,
        lab,
        rfc=OTHER_PATRON_RFC,
        nrp=OTHER_PATRON_NRP,
        name=OTHER_PATRON_NAME,
        email=OTHER_PATRON_EMAIL,
    )


def certify(engine: Engine, vendor_id: int) -> int:
    """The vendor's certification, opened and walked through the state machine to
    `Certificada` (its evidence is not what these tests are about); its id."""
    with Session(engine) as session:
        vendor = session.get(Organization, vendor_id)
        assert vendor is not None
        certification = open_certification(session, vendor, actor="test")
        for event in TO_CERTIFIED:
            transition(session, certification, event, actor="test")
        session.commit()
        assert certification.id is not None
        return certification.id


def certified_vendor(engine: Engine, *, rfc: str = VENDOR_RFC, name: str = VENDOR_NAME) -> int:
    """A desarrollador (no portal account) whose certification is `Certificada`; its id."""
    with Session(engine) as session:
        vendor = make_vendor(session, rfc=rfc, razon_social=name)
        session.commit()
        assert vendor.id is not None
        vendor_id = vendor.id
    certify(engine, vendor_id)
    return vendor_id


def registered_vendor(engine: Engine, *, rfc: str, name: str) -> int:
    """A desarrollador that never got certified; its id."""
    with Session(engine) as session:
        vendor = make_vendor(session, rfc=rfc, razon_social=name)
        session.commit()
        assert vendor.id is not None
        return vendor.id


def cancel_certification(engine: Engine, certification_id: int) -> None:
    """The certification `Cancelada` through the state machine alone (the portal's cancellation
    also voids the vendor's vigente relationships; this does not)."""
    with Session(engine) as session:
        certification = session.get(Certification, certification_id)
        assert certification is not None
        transition(session, certification, Event.CANCELLED, actor="test")
        session.commit()


# --- The patrón's steps -----------------------------------------------------------------------


def submit(
    engine: Engine,
    company: Company,
    confirm: Callable[[Session, CompanyAccount, Organization, str], T],
    token: str,
) -> T:
    """A «Continuar», one request: committed when done; a refusal rolls it back."""
    with Session(engine, expire_on_commit=False) as session:
        account, organization = loaded(session, company)
        done = confirm(session, account, organization, token)
        session.commit()
        return done


def aceptar(
    engine: Engine,
    patron: Patron,
    vendor: str,
    *,
    months: int | None = 12,
    service: str = "avisos",
    sia_password: str | None = None,
    address: str = ADDRESS,
) -> AdditionChoice:
    """«Aceptar» of «Adicionar relación», one request."""
    with Session(engine) as session:
        _, organization = loaded(session, patron.company)
        choice = choose(
            session,
            organization,
            service=service,
            vendor=vendor,
            vigencia_months=months,
            sia_password=patron.sia_password if sia_password is None else sia_password,
            address=address,
        )
        session.commit()
        return choice


def validar_addition(engine: Engine, patron: Patron, choice: AdditionChoice) -> WaitingSignature:
    """«Validar»: the request signed with the patrón's e.firma."""
    return validar(engine, patron.company, sign_addition, choice=choice)


def continuar_addition(engine: Engine, patron: Patron, token: str) -> TrustRelationship:
    """«Continuar»: the request `En proceso`."""
    return submit(engine, patron.company, confirm_addition, token)


def request_relationship(
    engine: Engine, patron: Patron, vendor: str = VENDOR_RFC, *, months: int = 12
) -> TrustRelationship:
    """«Aceptar», «Validar» and «Continuar»: a relationship `En proceso`."""
    choice = aceptar(engine, patron, vendor, months=months)
    return continuar_addition(engine, patron, validar_addition(engine, patron, choice).token)


def register(engine: Engine, relationship_id: int) -> TrustRelationship | None:
    """The worker's task: the request registered, in its own transaction."""
    with Session(engine, expire_on_commit=False) as session:
        done = process_request(session, relationship_id)
        session.commit()
        return done


def vigente_relationship(
    engine: Engine,
    patron: Patron,
    vendor: str = VENDOR_RFC,
    *,
    months: int = 12,
    at: datetime | None = None,
) -> TrustRelationship:
    """A relationship requested and registered (at ``at``, when given): `Relación Vigente`."""
    with travel_to(at) if at is not None else nullcontext():
        requested = request_relationship(engine, patron, vendor, months=months)
        assert requested.id is not None
        registered = register(engine, requested.id)
    assert registered is not None and registered.status is RelationshipStatus.VIGENTE
    return registered


def cancel_relationship(engine: Engine, patron: Patron, folio: str) -> Cancelled:
    """«Borrar»: validated with the e.firma, then «Continuar»."""
    waiting = validar(engine, patron.company, sign_cancellation, folio=folio)
    return submit(engine, patron.company, confirm_cancellation, waiting.token)


# --- What the steps left behind --------------------------------------------------------------


def stored(engine: Engine, relationship_id: int | None) -> TrustRelationship:
    with Session(engine) as session:
        found = session.get(TrustRelationship, relationship_id)
        assert found is not None
        return found


def relationships(engine: Engine) -> list[TrustRelationship]:
    with Session(engine) as session:
        return list(session.exec(select(TrustRelationship).order_by(col(TrustRelationship.id))))


def documents(engine: Engine, kind: DocumentKind) -> list[Document]:
    with Session(engine) as session:
        return list(session.exec(select(Document).where(Document.kind == kind)))


def events(engine: Engine, *actions: str) -> list[AuditEvent]:
    with Session(engine) as session:
        return list(
            session.exec(
                select(AuditEvent)
                .where(col(AuditEvent.action).in_(actions))
                .order_by(col(AuditEvent.id))
            )
        )


def signature(engine: Engine, signature_id: int | None) -> PendingSignature:
    with Session(engine) as session:
        found = session.get(PendingSignature, signature_id)
        assert found is not None
        return found


def pdf_text(pdf: bytes) -> str:
    """The PDF's text with every run of whitespace (line breaks too) as one space."""
    pages = pypdf.PdfReader(io.BytesIO(pdf)).pages
    return " ".join(" ".join(page.extract_text() for page in pages).split())


def check_acuse(document: Document, signed: PendingSignature) -> list[str]:
    """The acuse carries the signed request as it was signed: its folio, cadena and sello, and
    the sello verifies with the signer's certificate over that cadena (and no other). The
    fields of the cadena."""
    assert signed.used_at is not None
    assert document.folio == signed.folio
    assert document.cadena == signed.cadena and document.signature == signed.sello
    assert document.certificate_number == signed.certificate_number
    certificate = x509.load_der_x509_certificate(signed.certificate_der)
    assert verify_sello(certificate, document.cadena, document.signature)
    assert not verify_sello(
        certificate, document.cadena.replace(signed.folio, "0000000000"), document.signature
    )
    return document.cadena.strip("|").split("|")


def attachment(email: OutboxEmail) -> tuple[Attachment, bytes]:
    """The email's only attachment and its bytes."""
    (only,) = [Attachment.from_json(item) for item in email.attachments]
    return only, read_attachment(only)


def attached_acuse(email: OutboxEmail, document: Document, filename: str) -> None:
    """The email carries the acuse's very PDF, as ``filename``."""
    described, data = attachment(email)
    assert described.content_type == "application/pdf" and described.filename == filename
    assert data == acuse_bytes(document)
