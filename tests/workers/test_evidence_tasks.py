"""Examining an uploaded workbook (read, then checked against the round stored in the database)
in one task."""

import dataclasses
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from review.app import create_app
from schema import (
    AuditEvent,
    EvidenceSubmission,
    Finding,
    Verdict,
)
from tests.evidence.checks.builder import evidence_spec, zip_of
from tests.evidence.fixtures.build import EmbeddedObject, build_xlsx
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


@pytest.mark.parametrize(
    "text",
    [
        '{"folioConsulta": "X", "nota": "nulo \\u0000 en texto"}',
        '{"folioConsulta": "X", "nota": "suelto \\ud800"}',
        '{"folioConsulta": "X", "monto": 1e999}',
    ],
    ids=["nul", "lone-surrogate", "overflowing-float"],
)
def test_a_response_that_json_allows_but_a_database_does_not_still_gets_its_verdict(
    engine, folio, text
):
    """Valid JSON that PostgreSQL's jsonb refuses (NUL, a lone surrogate, a number past the
    double range) inside an uploaded response: the examination is stored all the same."""
    gen = round_of(engine, folio)
    spec = evidence_spec(gen)
    responses = zip_of({"avisos/extra.json": text.encode(), "avisos/ok.json": b"{}"})
    spec[0] = dataclasses.replace(spec[0], objects=[EmbeddedObject("respuestas.zip", responses)])
    submission_id = upload(folio, build_xlsx(spec))
    outcome = examine(submission_id)
    assert outcome is not None and outcome["status"] == "aceptada"
    with Session(engine) as session:
        submission = session.get(EvidenceSubmission, submission_id)
        assert submission is not None and submission.verdict is Verdict.CON_INCONSISTENCIAS


def test_a_cell_that_spells_nul_is_stored_as_the_replacement_character(engine, folio):
    """xlsx spells a NUL in a cell as _x0000_, which calamine reads back as NUL."""
    gen = round_of(engine, folio)
    spec = evidence_spec(gen)
    rows = [list(row) for row in spec[1].rows]
    first = next(i for i, row in enumerate(rows) if row and row[0] in gen.answers)
    rows[first][0] = f"{rows[first][0]}_x0000_"
    spec[1] = dataclasses.replace(spec[1], rows=rows)
    submission_id = upload(folio, build_xlsx(spec))
    assert examine(submission_id) == {"status": "aceptada", "verdict": "con_inconsistencias"}
    with Session(engine) as session:
        cases = session.exec(select(Finding.case).where(Finding.submission_id == submission_id))
        assert any(case and case.endswith("\ufffd") for case in cases)
