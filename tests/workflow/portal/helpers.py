"""What the portal tests share: companies registered through the portal, their emails, and
counts of every table's rows."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

import schema
from mailer.secrets import unseal
from schema import CompanyAccount, Organization, OrganizationKind, OutboxEmail
from tests.efirma.factory import PASSWORD, Files, Lab, company_subject
from workflow.portal.accounts import Registration, confirm_email, register
from workflow.portal.sia_password import confirm_generation, sign_generation

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
    """How many rows each table holds."""
    with engine.connect() as connection:
        return {
            table.name: int(
                connection.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
            )
            for table in schema.metadata.sorted_tables
        }
