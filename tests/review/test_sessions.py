"""Staff sessions: sign-in with its CSRF cookie, server-side sessions that sign-out ends,
rotation, idle and absolute timeouts, sign-out everywhere, roles."""

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from core.clock import travel_to, utcnow
from core.security import hash_password
from review.app import create_app
from review.deps import CSRF_FIELD, STAFF_COOKIE
from schema import AuditEvent, StaffRole, StaffSession, StaffUser
from tests.review.staff import csrf_token, sign_in
from tests.vendor import RFC, STAFF_EMAIL, STAFF_PASSWORD
from workflow.throttle import ACCOUNT_LIMIT


def _client(address: str = "testclient") -> TestClient:
    return TestClient(create_app(), client=(address, 40000))


def test_dashboard_requires_sign_in(settings):
    response = _client().get("/panel", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/ingresar"


def test_wrong_password_is_refused_in_spanish(reviewer):
    client = _client()
    response = sign_in(client, password="x")
    assert response.status_code == 401
    assert "Correo o contraseña incorrectos" in response.text
    assert client.get("/panel", follow_redirects=False).status_code == 303


def test_an_unknown_account_answers_like_a_wrong_password(reviewer):
    response = sign_in(_client(), email="nadie@infonavit.example", password="x")
    assert response.status_code == 401 and "Correo o contraseña incorrectos" in response.text


def test_repeated_wrong_passwords_make_that_client_wait(reviewer):
    guesser = _client("203.0.113.9")
    for _ in range(ACCOUNT_LIMIT):
        assert sign_in(guesser, password="x").status_code == 401
    # Now even the right password waits, and says so in Spanish.
    blocked = sign_in(guesser)
    assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) > 0
    assert "Demasiados intentos fallidos" in blocked.text
    # The reviewer at her own desk is not locked out.
    signed_in = sign_in(_client("198.51.100.20"))
    assert signed_in.status_code == 200 and signed_in.url.path == "/panel"


def test_sign_in_shows_certifications_then_sign_out_ends_the_session(reviewer, folio, engine):
    client = _client()
    response = sign_in(
        client, email=f" {STAFF_EMAIL.title()} ", password=STAFF_PASSWORD, follow_redirects=False
    )
    assert response.status_code == 303 and response.headers["location"] == "/panel"
    panel = client.get("/panel")
    assert panel.status_code == 200
    assert "Ana Núñez" in panel.text and RFC in panel.text and folio in panel.text
    stolen = client.cookies.get(STAFF_COOKIE)
    out = client.post("/salir", data={CSRF_FIELD: csrf_token(client)}, follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"] == "/ingresar"
    assert client.get("/panel", follow_redirects=False).status_code == 303
    # A copy of the cookie taken before signing out opens nothing either.
    thief = _client()
    thief.cookies.set(STAFF_COOKIE, stolen)
    assert thief.get("/panel", follow_redirects=False).status_code == 303
    with Session(engine) as session:
        actions = session.exec(select(AuditEvent.action)).all()
    assert "staff.signed_in" in actions and "staff.signed_out" in actions


def test_the_cookie_is_http_only_and_the_database_keeps_no_usable_id(reviewer, engine):
    client = _client()
    response = sign_in(client, follow_redirects=False)
    cookie = client.cookies.get(STAFF_COOKIE)
    header = response.headers["set-cookie"]
    assert "HttpOnly" in header and "SameSite=lax" in header
    with Session(engine) as session:
        ids = session.exec(select(StaffSession.id)).all()
    assert cookie not in ids and len(ids) == 1


def test_sign_in_rotates_the_session_no_fixation(reviewer):
    planted = "valor-elegido-por-un-atacante"
    client = _client()
    client.cookies.set(STAFF_COOKIE, planted, domain="testserver.local")
    sign_in(client)
    assert client.cookies.get(STAFF_COOKIE) not in (None, planted)
    first = client.cookies.get(STAFF_COOKIE)
    sign_in(client)
    assert client.cookies.get(STAFF_COOKIE) != first


def test_idle_and_absolute_timeouts(reviewer, settings):
    client = _client()
    start = utcnow()
    with travel_to(start):
        sign_in(client)
    # Active every 20 minutes: the idle timeout (30) never strikes...
    for minutes in range(20, 8 * 60, 20):
        with travel_to(start + timedelta(minutes=minutes)):
            assert client.get("/panel", follow_redirects=False).status_code == 200, minutes
    # ...but 8 hours after sign-in the session ends anyway.
    with travel_to(start + timedelta(hours=8, minutes=1)):
        assert client.get("/panel", follow_redirects=False).status_code == 303

    idle = _client()
    with travel_to(start):
        sign_in(idle)
    with travel_to(start + timedelta(minutes=31)):
        assert idle.get("/panel", follow_redirects=False).status_code == 303


def test_sign_out_everywhere_ends_every_session_of_that_person(reviewer):
    desk, laptop = _client(), _client()
    sign_in(desk)
    sign_in(laptop)
    response = desk.post("/salir/todas", data={CSRF_FIELD: csrf_token(desk)})
    assert response.url.path == "/ingresar"
    assert laptop.get("/panel", follow_redirects=False).status_code == 303


def test_a_deactivated_account_loses_its_sessions(reviewer, engine):
    client = _client()
    sign_in(client)
    with Session(engine) as session:
        user = session.exec(select(StaffUser).where(StaffUser.email == STAFF_EMAIL)).one()
        user.is_active = False
        session.add(user)
        session.commit()
    assert client.get("/panel", follow_redirects=False).status_code == 303


@pytest.mark.parametrize(
    "data",
    [
        {"email": STAFF_EMAIL, "password": STAFF_PASSWORD},  # no token
        {"email": STAFF_EMAIL, "password": STAFF_PASSWORD, CSRF_FIELD: "otro"},  # wrong token
    ],
)
def test_sign_in_without_its_token_is_refused(reviewer, engine, data):
    client = _client()
    client.get("/ingresar")
    response = client.post("/ingresar", data=data)
    assert response.status_code == 403
    assert "token de seguridad" in response.text
    with Session(engine) as session:
        assert session.exec(select(StaffSession)).all() == []


def test_state_changing_requests_need_the_csrf_token_and_our_origin(reviewer, engine):
    client = _client()
    sign_in(client)
    token = csrf_token(client)
    assert client.post("/salir", data={}).status_code == 403
    assert client.post("/salir", data={CSRF_FIELD: "x" * 43}).status_code == 403
    foreign = client.post(
        "/salir", data={CSRF_FIELD: token}, headers={"Origin": "https://otro-sitio.example"}
    )
    assert foreign.status_code == 403 and "otro sitio" in foreign.text
    # Still signed in: nothing changed.
    assert client.get("/panel", follow_redirects=False).status_code == 200
    # The header htmx sends is as good as the form field.
    response = client.post("/salir", headers={"X-CSRF-Token": token}, follow_redirects=False)
    assert response.status_code == 303


def test_missing_form_fields_get_a_page_not_a_crash(settings):
    response = sign_in(_client(), email="", password="")
    assert response.status_code == 401
    assert "Correo o contraseña incorrectos" in response.text


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        (StaffRole.REVISOR, {"/panel": 200, "/panel/supervision": 403}),
        (StaffRole.SUPERVISOR, {"/panel": 200, "/panel/supervision": 200}),
    ],
)
def test_pages_answer_by_role(settings, engine, role, allowed):
    email = f"{role.value}@infonavit.example"
    with Session(engine) as session:
        session.add(
            StaffUser(
                email=email,
                full_name="Persona de prueba",
                role=role,
                password_hash=hash_password(STAFF_PASSWORD),
            )
        )
        session.commit()
    client = _client()
    sign_in(client, email=email)
    for path, code in allowed.items():
        response = client.get(path, follow_redirects=False)
        assert response.status_code == code, path
        if code == 403:
            assert "Su rol no tiene acceso" in response.text
