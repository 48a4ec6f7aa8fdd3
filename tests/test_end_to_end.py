"""Issue 4's flow end to end on PostgreSQL + Redis + a real worker + a real SMTP server:
request → test-set email with attachments → sandbox token → avisos whose signature verifies."""

import json
import re
import time
from collections.abc import Iterator

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from cli.main import sia
from core import config
from core.security import hash_password
from review.app import create_app
from rules.signing import load_public_key_pem, verify_document
from schema import (
    Certification,
    CertificationState,
    ClockKind,
    ClockState,
    Organization,
    OrganizationKind,
    OutboxEmail,
    OutboxStatus,
)
from tests.conftest import real_worker
from tests.mailer.smtp import Sink, free_port, serving
from tests.vendor import PASSWORD, RFC
from workflow.clocks import current_clock

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)]


@pytest.fixture
def system(redis_settings, monkeypatch) -> Iterator[Sink]:
    port = free_port()
    monkeypatch.setenv("SIA_MAIL_URL", f"smtp://127.0.0.1:{port}")
    config.get_settings.cache_clear()
    sink = Sink()
    with serving(sink, port), real_worker():
        yield sink


def _wait_for(condition, seconds: float = 60.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("timed out waiting for the worker")


def test_request_to_signed_avisos(system: Sink, engine):
    # The vendor generated its SIA password in the portal before requesting certification.
    with Session(engine) as session:
        session.add(
            Organization(
                kind=OrganizationKind.DESARROLLADOR,
                rfc=RFC,
                razon_social="Nóminas Ñandú, S.A. de C.V.",
                email="certificacion@nandu.example",
                sia_password_hash=hash_password(PASSWORD),
            )
        )
        session.commit()
    result = CliRunner().invoke(
        sia,
        [
            "certification",
            "request",
            "--rfc",
            RFC,
            "--email",
            "certificacion@nandu.example",
            "--razon-social",
            "Nóminas Ñandú, S.A. de C.V.",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "Solicitud" in result.output

    [received] = _wait_for(lambda: system.received)
    message = received.message
    assert received.rcpt_tos == ["certificacion@nandu.example"]
    assert "set de pruebas" in str(message["Subject"]).lower()
    assert message.get_body(("plain",)) is not None and message.get_body(("html",)) is not None
    attachments = {part.get_filename(): part.get_content() for part in message.iter_attachments()}
    assert set(attachments) == {
        "set-de-pruebas.json",
        "plantilla-evidencias.xlsx",
        "llave-publica.pem",
    }
    test_set = json.loads(attachments["set-de-pruebas.json"])
    assert test_set["desarrollador"]["rfc"] == RFC and len(test_set["casos"]) == 16
    public_key = load_public_key_pem(
        attachments["llave-publica.pem"].encode()
        if isinstance(attachments["llave-publica.pem"], str)
        else attachments["llave-publica.pem"]
    )

    with Session(engine) as session:
        certification = session.exec(select(Certification)).one()
        email = session.exec(select(OutboxEmail)).one()
        clock = current_clock(session, certification, ClockKind.EVIDENCIA)
    assert certification.state is CertificationState.EN_ESPERA_DE_DOCUMENTOS
    assert clock is not None and clock.state is ClockState.CORRIENDO
    assert email.status is OutboxStatus.ENVIADO and str(message["Message-ID"]) == email.message_id
    credentials = email.context["sandbox"]
    # Sent: the row keeps no password; the vendor reads the patrón's in the message and uses
    # its own, which the email never carries.
    assert "patron_password" not in credentials and credentials["tiene_contrasena"] is True
    text = message.get_body(("plain",)).get_content()
    assert PASSWORD not in text and "Contraseña SIA del desarrollador: la que generó" in text
    patron_password = re.search(r"Contraseña SIA del patrón de prueba: (\S+)", text)
    assert patron_password
    _assert_stored_nowhere(engine, PASSWORD, patron_password[1])

    client = TestClient(create_app())
    session_response = client.post(
        "/api/v1/sesiones",
        json={
            "desarrollador": {"rfc": credentials["rfc"], "password": PASSWORD},
            "patron": {"nrp": credentials["nrp"], "password": patron_password[1]},
        },
    )
    assert session_response.status_code == 200, session_response.text
    token = session_response.json()["token"]
    avisos = client.get("/api/v1/avisos", headers={"Authorization": f"Bearer {token}"}).json()
    assert verify_document(avisos, public_key)
    assert avisos["registroPatronal"] == test_set["patron"]["nrp"] == credentials["nrp"]
    sent_nss = {case["nss"] for case in test_set["casos"]}
    assert sent_nss <= {aviso["nss"] for aviso in avisos["avisos"]}


def _assert_stored_nowhere(engine, *secrets: str) -> None:
    """No table holds a generated password in clear (hashes and sealed values do not count)."""
    import sqlalchemy as sa

    import schema

    with engine.connect() as conn:
        for table in schema.metadata.sorted_tables:
            for row in conn.execute(sa.select(table)):
                text = " ".join(str(value) for value in row)
                for secret in secrets:
                    assert secret not in text, f"a generated password is stored in {table.name}"
