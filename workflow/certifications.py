"""Opening a certification request on behalf of a vendor."""

from __future__ import annotations

from sqlmodel import Session, col, select

from core.enqueue import enqueue_after_commit
from mailer.addresses import parse_mailbox
from rules.identities import is_valid_rfc
from schema import Certification, CertificationState, Organization, OrganizationKind
from workflow.dispatch import DISPATCH_TASK
from workflow.refusals import RequestReason, RequestRefused
from workflow.state_machine import open_certification
from workflow.vendors import normalize_rfc

S = CertificationState
CLOSED = frozenset({S.VENCIDA, S.CANCELADA})


def request_certification(
    session: Session, *, rfc: str, email: str, razon_social: str | None, actor: str
) -> Certification:
    """Open a certification for the vendor (created or updated by RFC); its test set is
    dispatched by a task after the commit."""
    rfc = normalize_rfc(rfc)
    email = email.strip()
    if not is_valid_rfc(rfc):
        raise RequestRefused(RequestReason.INVALID_RFC, f"El RFC «{rfc}» no es válido.")
    try:
        email = parse_mailbox(email).addr_spec
    except ValueError:
        raise RequestRefused(
            RequestReason.INVALID_EMAIL,
            f"El correo «{email}» no es válido (una sola dirección, sin acentos ni ñ).",
        ) from None
    vendor = session.exec(
        select(Organization).where(
            Organization.kind == OrganizationKind.DESARROLLADOR, Organization.rfc == rfc
        )
    ).first()
    if vendor is None:
        vendor = Organization(
            kind=OrganizationKind.DESARROLLADOR,
            rfc=rfc,
            razon_social=razon_social or rfc,
            email=email,
        )
    else:
        current = session.exec(
            select(Certification).where(
                Certification.vendor_id == vendor.id, col(Certification.state).not_in(CLOSED)
            )
        ).first()
        if current is not None:
            raise RequestRefused(
                RequestReason.ALREADY_OPEN,
                f"El desarrollador {rfc} ya tiene la solicitud {current.folio} "
                f"en estado «{current.state.label}».",
            )
        vendor.email = email
        vendor.razon_social = razon_social or vendor.razon_social
    session.add(vendor)
    session.flush()
    return start_certification(session, vendor, actor=actor)


def start_certification(session: Session, vendor: Organization, *, actor: str) -> Certification:
    """Open the vendor's certification (`Solicitada`); its round-1 test set is dispatched by a
    task once the caller's transaction commits."""
    certification = open_certification(session, vendor, actor=actor)
    enqueue_after_commit(session, DISPATCH_TASK, certification.id)
    return certification


def certification_by_folio(session: Session, folio: str) -> Certification | None:
    return session.exec(select(Certification).where(Certification.folio == folio.strip())).first()
