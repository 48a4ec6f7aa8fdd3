"""POST /api/v1/revision/certificaciones/{folio}/decision: staff systems with a bearer token
(issued by `sia staff-token`), or the dashboard's session with its CSRF header."""

from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from cli.main import sia
from review.app import create_app
from schema import Certification, CertificationState, Review, StaffToken
from tests.review.reviewing import evaluation_cases, round_of, submit_for_review
from tests.review.staff import csrf_token, sign_in
from tests.vendor import STAFF_EMAIL

REASON = "Los totales de los casos de evaluación no coinciden con lo esperado."


def _url(folio: str) -> str:
    return f"/api/v1/revision/certificaciones/{folio}/decision"


def _token(engine) -> str:
    result = CliRunner().invoke(sia, ["staff-token", "--email", STAFF_EMAIL, "--nombre", "SIIN"])
    assert result.exit_code == 0, result.output
    token = result.output.strip()
    with Session(engine) as session:
        stored = session.exec(select(StaffToken)).one()
    assert stored.token_hash != token and token not in stored.token_hash  # only its hash
    return token


def test_a_bearer_token_decides_and_a_repeat_returns_the_same_decision(
    engine, folio, reviewer, sent_tasks
):
    submission_id = submit_for_review(engine, folio)
    auth = {"Authorization": f"Bearer {_token(engine)}"}
    client = TestClient(create_app())
    body = {"decision": "aprobada", "evidencia": submission_id}
    first = client.post(_url(folio), json=body, headers=auth)
    assert first.status_code == 200, first.text
    assert first.json() | {"decidida": None} == {
        "folio": folio,
        "ronda": 1,
        "evidencia": submission_id,
        "decision": "aprobada",
        "revisor": "Ana Núñez",
        "decidida": None,
        "estado": "Aprobada, pendiente de firma",
    }
    again = client.post(_url(folio), json=body, headers=auth)
    assert again.status_code == 200 and again.json() == first.json()
    with Session(engine) as session:
        assert len(session.exec(select(Review)).all()) == 1


def test_refusals_are_spanish_with_their_status(engine, folio, reviewer, sent_tasks):
    auth = {"Authorization": f"Bearer {_token(engine)}"}
    client = TestClient(create_app())
    not_yet = client.post(_url(folio), json={"decision": "aprobada"}, headers=auth)
    assert not_yet.status_code == 409 and "solo se decide" in not_yet.json()["detail"]
    case = evaluation_cases(round_of(engine, folio))[0]
    submit_for_review(engine, folio, wrong=[case])
    unjustified = client.post(_url(folio), json={"decision": "aprobada"}, headers=auth)
    assert unjustified.status_code == 422 and "justificación" in unjustified.json()["detail"]
    unknown = client.post(_url("0000000001"), json={"decision": "aprobada"}, headers=auth)
    assert unknown.status_code == 404
    bad = client.post(_url(folio), json={"decision": "quizá"}, headers=auth)
    assert bad.status_code == 422 and "decision" in bad.json()["detail"]
    extra = client.post(_url(folio), json={"decision": "aprobada", "x": 1}, headers=auth)
    assert extra.status_code == 422
    wrong_token = client.post(
        _url(folio), json={"decision": "aprobada"}, headers={"Authorization": "Bearer sia_x"}
    )
    assert wrong_token.status_code == 401
    with Session(engine) as session:
        certification = session.exec(select(Certification)).one()
        assert certification.state is CertificationState.EN_ANALISIS


def test_the_session_cookie_needs_the_csrf_header(engine, folio, reviewer, sent_tasks):
    submit_for_review(engine, folio)
    client = TestClient(create_app())
    sign_in(client)
    body = {"decision": "con_inconsistencias", "motivo": REASON}
    refused = client.post(_url(folio), json=body)
    assert refused.status_code == 403 and "token de seguridad" in refused.json()["detail"]
    with Session(engine) as session:
        assert session.exec(select(Review)).all() == []
    decided = client.post(_url(folio), json=body, headers={"X-CSRF-Token": csrf_token(client)})
    assert decided.status_code == 200, decided.text
    assert decided.json()["estado"] == "Con inconsistencias"
