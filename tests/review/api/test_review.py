"""The reviewers' view of a submission answers the same JSON, key for key, as before it had a
response model: the model documents the body, it does not reshape it."""

from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from evidence.checks.explain import explain_round
from review.app import create_app
from schema import Certification, EvidenceSubmission, Finding, Organization, TestSet
from tests.vendor import GOOD, PASSWORD, RFC, STAFF_EMAIL, STAFF_PASSWORD
from workers.tasks.evidence import examine


def _expected(engine, submission_id: int) -> dict[str, Any]:
    """The body as the route built it by hand before it had a response model."""
    with Session(engine) as session:
        submission = session.get(EvidenceSubmission, submission_id)
        assert submission is not None
        certification = session.get(Certification, submission.certification_id)
        test_set = session.get(TestSet, submission.test_set_id)
        assert certification is not None and test_set is not None
        vendor = session.get(Organization, certification.vendor_id)
        assert vendor is not None
        findings = session.exec(
            select(Finding).where(Finding.submission_id == submission_id).order_by(col(Finding.id))
        ).all()
        return {
            "id": submission.id,
            "certificacion": {
                "folio": certification.folio,
                "estado": certification.state.label,
                "rfc": vendor.rfc,
                "razonSocial": vendor.razon_social,
            },
            "ronda": submission.round,
            "archivo": submission.original_name,
            "sha256": submission.sha256,
            "recibida": submission.uploaded_at.isoformat(),
            "estado": submission.status.value,
            "veredicto": submission.verdict.value if submission.verdict else None,
            "revisada": submission.checked_at.isoformat() if submission.checked_at else None,
            "hallazgos": [
                {
                    "codigo": f.code,
                    "severidad": f.severity.value,
                    "origen": f.source.value,
                    "pestana": f.tab,
                    "caso": f.case,
                    "mensaje": f.message,
                    "esperado": f.expected,
                    "dado": f.actual,
                }
                for f in findings
            ],
            "explicaciones": [
                e.to_json()
                for e in explain_round(
                    test_set.document, test_set.answers, test_set.avisos_responses
                )
            ],
        }


def test_review_body_is_unchanged_before_and_after_the_examination(engine, folio, reviewer):
    client = TestClient(create_app())
    uploaded = client.post(
        f"/api/v1/certificaciones/{folio}/evidencias",
        files={"archivo": ("evidencias.xlsx", GOOD, "application/octet-stream")},
        auth=(RFC, PASSWORD),
    )
    assert uploaded.status_code == 202, uploaded.text
    submission_id = uploaded.json()["id"]
    url = f"/api/v1/revision/evidencias/{submission_id}"
    assert client.get(url).json() == {"detail": "Inicie sesión como personal."}
    client.post("/ingresar", data={"email": STAFF_EMAIL, "password": STAFF_PASSWORD})

    waiting = client.get(url)
    assert waiting.status_code == 200
    assert waiting.json() == _expected(engine, submission_id)
    assert waiting.json()["veredicto"] is None and waiting.json()["hallazgos"] == []

    examine(submission_id)
    examined = client.get(url).json()
    assert examined == _expected(engine, submission_id)
    assert examined["veredicto"] and examined["hallazgos"] and examined["explicaciones"]
    assert client.get("/api/v1/revision/evidencias/999999").json() == {
        "detail": "No existe esa evidencia."
    }
    assert client.get("/api/v1/revision/evidencias/uno").status_code == 422
