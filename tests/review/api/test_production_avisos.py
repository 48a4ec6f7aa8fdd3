"""The production avisos service over HTTP (issue 16): a session only for a certified vendor and a
patrón with a vigente relationship; each refusal in its own words, also for a token issued
before the change; pages that follow a cursor, signed; every page recorded."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from core import config
from core.keys import avisos_keypair
from core.security import hash_password
from review import ratelimit
from review.app import create_app
from rules.signing import verify_document
from schema import (
    Aviso,
    AvisoClase,
    AvisoDownload,
    Certification,
    Organization,
    RelationshipStatus,
    TrustRelationship,
)
from tests.workflow.relationships.helpers import make_patron, make_relationship, make_vendor
from workflow.relationships.cancellation import void_vendor_relationships
from workflow.state_machine import Event, open_certification, transition

SESSIONS = "/api/v1/produccion/sesiones"
AVISOS = "/api/v1/produccion/avisos"
VENDOR_PASSWORD = "contraseña-sia-del-desarrollador"
PATRON_PASSWORD = "contraseña-sia-del-patron"
NSS = ("12345678903", "98765432109")
CERTIFIED = (Event.TEST_SET_SENT, Event.EVIDENCE_ACCEPTED, Event.APPROVED, Event.TERMS_SIGNED)


@dataclass
class World:
    client: TestClient
    engine: Engine
    vendor_id: int
    patron_id: int
    relationship_id: int
    certification_id: int

    def credentials(self, **overrides: str) -> dict[str, Any]:
        with Session(self.engine) as session:
            vendor = session.get(Organization, self.vendor_id)
            patron = session.get(Organization, self.patron_id)
            assert vendor is not None and patron is not None
            body: dict[str, dict[str, Any]] = {
                "desarrollador": {"rfc": vendor.rfc, "password": VENDOR_PASSWORD},
                "patron": {"nrp": patron.nrp, "password": PATRON_PASSWORD},
            }
        for key, value in overrides.items():
            who, field = key.split("_", 1)
            body[who][field] = value
        return body

    def token(self) -> str:
        response = self.client.post(SESSIONS, json=self.credentials())
        assert response.status_code == 200, response.text
        token: str = response.json()["token"]
        return token

    def get(self, token: str, **params: Any) -> Any:
        return self.client.get(AVISOS, params=params, headers={"Authorization": f"Bearer {token}"})


def _aviso(folio: int, nrp: str, nss: str, day: date, clase: AvisoClase) -> Aviso:
    content = {
        "folio": f"{folio:010d}",
        "fechaAviso": day.isoformat(),
        "tipoAviso": {"clave": "01", "descripcion": "Inicio de descuento", "clase": clase.value},
        "nss": nss,
        "rfc": "PEPJ800101AB1",
        "curp": "PEPJ800101HDFRRN09",
        "nombre": "JUAN PEREZ PEREZ",
        "numeroCredito": "1234567890",
        "tipoDescuento": 2,
        "valorDescuento": "2450.00",
        "fechaInicioDescuento": day.isoformat(),
        "fechaFin": None,
    }
    return Aviso(
        folio=f"{folio:010d}",
        patron_nrp=nrp,
        nss=nss,
        fecha_aviso=day,
        clase=clase,
        tipo_clave="01",
        content=content,
    )


@pytest.fixture
def world(settings: Any, engine: Engine) -> Iterator[World]:
    with Session(engine) as session:
        patron = make_patron(session)
        vendor = make_vendor(session)
        other = make_patron(session, nrp="Y5412345108", rfc="OTR9912316C4", razon_social="OTRO")
        patron.sia_password_hash = hash_password(PATRON_PASSWORD)
        vendor.sia_password_hash = hash_password(VENDOR_PASSWORD)
        certification = open_certification(session, vendor, actor="prueba")
        for event in CERTIFIED:
            transition(session, certification, event, actor="prueba")
        now = datetime.now(UTC)
        relationship = make_relationship(session, patron, vendor, starts_on=now.date())
        relationship.expires_at = now + timedelta(days=200)
        session.add(relationship)
        for i in range(25):
            session.add(
                _aviso(
                    700_000_000 + i,
                    patron.nrp or "",
                    NSS[i % 2],
                    date(2026, 1, 1) + timedelta(days=i),
                    AvisoClase.SUSPENSION if i % 5 == 0 else AvisoClase.RETENCION,
                )
            )
        session.add(
            _aviso(700_000_100, other.nrp or "", NSS[0], date(2026, 1, 1), AvisoClase.RETENCION)
        )
        session.commit()
        ids = (vendor.id, patron.id, relationship.id, certification.id)
    assert None not in ids
    with TestClient(create_app()) as client:
        yield World(client, engine, *ids)  # type: ignore[arg-type]


def _verify(document: dict[str, Any]) -> None:
    _, public_key = avisos_keypair()
    assert verify_document(document, public_key)


def test_pages_follow_the_cursor_signed_and_recorded(world: World) -> None:
    token = world.token()
    seen: list[str] = []
    response = world.get(token, limite=10)
    while True:
        assert response.status_code == 200, response.text
        document = response.json()
        _verify(document)
        seen += [a["folio"] for a in document["avisos"]]
        if not document["hayMas"]:
            break
        response = world.get(token, limite=10, cursor=document["siguiente"])
    assert seen == [f"{700_000_000 + i:010d}" for i in range(25)]  # the other patrón's is not
    with Session(world.engine) as session:
        downloads = session.exec(select(AvisoDownload).order_by(col(AvisoDownload.id))).all()
    assert [d.count for d in downloads] == [10, 10, 5]
    assert [folio for d in downloads for folio in d.folios] == seen


def test_filters_and_a_cursor_of_another_query(world: World) -> None:
    token = world.token()
    by_nss = world.get(token, nss=NSS[1]).json()
    assert {a["nss"] for a in by_nss["avisos"]} == {NSS[1]} and len(by_nss["avisos"]) == 12
    suspensions = world.get(token, clase="SUSPENSION").json()["avisos"]
    assert len(suspensions) == 5
    window = world.get(token, desde="2026-01-05", hasta="2026-01-07").json()
    assert [a["fechaAviso"] for a in window["avisos"]] == ["2026-01-05", "2026-01-06", "2026-01-07"]
    first = world.get(token, limite=2).json()
    mixed = world.get(token, limite=2, nss=NSS[0], cursor=first["siguiente"])
    assert mixed.status_code == 400 and "otra consulta" in mixed.json()["detail"]
    assert world.get(token, cursor="basura").status_code == 400
    assert world.get(token, limite=5000).status_code == 422
    assert world.get(token, nss="123").status_code == 422
    backwards = world.get(token, desde="2026-02-01", hasta="2026-01-01")
    assert backwards.status_code == 400 and "anterior" in backwards.json()["detail"]


def test_wrong_credentials_are_refused(world: World) -> None:
    for override in ({"desarrollador_password": "otra"}, {"patron_password": "otra"}):
        response = world.client.post(SESSIONS, json=world.credentials(**override))
        assert response.status_code == 401
    assert world.get("token-inventado").status_code == 401
    assert world.client.get(AVISOS).status_code == 401


def _change(world: World, what: str) -> None:
    with Session(world.engine) as session:
        vendor = session.get(Organization, world.vendor_id)
        patron = session.get(Organization, world.patron_id)
        assert vendor is not None and patron is not None
        relationship = session.get(TrustRelationship, world.relationship_id)
        assert relationship is not None
        if what == "certificacion":
            certification = session.get(Certification, world.certification_id)
            assert certification is not None
            transition(session, certification, Event.CANCELLED, actor="prueba")
            void_vendor_relationships(session, vendor, actor="prueba")
        elif what == "relacion":
            relationship.status = RelationshipStatus.CANCELADA
            relationship.cancelled_on = date.today()
        elif what == "vencida":
            relationship.expires_at = datetime.now(UTC) - timedelta(seconds=1)
        elif what == "contrasena":
            patron.sia_password_hash = None
            patron.sia_password_version += 1
        session.add_all([vendor, patron, relationship])
        session.commit()


@pytest.mark.parametrize(
    ("what", "code", "words"),
    [
        ("certificacion", 403, "no está certificado"),
        ("relacion", 403, "canceló la relación"),
        ("vencida", 403, "terminó su vigencia"),
        ("contrasena", 401, "ya no es válida"),
    ],
)
def test_a_token_stops_working_at_once(world: World, what: str, code: int, words: str) -> None:
    token = world.token()
    assert world.get(token).status_code == 200
    _change(world, what)
    refused = world.get(token)
    assert refused.status_code == code and words in refused.json()["detail"], refused.text
    again = world.client.post(SESSIONS, json=world.credentials())
    assert again.status_code in (401, 403)


@pytest.fixture
def three_per_minute(world: World, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """This process's own counter, at 3 pages a minute (set after the world's settings)."""
    monkeypatch.setenv("SIA_AVISOS_PAGES_PER_MINUTE", "3")
    monkeypatch.setenv("SIA_RATE_LIMIT_URL", "")
    monkeypatch.setenv("SIA_BROKER_URL", "filesystem://")
    config.get_settings.cache_clear()
    ratelimit.counter.cache_clear()
    yield
    ratelimit.counter.cache_clear()


@pytest.mark.usefixtures("three_per_minute")
def test_too_many_pages_per_minute_get_429(world: World) -> None:
    token = world.token()
    codes = [world.get(token, limite=1).status_code for _ in range(5)]
    assert codes[:3] == [200, 200, 200] and 429 in codes[3:]
    limited = world.get(token, limite=1)
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) >= 1
