"""Evidence intake through the vendor API: upload, stored bytes, reading, refusal or acceptance."""

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from core.clock import travel_to
from core.storage import BlobTooLarge, blob_exists, read_blob, store_blob
from evidence.formats.images import ImageRejected
from review.app import create_app
from schema import (
    AuditEvent,
    Certification,
    CertificationState,
    ClockKind,
    ClockState,
    EvidenceSubmission,
    Finding,
    OutboxEmail,
)
from tests.vendor import GOOD, PASSWORD, RFC
from workers.tasks.evidence import examine
from workflow.clocks import current_clock
from workflow.evidence import submission_blob
from workflow.throttle import ACCOUNT_LIMIT

AUTH = (RFC, PASSWORD)


def _upload(client, folio, data, name="evidencias.xlsx", auth=AUTH):
    return client.post(
        f"/api/v1/certificaciones/{folio}/evidencias",
        files={"archivo": (name, data, "application/octet-stream")},
        auth=auth,
    )


def _state(engine, folio) -> Certification:
    with Session(engine) as session:
        return session.exec(select(Certification).where(Certification.folio == folio)).one()


def _emails(engine) -> list[OutboxEmail]:
    with Session(engine) as session:
        return list(session.exec(select(OutboxEmail)).all())


def test_readable_workbook_is_accepted_and_starts_the_review(engine, folio):
    client = TestClient(create_app())
    response = _upload(client, folio, GOOD, name="Evidencias Ñandú.xlsx")
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["estado"] == "recibida" and body["duplicada"] is False
    assert response.headers["location"] == body["url"]
    with Session(engine) as session:
        submission = session.get(EvidenceSubmission, body["id"])
        assert submission is not None
        assert read_blob(submission_blob(submission)) == GOOD
        assert submission.original_name == "Evidencias Ñandú.xlsx"

    assert examine(body["id"])["status"] == "aceptada"
    assert examine(body["id"]) is None  # a duplicate delivery changes nothing
    cert = _state(engine, folio)
    assert cert.state is CertificationState.EN_ANALISIS
    with Session(engine) as session:
        review = current_clock(session, cert, ClockKind.REVISION)
        assert review is not None and review.state is ClockState.CORRIENDO
    status = client.get(body["url"], auth=AUTH).json()
    assert status["estado"] == "aceptada" and status["certificacion"]["estado"] == "En análisis"
    assert "hallazgos" not in status
    emails = _emails(engine)
    assert [e.template for e in emails] == ["evidencia_recibida"]
    with Session(engine) as session:
        submission = session.get(EvidenceSubmission, body["id"])
        assert submission is not None and submission.reading is not None
        assert submission.reading["capturas"] and all(
            blob_exists(c["miniatura"]) for c in submission.reading["capturas"]
        )
        actions = [e.action for e in session.exec(select(AuditEvent)).all()]
    assert "evidence.uploaded" in actions and "certification.evidence_accepted" in actions
    again = _upload(client, folio, GOOD)
    assert again.status_code == 409 and "en análisis" in again.json()["detail"]


def test_unreadable_upload_is_refused_and_the_clock_keeps_running(engine, folio):
    client = TestClient(create_app())
    pdf = b"%PDF-1.7\n" + b"0" * 2000
    body = _upload(client, folio, pdf, name="evidencias.xls").json()
    assert examine(body["id"]) == {"status": "ilegible", "verdict": "ilegible"}
    assert _state(engine, folio).state is CertificationState.EN_ESPERA_DE_DOCUMENTOS
    status = client.get(body["url"], auth=AUTH).json()
    assert status["estado"] == "ilegible"
    assert [h["codigo"] for h in status["hallazgos"]] == ["WB-FORMAT"]
    assert "PDF" in status["hallazgos"][0]["mensaje"]
    [email] = _emails(engine)
    assert email.template == "evidencia_rechazada"
    assert email.context["hallazgos"][0]["codigo"] == "WB-FORMAT"
    # The vendor may upload again (a corrected file) while the term runs.
    retry = _upload(client, folio, GOOD)
    assert retry.status_code == 202
    assert examine(retry.json()["id"])["status"] == "aceptada"


def test_same_bytes_twice_are_one_submission(engine, folio):
    client = TestClient(create_app())
    first = _upload(client, folio, GOOD)
    second = _upload(client, folio, GOOD)
    assert second.status_code == 200 and second.json()["duplicada"] is True
    assert second.json()["id"] == first.json()["id"]
    with Session(engine) as session:
        assert len(session.exec(select(EvidenceSubmission)).all()) == 1


def test_another_upload_waits_for_the_pending_reading(engine, folio):
    client = TestClient(create_app())
    assert _upload(client, folio, GOOD).status_code == 202
    other = _upload(client, folio, GOOD + b"\0")
    assert other.status_code == 409 and "en lectura" in other.json()["detail"]


def test_more_than_five_mib_is_refused_while_streaming(engine, folio):
    client = TestClient(create_app())
    response = _upload(client, folio, b"PK" + b"\0" * (5 * 1024 * 1024 - 1))
    assert response.status_code == 413 and "5 MiB" in response.json()["detail"]
    with Session(engine) as session:
        assert session.exec(select(EvidenceSubmission)).all() == []


def test_authentication_and_ownership(engine, folio):
    client = TestClient(create_app())
    assert _upload(client, folio, GOOD, auth=(RFC, "mala")).status_code == 401
    no_auth = client.post(
        f"/api/v1/certificaciones/{folio}/evidencias", files={"archivo": ("a", b"x")}
    )
    assert no_auth.status_code == 401 and "contraseña SIA" in no_auth.json()["detail"]
    missing = _upload(client, "0000000000", GOOD)
    assert missing.status_code == 404 and "No existe la certificación" in missing.json()["detail"]
    no_file = client.post(f"/api/v1/certificaciones/{folio}/evidencias", data={"x": "y"}, auth=AUTH)
    assert no_file.status_code in (400, 415)


def test_upload_after_the_deadline_is_refused(engine, folio):
    with Session(engine) as session:
        cert = session.exec(select(Certification).where(Certification.folio == folio)).one()
        clock = current_clock(session, cert, ClockKind.EVIDENCIA)
        assert clock is not None
        due = clock.due_at
    with travel_to(due + timedelta(seconds=1)):
        response = _upload(TestClient(create_app()), folio, GOOD)
    assert response.status_code == 409 and "venció" in response.json()["detail"]
    with travel_to(due - timedelta(seconds=1)):
        assert _upload(TestClient(create_app()), folio, GOOD).status_code == 202


def test_findings_are_replaced_not_duplicated(engine, folio):
    client = TestClient(create_app())
    body = _upload(client, folio, b"%PDF-1.7\n" + b"1" * 500).json()
    examine(body["id"])
    with Session(engine) as session:
        count = len(session.exec(select(Finding)).all())
    assert count == 1


def _accepted_screenshots(engine: Engine, folio: str) -> list[dict[str, Any]]:
    """Upload the good workbook, examine it (accepted) and give what its reading stored of
    each screenshot."""
    body = _upload(TestClient(create_app()), folio, GOOD).json()
    assert examine(body["id"])["status"] == "aceptada"
    with Session(engine) as session:
        submission = session.get(EvidenceSubmission, body["id"])
        assert submission is not None and submission.reading is not None
        capturas: list[dict[str, Any]] = submission.reading["capturas"]
    return capturas


def test_a_screenshot_that_cannot_be_scaled_is_kept_without_thumbnail(engine, folio, monkeypatch):
    def refuse(data: bytes, max_px: int) -> bytes:
        raise ImageRejected("la imagen está dañada")

    monkeypatch.setattr("workflow.evidence.thumbnail", refuse)
    capturas = _accepted_screenshots(engine, folio)
    assert capturas and all(c["miniatura"] is None for c in capturas)
    assert all(blob_exists(c["archivo"]) for c in capturas)


def test_a_screenshot_too_large_to_store_is_shown_by_its_thumbnail(engine, folio, monkeypatch):
    def store(data: bytes, area: str, suffix: str = "") -> str:
        if area == "capturas":
            raise BlobTooLarge(f"{len(data)} bytes")
        return store_blob(data, area, suffix)

    monkeypatch.setattr("workflow.evidence.store_blob", store)
    capturas = _accepted_screenshots(engine, folio)
    assert capturas and all(c["archivo"] == c["miniatura"] for c in capturas)
    assert all(c["miniatura"].startswith("miniaturas/") for c in capturas)
    assert all(blob_exists(c["miniatura"]) for c in capturas)


def test_guessing_the_sia_password_is_throttled(engine, folio):
    client = TestClient(create_app())
    for _ in range(ACCOUNT_LIMIT):
        assert _upload(client, folio, GOOD, auth=(RFC, "mala")).status_code == 401
    blocked = _upload(client, folio, GOOD)
    assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) > 0
    assert "Demasiados intentos fallidos" in blocked.json()["detail"]
    with Session(engine) as session:
        assert session.exec(select(EvidenceSubmission)).all() == []


def test_status_bodies_are_exactly_what_intake_describes(engine, folio):
    """The response models document the bodies; they add, drop or respell nothing."""
    from review.intake import submission_status

    def described(submission_id: int) -> dict[str, object]:
        with Session(engine) as session:
            submission = session.get(EvidenceSubmission, submission_id)
            assert submission is not None
            return submission_status(session, submission).model_dump(
                mode="json", exclude_unset=True
            )

    client = TestClient(create_app())
    first = _upload(client, folio, b"%PDF-1.7\n" + b"2" * 500)
    body = first.json()
    assert first.status_code == 202 and first.headers["location"] == body["url"]
    assert body == {**described(body["id"]), "duplicada": False}
    assert "hallazgos" not in body  # not read yet
    assert client.get(body["url"], auth=AUTH).json() == described(body["id"])

    examine(body["id"])
    unreadable = client.get(body["url"], auth=AUTH).json()
    assert unreadable == described(body["id"]) and unreadable["hallazgos"]
    again = _upload(client, folio, b"%PDF-1.7\n" + b"2" * 500)
    assert again.status_code == 200 and again.headers["location"] == body["url"]
    assert again.json() == {**described(body["id"]), "duplicada": True}
    assert client.get("/api/v1/evidencias/999999", auth=AUTH).json() == {
        "detail": "No existe esa evidencia."
    }
