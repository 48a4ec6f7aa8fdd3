import json
from datetime import UTC, date, datetime

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from core.security import hash_password
from review.api import sandbox
from review.api.models.sandbox import RespuestaAvisos
from review.app import create_app
from rules.signing import load_public_key_pem, verify_document
from schema import Certification, CertificationState, Organization, OrganizationKind, TestSet
from workflow.state_machine import open_certification
from workflow.testsets import create_test_set
from workflow.throttle import ACCOUNT_LIMIT

VENDOR_RFC, VENDOR_PASSWORD = "CAC840428RH1", "contraseña-sia-del-desarrollador"
NOW = datetime(2026, 3, 2, 16, 0, tzinfo=UTC)


@pytest.fixture
def issued(settings, engine):
    with Session(engine, expire_on_commit=False) as session:
        vendor = Organization(
            kind=OrganizationKind.DESARROLLADOR,
            rfc=VENDOR_RFC,
            razon_social="Nóminas Ñandú",
            email="a@b.example",
            sia_password_hash=hash_password(VENDOR_PASSWORD),
        )
        other = Organization(
            kind=OrganizationKind.DESARROLLADOR,
            rfc="GODE561231GR8",
            razon_social="Otro",
            email="o@b.example",
            sia_password_hash=hash_password("otra-contraseña"),
        )
        session.add_all([vendor, other])
        session.flush()
        cert = open_certification(session, vendor, actor="test")
        cert.state = CertificationState.EN_ESPERA_DE_DOCUMENTOS  # as after dispatch
        issued = create_test_set(session, cert, vendor, 1, NOW)
        session.commit()
        return issued


def _login(client, issued, rfc=VENDOR_RFC, password=VENDOR_PASSWORD, patron_password=None):
    return client.post(
        "/api/v1/sesiones",
        json={
            "desarrollador": {"rfc": rfc, "password": password},
            "patron": {
                "nrp": issued.test_set.patron_nrp,
                "password": patron_password or issued.patron_password,
            },
        },
    )


def test_token_then_signed_avisos_that_verify_with_the_published_key(issued):
    client = TestClient(create_app())
    session = _login(client, issued)
    assert session.status_code == 200, session.text
    token = session.json()["token"]
    assert session.json()["tipo"] == "Bearer" and session.json()["expiraEn"] == 900
    avisos = client.get("/api/v1/avisos", headers={"Authorization": f"Bearer {token}"})
    assert avisos.status_code == 200
    document = avisos.json()
    key = load_public_key_pem(client.get("/api/v1/llave-publica").content)
    assert verify_document(document, key)
    assert document == issued.test_set.avisos_responses[0]
    assert document["registroPatronal"] == issued.test_set.patron_nrp


def test_avisos_are_the_stored_signed_bytes_and_match_their_documented_model(issued, engine):
    client = TestClient(create_app())
    token = _login(client, issued).json()["token"]
    response = client.get("/api/v1/avisos", headers={"Authorization": f"Bearer {token}"})
    with Session(engine) as session:  # as the database gives it back (jsonb orders keys)
        test_set = session.get(TestSet, issued.test_set.id)
        assert test_set is not None
        stored = test_set.avisos_responses[0]
    assert response.headers["content-type"] == "application/json"
    assert response.content == json.dumps(stored, ensure_ascii=False, separators=(",", ":")).encode(
        "utf-8"
    )
    # The model documents every key and value of the document, and nothing else.
    assert RespuestaAvisos.model_validate(stored).model_dump(mode="json") == stored


def test_a_narrower_window_is_a_new_signed_response(issued):
    client = TestClient(create_app())
    token = _login(client, issued).json()["token"]
    full = issued.test_set.avisos_responses[0]
    dates = sorted(date.fromisoformat(a["fechaAviso"]) for a in full["avisos"])
    middle = dates[len(dates) // 2]
    response = client.get(
        "/api/v1/avisos",
        params={"desde": middle.isoformat(), "hasta": full["hasta"]},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200
    narrowed = response.json()
    key = load_public_key_pem(client.get("/api/v1/llave-publica").content)
    assert verify_document(narrowed, key)
    assert narrowed["folioConsulta"] != full["folioConsulta"]
    assert 0 < len(narrowed["avisos"]) < len(full["avisos"])
    assert all(date.fromisoformat(a["fechaAviso"]) >= middle for a in narrowed["avisos"])


@pytest.mark.parametrize(
    "change",
    [
        {"password": "equivocada"},
        {"patron_password": "equivocada"},
        {"rfc": "GODE561231GR8", "password": "otra-contraseña"},  # another vendor's own login
    ],
)
def test_wrong_credentials_are_401_in_spanish(issued, change):
    response = _login(TestClient(create_app()), issued, **change)
    assert response.status_code == 401
    assert "Credenciales incorrectas" in response.json()["detail"]


def test_missing_bad_and_expired_tokens(issued, monkeypatch):
    client = TestClient(create_app())
    assert client.get("/api/v1/avisos").status_code == 401
    bad = client.get("/api/v1/avisos", headers={"Authorization": "Bearer abc.def"})
    assert bad.status_code == 401 and "no es válido" in bad.json()["detail"]
    token = _login(client, issued).json()["token"]
    monkeypatch.setattr(sandbox, "TOKEN_SECONDS", -1)
    expired = client.get("/api/v1/avisos", headers={"Authorization": f"Bearer {token}"})
    assert expired.status_code == 401 and "expiró" in expired.json()["detail"]


def test_bad_requests_get_spanish_errors_never_500(issued):
    client = TestClient(create_app(), raise_server_exceptions=False)
    assert client.post("/api/v1/sesiones", content=b"{no es json").status_code == 422
    missing = client.post("/api/v1/sesiones", json={"desarrollador": {"rfc": VENDOR_RFC}})
    assert missing.status_code == 422
    assert "«desarrollador.password» es obligatorio" in missing.json()["detail"]
    token = _login(client, issued).json()["token"]
    auth = {"Authorization": f"Bearer {token}"}
    bad_date = client.get("/api/v1/avisos", params={"desde": "ayer"}, headers=auth)
    assert bad_date.status_code == 422 and "no es una fecha" in bad_date.json()["detail"]
    reversed_ = client.get(
        "/api/v1/avisos", params={"desde": "2026-02-01", "hasta": "2026-01-01"}, headers=auth
    )
    assert reversed_.status_code == 400 and "anterior" in reversed_.json()["detail"]
    assert client.get("/api/v1/no-existe").json() == {"detail": "No encontrado."}


def test_closed_certifications_get_no_sandbox(issued, engine):
    with Session(engine) as session:
        cert = session.get(Certification, issued.test_set.certification_id)
        assert cert is not None
        cert.state = CertificationState.VENCIDA
        session.add(cert)
        session.commit()
    assert _login(TestClient(create_app()), issued).status_code == 401


def test_guessing_sandbox_credentials_is_throttled(issued):
    client = TestClient(create_app())
    for _ in range(ACCOUNT_LIMIT):
        assert _login(client, issued, patron_password="mala").status_code == 401
    blocked = _login(client, issued)
    assert blocked.status_code == 429 and "Demasiados intentos" in blocked.json()["detail"]
