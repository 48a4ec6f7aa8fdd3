from fastapi.testclient import TestClient

from review.app import create_app
from tests.vendor import RFC, STAFF_EMAIL, STAFF_PASSWORD
from workflow.throttle import ACCOUNT_LIMIT


def test_dashboard_requires_sign_in(settings):
    response = TestClient(create_app()).get("/panel", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/ingresar"


def test_wrong_password_is_refused_in_spanish(reviewer):
    client = TestClient(create_app())
    response = client.post("/ingresar", data={"email": STAFF_EMAIL, "password": "x"})
    assert response.status_code == 401
    assert "Correo o contraseña incorrectos" in response.text
    assert client.get("/panel", follow_redirects=False).status_code == 303


def test_repeated_wrong_passwords_make_that_client_wait(reviewer):
    guesser = TestClient(create_app(), client=("203.0.113.9", 40000))
    for _ in range(ACCOUNT_LIMIT):
        assert (
            guesser.post("/ingresar", data={"email": STAFF_EMAIL, "password": "x"}).status_code
            == 401
        )
    # Now even the right password waits, and says so in Spanish.
    blocked = guesser.post("/ingresar", data={"email": STAFF_EMAIL, "password": STAFF_PASSWORD})
    assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) > 0
    assert "Demasiados intentos fallidos" in blocked.text
    # The reviewer at her own desk is not locked out.
    owner = TestClient(create_app(), client=("198.51.100.20", 40000))
    signed_in = owner.post("/ingresar", data={"email": STAFF_EMAIL, "password": STAFF_PASSWORD})
    assert signed_in.status_code == 200 and signed_in.url.path == "/panel"


def test_sign_in_shows_certifications_then_sign_out(reviewer, folio):
    client = TestClient(create_app())
    response = client.post(
        "/ingresar",
        data={"email": f" {STAFF_EMAIL.title()} ", "password": STAFF_PASSWORD},
        follow_redirects=False,
    )
    assert response.status_code == 303 and response.headers["location"] == "/panel"
    panel = client.get("/panel")
    assert panel.status_code == 200
    assert "Ana Núñez" in panel.text and RFC in panel.text and folio in panel.text
    assert "En espera de documentos" in panel.text
    client.post("/salir")
    assert client.get("/panel", follow_redirects=False).status_code == 303


def test_missing_form_fields_get_a_page_not_a_crash(settings):
    response = TestClient(create_app()).post("/ingresar", data={})
    assert response.status_code == 401
    assert "Correo o contraseña incorrectos" in response.text


def test_a_breached_review_sla_shows_a_badge_on_the_panel(reviewer, folio, engine, sent_tasks):
    from datetime import timedelta

    from sqlmodel import Session, select

    from core.clock import travel_to, utcnow
    from schema import Certification
    from workflow.state_machine import Event, transition

    client = TestClient(create_app())
    client.post("/ingresar", data={"email": STAFF_EMAIL, "password": STAFF_PASSWORD})
    with travel_to(utcnow() - timedelta(days=14)), Session(engine) as session:
        certification = session.exec(select(Certification).where(Certification.folio == folio))
        transition(session, certification.one(), Event.EVIDENCE_ACCEPTED, actor="t")
        session.commit()
    assert "Plazo de revisión vencido" in client.get("/panel").text
    with Session(engine) as session:
        certification = session.exec(select(Certification).where(Certification.folio == folio))
        transition(session, certification.one(), Event.APPROVED, actor="staff:1")
        session.commit()
    assert "Plazo de revisión vencido" not in client.get("/panel").text
