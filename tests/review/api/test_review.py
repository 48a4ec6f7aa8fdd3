"""The reviewers' view of a submission: staff only, the same keys before and after its
examination, every finding with its origin and the per-case explanations."""

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlmodel import Session

from core.db import get_engine
from review.app import create_app
from schema import EvidenceSubmission
from tests.review.staff import sign_in
from tests.vendor import GOOD, PASSWORD, RFC
from workers.tasks.evidence import examine

SUBMISSION_KEYS = {
    "id",
    "certificacion",
    "ronda",
    "archivo",
    "sha256",
    "recibida",
    "estado",
    "veredicto",
    "revisada",
    "hallazgos",
    "explicaciones",
}
FINDING_KEYS = {"codigo", "severidad", "origen", "pestana", "caso", "mensaje", "esperado", "dado"}


def test_review_body_before_and_after_the_examination(engine, folio, reviewer):
    client = TestClient(create_app())
    uploaded = client.post(
        f"/api/v1/certificaciones/{folio}/evidencias",
        files={"archivo": ("evidencias.xlsx", GOOD, "application/octet-stream")},
        auth=(RFC, PASSWORD),
    )
    assert uploaded.status_code == 202, uploaded.text
    submission_id = uploaded.json()["id"]
    url = f"/api/v1/revision/evidencias/{submission_id}"
    assert client.get(url).status_code == 401
    sign_in(client)

    waiting = client.get(url).json()
    assert set(waiting) == SUBMISSION_KEYS
    certification = waiting["certificacion"]
    assert set(certification) == {"folio", "estado", "rfc", "razonSocial"}
    assert (certification["folio"], certification["rfc"]) == (folio, RFC)
    assert certification["estado"] == "En espera de documentos"
    assert (waiting["estado"], waiting["veredicto"], waiting["revisada"]) == (
        "recibida",
        None,
        None,
    )
    assert waiting["ronda"] == 1 and waiting["hallazgos"] == [] and waiting["explicaciones"]

    examine(submission_id)
    examined = client.get(url).json()
    with Session(engine) as session:
        submission = session.get(EvidenceSubmission, submission_id)
        assert submission is not None and submission.verdict is not None
    assert set(examined) == SUBMISSION_KEYS
    assert examined["certificacion"]["estado"] == "En análisis"
    assert examined["estado"] == "aceptada" and examined["veredicto"] == submission.verdict.value
    assert examined["hallazgos"] and all(set(h) == FINDING_KEYS for h in examined["hallazgos"])
    assert {h["origen"] for h in examined["hallazgos"]} == {"automatico"}
    assert examined["explicaciones"] == waiting["explicaciones"]
    assert client.get("/api/v1/revision/evidencias/999999").json() == {
        "detail": "No existe esa evidencia."
    }
    assert client.get("/api/v1/revision/evidencias/uno").status_code == 422


def test_polling_a_submission_never_reads_its_reading(engine, folio, reviewer):
    """The reading (megabytes of JSON for a full workbook) is shown by neither the review's
    answer nor the vendor's status, which clients poll until the verdict comes."""
    client = TestClient(create_app())
    uploaded = client.post(
        f"/api/v1/certificaciones/{folio}/evidencias",
        files={"archivo": ("evidencias.xlsx", GOOD, "application/octet-stream")},
        auth=(RFC, PASSWORD),
    )
    submission_id = uploaded.json()["id"]
    examine(submission_id)
    sign_in(client)
    statements: list[str] = []

    def record(*args: Any) -> None:
        statements.append(args[2])

    event.listen(get_engine(), "before_cursor_execute", record)
    try:
        review = client.get(f"/api/v1/revision/evidencias/{submission_id}")
        status = client.get(f"/api/v1/evidencias/{submission_id}", auth=(RFC, PASSWORD))
    finally:
        event.remove(get_engine(), "before_cursor_execute", record)
    assert review.status_code == 200 and status.status_code == 200
    reads = [s for s in statements if "FROM evidence_submissions" in s]
    assert reads and not [s for s in reads if "evidence_submissions.reading" in s]
