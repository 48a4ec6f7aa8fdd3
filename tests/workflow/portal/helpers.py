"""What the portal tests share: companies registered through the portal, their emails, and
counts of every table's rows."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from typing import Any
from urllib.parse import parse_qs, urlsplit

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

import schema
from core.db import session_scope
from mailer.secrets import unseal
from schema import (
    Certification,
    CompanyAccount,
    Organization,
    OrganizationKind,
    OutboxEmail,
    ReviewDecision,
    StaffUser,
    SubmissionStatus,
)
from tests.efirma.factory import PASSWORD, Files, Lab, company_subject
from tests.review.reviewing import round_of, workbook
from workflow.decisions import Decision, decide
from workflow.dispatch import Dispatched, dispatch_test_set
from workflow.evidence import examine_submission, receive_evidence
from workflow.portal.accounts import Registration, confirm_email, register
from workflow.portal.certification import SignedStep, confirm_request, sign_request
from workflow.portal.sia_password import confirm_generation, sign_generation
from workflow.portal.signatures import WaitingSignature

ADDRESS = "198.51.100.20"
USER_AGENT = "Navegador de pruebas"
PORTAL_PASSWORD = "contraseña-del-portal-bastante-larga"
EMAIL = "contacto@nominas.example"
OTHER_EMAIL = "otra.direccion@nominas.example"

# RFCs with a right check digit (rules.identities): the form refuses any other.
DESARROLLADOR_RFC = "CAC840428RH1"
PATRON_RFC = "PAT8503157B7"
OTHER_RFC = "OTR9912316C4"
PERSON_RFC = "GODE561231GR8"  # a persona física
NRP = "Y5412345107"
OTHER_NRP = "Y5412345108"
DESARROLLADOR_NAME = "NOMINAS DEL NORTE SA DE CV"
PATRON_NAME = "PATRONES UNIDOS SA DE CV"

D = OrganizationKind.DESARROLLADOR
P = OrganizationKind.PATRON


def form(
    kind: OrganizationKind | str = D,
    rfc: str = DESARROLLADOR_RFC,
    nrp: str = "",
    *,
    email: str = EMAIL,
    password: str = PORTAL_PASSWORD,
    again: str | None = None,
) -> Registration:
    return Registration(
        kind=str(kind),
        rfc=rfc,
        nrp=nrp,
        email=email,
        password=password,
        password_again=password if again is None else again,
    )


def efirma_of(lab: Lab, rfc: str, name: str = DESARROLLADOR_NAME, **kwargs: object) -> Files:
    """A company FIEL of the test SAT for ``rfc`` (``kwargs`` as ``Lab.efirma`` takes them)."""
    return lab.efirma(company_subject(rfc=rfc, name=name), **kwargs)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Company:
    account_id: int
    organization_id: int
    files: Files
    efirma_password: str = PASSWORD


def register_company(
    engine: Engine,
    lab: Lab,
    *,
    kind: OrganizationKind = D,
    rfc: str = DESARROLLADOR_RFC,
    nrp: str = "",
    email: str = EMAIL,
    name: str = DESARROLLADOR_NAME,
    files: Files | None = None,
    efirma_password: str = PASSWORD,
    portal_password: str = PORTAL_PASSWORD,
    confirm: bool = True,
) -> Company:
    """Register through the portal (one request), then open the emailed link (another)."""
    files = files or efirma_of(lab, rfc, name)
    with Session(engine) as session:
        done = register(
            session,
            form(kind, rfc, nrp, email=email, password=portal_password),
            cer=files.cer,
            key=files.key,
            efirma_password=efirma_password,
            address=ADDRESS,
        )
        session.commit()
        assert done.account.id is not None and done.organization.id is not None
        company = Company(done.account.id, done.organization.id, files, efirma_password)
    if confirm:
        token = link_token(emails(engine, "cuenta_confirmacion")[-1])
        with Session(engine) as session:
            confirm_email(session, token)
            session.commit()
    return company


def loaded(session: Session, company: Company) -> tuple[CompanyAccount, Organization]:
    account = session.get(CompanyAccount, company.account_id)
    organization = session.get(Organization, company.organization_id)
    assert account is not None and organization is not None
    return account, organization


def generate_password(engine: Engine, company: Company) -> str:
    """«Validar» then «Continuar», each its own request; the password, as the email has it."""
    with Session(engine) as session:
        account, organization = loaded(session, company)
        waiting = sign_generation(
            session,
            account,
            organization,
            accepted_terms=True,
            cer=company.files.cer,
            key=company.files.key,
            efirma_password=company.efirma_password,
            address=ADDRESS,
        )
        session.commit()
    with Session(engine) as session:
        account, organization = loaded(session, company)
        confirm_generation(session, account, organization, waiting.token)
        session.commit()
    return emailed_password(emails(engine, "contrasena_generada")[-1])


def emails(engine: Engine, template: str) -> list[OutboxEmail]:
    """The outbox rows of ``template``, oldest first."""
    with Session(engine) as session:
        return list(
            session.exec(
                select(OutboxEmail)
                .where(OutboxEmail.template == template)
                .order_by(col(OutboxEmail.id))
            ).all()
        )


def link_token(email: OutboxEmail) -> str:
    """The token of the confirmation link a cuenta_confirmacion email carries."""
    link: str = email.context["enlace"]
    query = parse_qs(urlsplit(link).query)
    (token,) = query["token"]
    return token


def emailed_password(email: OutboxEmail) -> str:
    """The SIA password an email carries (sealed in the outbox row)."""
    password = unseal(email.context)["sia"]["password"]
    assert isinstance(password, str)
    return password


def row_counts(engine: Engine) -> dict[str, int]:
    """How many rows each table holds; stored files (``blobs``) aside: each is committed on its
    own before the step that names it, and one a rolled-back step leaves is harmless."""
    with engine.connect() as connection:
        return {
            table.name: int(
                connection.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
            )
            for table in schema.metadata.sorted_tables
            if table.name != "blobs"
        }


# --- Certificación para desarrolladores -------------------------------------------------------


def vendor_with_password(engine: Engine, lab: Lab, **kwargs: Any) -> Company:
    """A desarrollador registered and confirmed, with its SIA password generated (what the
    certification request needs); ``kwargs`` as ``register_company`` takes them."""
    company = register_company(engine, lab, **kwargs)
    generate_password(engine, company)
    return company


def validar(
    engine: Engine,
    company: Company,
    sign: Callable[..., WaitingSignature],
    *,
    files: Files | None = None,
    efirma_password: str | None = None,
    **kwargs: Any,
) -> WaitingSignature:
    """«Validar» of a signed step (``sign`` is one of workflow.portal.certification's sign_*),
    one request that commits; ``kwargs`` are the step's own fields (``accepted_terms``)."""
    files = files or company.files
    with Session(engine, expire_on_commit=False) as session:
        account, organization = loaded(session, company)
        waiting = sign(
            session,
            account,
            organization,
            cer=files.cer,
            key=files.key,
            efirma_password=company.efirma_password if efirma_password is None else efirma_password,
            address=ADDRESS,
            **kwargs,
        )
        session.commit()
        return waiting


Confirm = Callable[[Session, CompanyAccount, Organization, str], SignedStep]


def continuar(engine: Engine, company: Company, confirm: Confirm, token: str) -> SignedStep:
    """«Continuar» of a signed step, one request: committed when done; a refusal leaves the
    session without committing (rolled back), as the portal's handlers do."""
    with Session(engine, expire_on_commit=False) as session:
        account, organization = loaded(session, company)
        step = confirm(session, account, organization, token)
        session.commit()
        return step


def request_certification_signed(engine: Engine, company: Company) -> Certification:
    """«Solicitud de Certificación» signed and confirmed: the new certification (`Solicitada`)."""
    waiting = validar(engine, company, sign_request, accepted_terms=True)
    return continuar(engine, company, confirm_request, waiting.token).certification


def dispatch(engine: Engine, certification_id: int) -> Dispatched:
    """The dispatch task's work, done here: the round's test set goes out."""
    with Session(engine) as session:
        done = dispatch_test_set(session, certification_id)
        session.commit()
    assert done is not None
    return done


def requested_and_dispatched(engine: Engine, company: Company) -> Certification:
    """A certification requested through the portal and `En espera de documentos`."""
    certification = request_certification_signed(engine, company)
    assert certification.id is not None
    dispatch(engine, certification.id)
    return current_certification(engine, certification.id)


def current_certification(engine: Engine, certification_id: int) -> Certification:
    with Session(engine) as session:
        certification = session.get(Certification, certification_id)
        assert certification is not None
        return certification


def receive_upload(engine: Engine, company: Company, folio: str, data: bytes) -> int:
    """The vendor's upload received (not yet examined): the submission's id."""
    with Session(engine) as session:
        _, organization = loaded(session, company)
        received = receive_evidence(
            session, organization, folio, filename="evidencias.xlsx", data=data
        )
        session.commit()
        assert received.submission.id is not None
        return received.submission.id


def submit_evidence(engine: Engine, company: Company, folio: str, wrong: Iterable[str] = ()) -> int:
    """The round's evidence workbook (wrong totals for the cases in ``wrong``) uploaded and
    examined as the task does: the certification is then `En análisis`. The submission's id."""
    submission_id = receive_upload(engine, company, folio, workbook(round_of(engine, folio), wrong))
    examined = examine_submission(partial(session_scope, engine), submission_id)
    assert examined is not None and examined.status is SubmissionStatus.ACEPTADA
    return submission_id


def decide_round(engine: Engine, folio: str, reviewer: StaffUser, decision: Decision) -> None:
    """A reviewer's decision on the round under review (workflow.decisions), committed."""
    with Session(engine) as session:
        certification = session.exec(
            select(Certification).where(Certification.folio == folio)
        ).one()
        decide(session, certification, reviewer, decision)
        session.commit()


def approved(engine: Engine, company: Company, reviewer: StaffUser) -> Certification:
    """A certification requested, dispatched, with its evidence accepted and approved by
    ``reviewer``: `Aprobada, pendiente de firma`."""
    certification = requested_and_dispatched(engine, company)
    assert certification.id is not None
    submit_evidence(engine, company, certification.folio)
    decide_round(engine, certification.folio, reviewer, Decision(ReviewDecision.APROBADA))
    return current_certification(engine, certification.id)
