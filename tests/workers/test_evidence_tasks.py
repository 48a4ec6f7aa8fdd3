"""Examining an uploaded workbook (read, then checked against the round stored in the database)
in one task."""

import dataclasses
from decimal import Decimal

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from review.app import create_app
from schema import (
    AuditEvent,
    EvidenceSubmission,
    Finding,
    Verdict,
)
from tests.evidence.checks.builder import evidence_spec
from tests.evidence.fixtures.build import build_xlsx
from tests.review.reviewing import round_of, upload
from tests.review.staff import sign_in
from workers.tasks.evidence import examine


def _findings(engine, submission_id: int) -> list[str]:
    with Session(engine) as session:
        return [
            f.code
            for f in session.exec(select(Finding).where(Finding.submission_id == submission_id))
        ]


def test_a_correct_workbook_is_sin_inconsistencias(engine, folio):
    workbook = build_xlsx(evidence_spec(round_of(engine, folio)))
    submission_id = upload(folio, workbook)
    assert examine(submission_id) == {"status": "aceptada", "verdict": "sin_inconsistencias"}
    with Session(engine) as session:
        submission = session.get(EvidenceSubmission, submission_id)
        assert submission is not None and submission.verdict is Verdict.SIN_INCONSISTENCIAS
        actions = [e.action for e in session.exec(select(AuditEvent))]
    assert "evidence.checked" in actions
    assert [code for code in _findings(engine, submission_id)] == []


def test_a_wrong_total_is_found_and_a_second_delivery_changes_nothing(engine, folio):
    gen = round_of(engine, folio)
    case = next(c["caso"] for c in gen.test_set["casos"] if c["seccion"] == "evaluacion")
    wrong = {
        **gen.answers,
        case: {
            **gen.answers[case],
            "total": str(Decimal(gen.answers[case]["total"]) + Decimal("0.05")),
        },
    }
    workbook = build_xlsx(evidence_spec(dataclasses.replace(gen, answers=wrong)))
    submission_id = upload(folio, workbook)
    assert examine(submission_id) == {"status": "aceptada", "verdict": "con_inconsistencias"}
    first = _findings(engine, submission_id)
    assert "T2-TOTAL-MISMATCH" in first
    assert examine(submission_id) is None  # a duplicated task finds it done
    assert _findings(engine, submission_id) == first
    with Session(engine) as session:
        finding = session.exec(select(Finding).where(Finding.code == "T2-TOTAL-MISMATCH")).one()
    assert finding.case == case and finding.expected == gen.answers[case]["total"]


def test_reviewers_see_verdict_findings_and_explanations(engine, folio, reviewer):
    gen = round_of(engine, folio)
    case = next(c["caso"] for c in gen.test_set["casos"] if c["seccion"] == "evaluacion")
    total = Decimal(gen.answers[case]["total"]) + Decimal("1.00")
    wrong = {**gen.answers, case: {**gen.answers[case], "total": str(total)}}
    submission_id = upload(
        folio, build_xlsx(evidence_spec(dataclasses.replace(gen, answers=wrong)))
    )
    examine(submission_id)
    client = TestClient(create_app())
    url = f"/api/v1/revision/evidencias/{submission_id}"
    assert client.get(url).status_code == 401  # staff only
    sign_in(client)
    body = client.get(url).json()
    assert body["veredicto"] == "con_inconsistencias"
    [mismatch] = [h for h in body["hallazgos"] if h["codigo"] == "T2-TOTAL-MISMATCH"]
    assert mismatch["caso"] == case and mismatch["dado"] == str(total)
    explained = {e["caso"]: e for e in body["explicaciones"]}
    assert set(explained) == {c["caso"] for c in gen.test_set["casos"]}
    assert explained[case]["total"] == gen.answers[case]["total"]
    assert f"Caso {case}" in explained[case]["texto"]
