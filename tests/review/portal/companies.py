"""Companies using the portal the way a browser does: the pre-session CSRF cookie, multipart
registration with an e.firma made by the test SAT, the confirmation link from the outbox, and
sign-in; and what the outbox and the database then hold."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from core.clock import utcnow
from core.security import hash_password
from mailer.secrets import unseal
from review.app import create_app
from review.deps import CSRF_FIELD, PRE_SESSION_COOKIE
from rules.identities import rfc_check_digit
from schema import CompanyAccount, Organization, OutboxEmail
from tests.efirma.factory import PASSWORD as EFIRMA_PASSWORD
from tests.efirma.factory import Files, Lab, company_subject

_TOKEN = re.compile(rf'name="{CSRF_FIELD}" value="([^"]+)"')
_HIDDEN = re.compile(r'name="(?P<name>[a-z_]+)" value="(?P<value>[^"]*)"')

PORTAL_PASSWORD = "contraseña del portal 2026"


def rfc(body: str) -> str:
    """A persona moral's RFC with its check digit (``body``: 3 letters, 6 digits, homoclave)."""
    return body + rfc_check_digit(body)


RFC_A = rfc("EMP120101AA")
RFC_B = rfc("SIA150615AA")
RFC_C = rfc("NOM990301AA")
NRP_A = "Y5412345107"
NRP_B = "A1234567890"


def client(address: str = "testclient") -> TestClient:
    return TestClient(create_app(), client=(address, 40000))


def csrf_token(browser: TestClient, page: str) -> str:
    """The token the page's forms carry (the pre-session cookie before sign-in, the session's
    after)."""
    found = _TOKEN.search(browser.get(page).text)
    assert found, f"{page} has no CSRF field"
    return found.group(1)


def hidden_fields(html: str) -> dict[str, str]:
    return {m["name"]: m["value"] for m in _HIDDEN.finditer(html)}


def efirma(lab: Lab, company_rfc: str, **kwargs: Any) -> Files:
    return lab.efirma(company_subject(rfc=company_rfc), **kwargs)


def register(
    browser: TestClient,
    files: Files | None,
    *,
    kind: str = "patron",
    company_rfc: str = RFC_A,
    nrp: str = NRP_A,
    email: str = "contacto@empresa-a.example",
    password: str = PORTAL_PASSWORD,
    password_again: str | None = None,
    efirma_password: str = EFIRMA_PASSWORD,
    with_csrf: bool = True,
    **kwargs: Any,
) -> httpx.Response:
    browser.get("/portal/registro")
    data = {
        "tipo": kind,
        "rfc": company_rfc,
        "nrp": nrp,
        "email": email,
        "password": password,
        "password_confirmacion": password if password_again is None else password_again,
        "efirma_password": efirma_password,
    }
    if with_csrf:
        data[CSRF_FIELD] = browser.cookies.get(PRE_SESSION_COOKIE) or ""
    uploads = (
        {
            "cer": ("efirma.cer", files.cer, "application/octet-stream"),
            "key": ("efirma.key", files.key, "application/octet-stream"),
        }
        if files is not None
        else None
    )
    response: httpx.Response = browser.post("/portal/registro", data=data, files=uploads, **kwargs)
    return response


def outbox(engine: Engine, template: str) -> list[OutboxEmail]:
    with Session(engine) as session:
        return list(
            session.exec(
                select(OutboxEmail)
                .where(OutboxEmail.template == template)
                .order_by(col(OutboxEmail.id))
            ).all()
        )


def confirmation_link(engine: Engine, email: str) -> str:
    """The path and query of the newest confirmation link emailed to ``email``."""
    emails = [e for e in outbox(engine, "cuenta_confirmacion") if email in e.recipients[0]]
    assert emails, f"no confirmation email to {email}"
    link = urlsplit(emails[-1].context["enlace"])
    return f"{link.path}?{link.query}"


def confirm(browser: TestClient, engine: Engine, email: str) -> httpx.Response:
    """Open the link (a page with a button) and press the button, as the person would."""
    page = browser.get(confirmation_link(engine, email))
    assert page.status_code == 200, page.text
    fields = hidden_fields(page.text)
    response: httpx.Response = browser.post("/portal/confirmar", data=fields)
    return response


def link_token(link: str) -> str:
    return parse_qs(urlsplit(link).query)["token"][0]


def sign_in(
    browser: TestClient,
    identifier: str,
    email: str,
    password: str = PORTAL_PASSWORD,
    *,
    captcha: str | None = None,
    captcha_token: str | None = None,
    **kwargs: Any,
) -> httpx.Response:
    browser.get("/portal/ingresar")
    data = {
        "identificador": identifier,
        "email": email,
        "password": password,
        CSRF_FIELD: browser.cookies.get(PRE_SESSION_COOKIE) or "",
    }
    if captcha is not None:
        data["captcha"] = captcha
        data["captcha_token"] = captcha_token or ""
    response: httpx.Response = browser.post("/portal/ingresar", data=data, **kwargs)
    return response


@dataclass(frozen=True)
class Company:
    browser: TestClient
    rfc: str
    identifier: str
    email: str
    files: Files


def signed_in_company(
    lab: Lab,
    engine: Engine,
    *,
    kind: str = "patron",
    company_rfc: str = RFC_A,
    nrp: str = NRP_A,
    email: str = "contacto@empresa-a.example",
    address: str = "testclient",
) -> Company:
    """Registered, confirmed and signed in through the portal's own pages."""
    browser = client(address)
    files = efirma(lab, company_rfc)
    registered = register(browser, files, kind=kind, company_rfc=company_rfc, nrp=nrp, email=email)
    assert registered.status_code == 200, registered.text
    assert confirm(browser, engine, email).status_code == 200
    identifier = nrp or company_rfc
    signed_in = sign_in(browser, identifier, email, follow_redirects=False)
    assert signed_in.status_code == 303, signed_in.text
    return Company(browser, company_rfc, identifier, email, files)


def organization(engine: Engine, company_rfc: str) -> Organization:
    with Session(engine) as session:
        return session.exec(select(Organization).where(Organization.rfc == company_rfc)).one()


def account(engine: Engine, company_rfc: str) -> CompanyAccount:
    with Session(engine) as session:
        return session.exec(
            select(CompanyAccount)
            .join(Organization, col(Organization.id) == CompanyAccount.organization_id)
            .where(Organization.rfc == company_rfc)
        ).one()


def sealed_password(email: OutboxEmail) -> str:
    password: str = unseal(email.context)["sia"]["password"]
    return password


def account_for(
    engine: Engine, company_rfc: str, email: str, password: str = PORTAL_PASSWORD
) -> TestClient:
    """A browser signed in to a confirmed portal account of an organization the test made
    directly (as the ``folio`` fixture makes its vendor), without registering it."""
    with Session(engine) as session:
        found = session.exec(select(Organization).where(Organization.rfc == company_rfc)).one()
        assert found.id is not None
        session.add(
            CompanyAccount(
                organization_id=found.id,
                email=email,
                password_hash=hash_password(password),
                certificate_number="30001000000500003416",
                email_confirmed_at=utcnow(),
            )
        )
        session.commit()
    browser = client()
    signed_in = sign_in(browser, company_rfc, email, password, follow_redirects=False)
    assert signed_in.status_code == 303, signed_in.text
    return browser
