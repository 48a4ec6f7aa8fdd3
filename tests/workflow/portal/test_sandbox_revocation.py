"""A sandbox session opened with the vendor's SIA password ends the moment that password is
cancelled or replaced in the portal (review/api/sandbox.py, workflow/portal/sia_password.py)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy.engine import Engine
from sqlmodel import Session

from core.clock import utcnow
from review.app import create_app
from schema import CertificationState, Organization
from tests.efirma.factory import Lab
from tests.workflow.portal.helpers import (
    DESARROLLADOR_RFC,
    Company,
    emailed_password,
    emails,
    generate_password,
    loaded,
    register_company,
)
from workflow.portal.captcha import new_challenge
from workflow.portal.sia_password import cancel_password, recover_password
from workflow.state_machine import open_certification
from workflow.testsets import IssuedTestSet, create_test_set

GONE = "La contraseña SIA con la que se abrió la sesión ya no es válida"


@pytest.fixture
def vendor(portal: Engine, lab: Lab) -> Company:
    """A desarrollador registered in the portal, with its SIA password generated there."""
    return register_company(portal, lab)


@pytest.fixture
def client(portal: Engine) -> TestClient:
    return TestClient(create_app())


def _certification(engine: Engine, vendor: Company) -> IssuedTestSet:
    """The vendor's certification, waiting for evidence, with its round-1 test set."""
    with Session(engine, expire_on_commit=False) as session:
        organization = session.get(Organization, vendor.organization_id)
        assert organization is not None
        certification = open_certification(session, organization, actor="test")
        certification.state = CertificationState.EN_ESPERA_DE_DOCUMENTOS  # as after dispatch
        issued = create_test_set(session, certification, organization, 1, utcnow())
        session.commit()
        return issued


def _open(client: TestClient, issued: IssuedTestSet, password: str) -> Response:
    response: Response = client.post(
        "/api/v1/sesiones",
        json={
            "desarrollador": {"rfc": DESARROLLADOR_RFC, "password": password},
            "patron": {"nrp": issued.test_set.patron_nrp, "password": issued.patron_password},
        },
    )
    return response


def _token(client: TestClient, issued: IssuedTestSet, password: str) -> str:
    opened = _open(client, issued, password)
    assert opened.status_code == 200, opened.text
    token = opened.json()["token"]
    assert isinstance(token, str)
    return token


def _avisos(client: TestClient, token: str) -> Response:
    response: Response = client.get("/api/v1/avisos", headers={"Authorization": f"Bearer {token}"})
    return response


def _cancel(engine: Engine, vendor: Company) -> None:
    with Session(engine) as session:
        account, organization = loaded(session, vendor)
        cancel_password(session, account, organization)
        session.commit()


def _recover(engine: Engine, vendor: Company, captcha_texts: list[str]) -> str:
    with Session(engine) as session:
        token = new_challenge(session).token
        session.commit()
    with Session(engine) as session:
        account, organization = loaded(session, vendor)
        recover_password(
            session, account, organization, captcha_token=token, captcha_answer=captcha_texts[-1]
        )
        session.commit()
    return emailed_password(emails(engine, "contrasena_recuperada")[-1])


def test_cancelling_the_password_ends_its_sessions_at_once(
    portal: Engine, vendor: Company, client: TestClient
) -> None:
    password = generate_password(portal, vendor)
    issued = _certification(portal, vendor)
    token = _token(client, issued, password)
    assert _avisos(client, token).status_code == 200

    _cancel(portal, vendor)

    ended = _avisos(client, token)
    assert ended.status_code == 401 and GONE in ended.json()["detail"]
    assert ended.headers["www-authenticate"] == "Bearer"
    assert _open(client, issued, password).status_code == 401
    # A password generated anew opens new sessions; the old token stays dead.
    again = generate_password(portal, vendor)
    fresh = _token(client, issued, again)
    assert _avisos(client, fresh).status_code == 200
    assert _avisos(client, token).status_code == 401


def test_a_password_recovered_after_cancelling_opens_new_sessions_only(
    portal: Engine, vendor: Company, client: TestClient, captcha_texts: list[str]
) -> None:
    password = generate_password(portal, vendor)
    issued = _certification(portal, vendor)
    token = _token(client, issued, password)
    _cancel(portal, vendor)
    recovered = _recover(portal, vendor, captcha_texts)
    assert _avisos(client, token).status_code == 401
    assert _open(client, issued, password).status_code == 401
    assert _avisos(client, _token(client, issued, recovered)).status_code == 200


def test_recovering_the_password_ends_the_sessions_of_the_old_one(
    portal: Engine, vendor: Company, client: TestClient, captcha_texts: list[str]
) -> None:
    password = generate_password(portal, vendor)
    issued = _certification(portal, vendor)
    token = _token(client, issued, password)
    assert _avisos(client, token).status_code == 200

    recovered = _recover(portal, vendor, captcha_texts)

    ended = _avisos(client, token)
    assert ended.status_code == 401 and GONE in ended.json()["detail"]
    assert _open(client, issued, password).status_code == 401
    fresh = _token(client, issued, recovered)
    assert _avisos(client, fresh).status_code == 200
    assert _avisos(client, token).status_code == 401


def test_a_session_lives_on_while_the_password_stays(
    portal: Engine, lab: Lab, vendor: Company, client: TestClient
) -> None:
    password = generate_password(portal, vendor)
    issued = _certification(portal, vendor)
    token = _token(client, issued, password)
    # Another company's password changes: this vendor's session is not concerned.
    other = register_company(portal, lab, rfc="OTR9912316C4", email="otra@empresa.example")
    generate_password(portal, other)
    _cancel(portal, other)
    assert _avisos(client, token).status_code == 200
    second = _token(client, issued, password)
    assert _avisos(client, second).status_code == 200


def test_a_password_replaced_from_a_tab_opened_earlier_ends_its_sessions(
    portal: Engine, vendor: Company, client: TestClient, captcha_texts: list[str]
) -> None:
    generate_password(portal, vendor)
    issued = _certification(portal, vendor)
    with Session(portal) as session:
        later = new_challenge(session).token
        session.commit()
    later_answer = captcha_texts[-1]
    with Session(portal, expire_on_commit=False) as tab:
        account, organization = loaded(tab, vendor)
        tab.commit()  # as review.deps.release() does before the handler runs
        # Meanwhile another tab recovers a password, and the payroll system signs in with it.
        recovered = _recover(portal, vendor, captcha_texts)
        token = _token(client, issued, recovered)
        assert _avisos(client, token).status_code == 200
        # The first tab's «Recuperar contraseña» replaces it.
        recover_password(
            tab, account, organization, captcha_token=later, captcha_answer=later_answer
        )
        tab.commit()
    assert _open(client, issued, recovered).status_code == 401  # that password is gone …
    assert _avisos(client, token).status_code == 401  # … and so must be its session
