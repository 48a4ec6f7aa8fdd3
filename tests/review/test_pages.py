from fastapi.testclient import TestClient

from review.app import create_app
from tests.vendor import RFC, STAFF_EMAIL, STAFF_PASSWORD


def test_dashboard_requires_sign_in(settings):
    response = TestClient(create_app()).get("/panel", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/ingresar"


def test_wrong_password_is_refused_in_spanish(reviewer):
    client = TestClient(create_app())
    response = client.post("/ingresar", data={"email": STAFF_EMAIL, "password": "x"})
    assert response.status_code == 401
    assert "Correo o contraseña incorrectos" in response.text
    assert client.get("/panel", follow_redirects=False).status_code == 303


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
