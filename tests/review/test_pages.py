from fastapi.testclient import TestClient
from sqlmodel import Session

from core.security import hash_password
from review.app import create_app
from schema import Organization, OrganizationKind, StaffRole, StaffUser
from workflow.state_machine import open_certification

PASSWORD = "contraseña-de-prueba-larga"


def _staff(engine) -> None:
    with Session(engine) as session:
        session.add(
            StaffUser(
                email="revisora@infonavit.example",
                full_name="Ana Núñez",
                role=StaffRole.REVISOR,
                password_hash=hash_password(PASSWORD),
            )
        )
        vendor = Organization(
            kind=OrganizationKind.DESARROLLADOR,
            rfc="CAC840428RH1",
            razon_social="Nóminas Ñandú",
            email="a@b.example",
        )
        session.add(vendor)
        session.flush()
        open_certification(session, vendor, actor="test")
        session.commit()


def test_dashboard_requires_sign_in(settings):
    response = TestClient(create_app()).get("/panel", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/ingresar"


def test_wrong_password_is_refused_in_spanish(settings, engine):
    _staff(engine)
    client = TestClient(create_app())
    response = client.post(
        "/ingresar", data={"email": "revisora@infonavit.example", "password": "x"}
    )
    assert response.status_code == 401
    assert "Correo o contraseña incorrectos" in response.text
    assert client.get("/panel", follow_redirects=False).status_code == 303


def test_sign_in_shows_certifications_then_sign_out(settings, engine):
    _staff(engine)
    client = TestClient(create_app())
    response = client.post(
        "/ingresar",
        data={"email": " Revisora@Infonavit.example ", "password": PASSWORD},
        follow_redirects=False,
    )
    assert response.status_code == 303 and response.headers["location"] == "/panel"
    panel = client.get("/panel")
    assert panel.status_code == 200
    assert "Ana Núñez" in panel.text and "CAC840428RH1" in panel.text and "Solicitada" in panel.text
    client.post("/salir")
    assert client.get("/panel", follow_redirects=False).status_code == 303


def test_missing_form_fields_get_a_page_not_a_crash(settings):
    response = TestClient(create_app()).post("/ingresar", data={})
    assert response.status_code == 401
    assert "Correo o contraseña incorrectos" in response.text
