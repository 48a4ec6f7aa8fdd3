"""POST /api/v1/interno/avisos: an administrator's systems load production avisos as JSON Lines
(bearer token from `sia staff-token`); the body streams under its own 20 MiB, and the answer is
the import's report."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from core.security import hash_password
from review.api import avisos_import
from review.app import create_app
from review.limits import BODY_LIMIT
from rules.synthetic import synthetic_lines
from schema import Aviso, StaffRole, StaffUser
from workflow.staff_sessions import issue_token

URL = "/api/v1/interno/avisos"
NDJSON = {"Content-Type": "application/x-ndjson"}
pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def _token(engine, role: StaffRole) -> dict[str, str]:
    with Session(engine, expire_on_commit=False) as session:
        user = StaffUser(
            email=f"{role.value}@infonavit.example",
            full_name=f"Sistema {role.value}",
            role=role,
            password_hash=hash_password("contraseña-de-personal"),
        )
        session.add(user)
        session.flush()
        token = issue_token(session, user, "SIIN", actor="prueba").token
        session.commit()
    return {"Authorization": f"Bearer {token}"}


def _count(engine) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(Aviso)).one()


@pytest.fixture
def client(settings) -> TestClient:
    return TestClient(create_app())


def test_an_administrator_imports_and_gets_the_report(client, engine):
    admin = _token(engine, StaffRole.ADMINISTRADOR)
    # More than the 64 KiB every other route takes: this one streams under its own limit.
    lines = list(synthetic_lines(patrones=4, avisos=400, seed="api"))
    body = "".join(lines).encode()
    assert len(body) > BODY_LIMIT
    body += b"\n{roto\n" + lines[0].encode()
    response = client.post(URL, content=body, headers=admin | NDJSON)
    assert response.status_code == 200, response.text
    report = response.json()
    assert {k: v for k, v in report.items() if k not in ("segundos", "avisos_por_segundo")} == {
        "leidas": 402,
        "importadas": 400,
        "repetidas": 1,
        "errores": [{"linea": 402, "mensaje": "La línea no es JSON válido."}],
        "errores_total": 1,
    }
    assert _count(engine) == 400
    again = client.post(
        URL, content=b"".join(s.encode() for s in lines[:10]), headers=admin | NDJSON
    )
    assert again.status_code == 200 and again.json()["repetidas"] == 10


def test_without_a_token_401_and_other_roles_403(client, engine):
    body = next(iter(synthetic_lines(patrones=1, avisos=1))).encode()
    anonymous = client.post(URL, content=body, headers=NDJSON)
    assert anonymous.status_code == 401
    assert anonymous.headers["WWW-Authenticate"] == "Bearer"
    wrong = client.post(URL, content=body, headers=NDJSON | {"Authorization": "Bearer sia_x"})
    assert wrong.status_code == 401
    for role in (StaffRole.REVISOR, StaffRole.SUPERVISOR):
        refused = client.post(URL, content=body, headers=_token(engine, role) | NDJSON)
        assert refused.status_code == 403, role
        assert refused.json() == {"detail": "Su rol no tiene acceso a esta sección."}
    assert _count(engine) == 0


def test_a_body_over_the_limit_is_413_and_nothing_is_imported(client, engine, monkeypatch):
    admin = _token(engine, StaffRole.ADMINISTRADOR)
    lines = [s.encode() for s in synthetic_lines(patrones=2, avisos=60, seed="grande")]
    body = b"".join(lines)
    monkeypatch.setattr(avisos_import, "BODY_MAX_BYTES", len(body) - 1)
    declared = client.post(URL, content=body, headers=admin | NDJSON)
    assert declared.status_code == 413
    assert "No se importó ninguno" in declared.json()["detail"]

    def chunked() -> Iterator[bytes]:  # no Content-Length: counted as it streams
        yield from lines

    streamed = client.post(URL, content=chunked(), headers=admin | NDJSON)
    assert streamed.status_code == 413
    assert _count(engine) == 0  # the first lines had arrived, but none was imported
    monkeypatch.setattr(avisos_import, "BODY_MAX_BYTES", len(body))
    fits = client.post(URL, content=chunked(), headers=admin | NDJSON)
    assert fits.status_code == 200 and fits.json()["importadas"] == 60


def test_the_body_must_be_json_lines(client, engine):
    admin = _token(engine, StaffRole.ADMINISTRADOR)
    response = client.post(URL, json={"folio": "0000000001"}, headers=admin)
    assert response.status_code == 415
    assert "application/x-ndjson" in response.json()["detail"]
    empty = client.post(URL, content=b"", headers=admin | NDJSON)
    assert empty.status_code == 200 and empty.json()["leidas"] == 0


def test_it_is_documented(client):
    operation = client.get("/openapi.json").json()["paths"][URL]["post"]
    assert "application/x-ndjson" in operation["requestBody"]["content"]
    assert {"200", "401", "403", "413", "415"} <= set(operation["responses"])
