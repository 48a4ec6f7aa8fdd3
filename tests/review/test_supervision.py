"""The supervisor's view (/panel/supervision): breaches, workload, reassignment."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from core.clock import utcnow
from review.app import create_app
from review.deps import CSRF_FIELD
from schema import AuditEvent, StaffRole, StaffUser
from tests.review.staff import csrf_token, sign_in
from tests.review.supervising import in_review, staff_member
from tests.vendor import STAFF_EMAIL
from workflow.certifications import certification_by_folio

R = StaffRole
PAGE = "/panel/supervision"
FORM = PAGE + "/asignaciones"


@pytest.fixture
def supervisor(settings, engine) -> StaffUser:
    return staff_member(engine, "sara@infonavit.example", R.SUPERVISOR, "Sara Supervisora")


@pytest.fixture
def client(supervisor) -> TestClient:
    signed_in = TestClient(create_app())
    sign_in(signed_in, email=supervisor.email)
    return signed_in


def reviewer_of(engine, folio: str) -> int | None:
    with Session(engine) as session:
        certification = certification_by_folio(session, folio)
        assert certification is not None
        return certification.reviewer_id


def test_reviewers_are_refused_and_anonymous_visitors_sent_to_sign_in(reviewer):
    anonymous = TestClient(create_app())
    answer = anonymous.get(PAGE, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/ingresar"
    sign_in(anonymous, email=STAFF_EMAIL)
    refused = anonymous.get(PAGE)
    assert refused.status_code == 403 and "Su rol no tiene acceso" in refused.text


def test_administrators_see_it_too(settings, engine):
    admin = staff_member(engine, "admin@infonavit.example", R.ADMINISTRADOR)
    client = TestClient(create_app())
    sign_in(client, email=admin.email)
    assert client.get(PAGE).status_code == 200


def test_breaches_workload_and_unassigned_reviews_are_shown(client, engine, reviewer):
    late = in_review(engine, "AAA010101AA1", at=utcnow() - timedelta(days=21))
    staff_member(engine, "beto@infonavit.example", R.REVISOR, "Beto Ruiz")
    fresh = in_review(engine, "BBB010101BB2")
    page = client.get(PAGE)
    assert page.status_code == 200
    text = page.text
    breaches = text[text.index('id="vencidas"') : text.index('id="carga"')]
    assert f'<a href="/panel/certificaciones/{late}">{late}</a>' in breaches
    assert fresh not in breaches and "Ana Núñez" in breaches
    assert "Días hábiles de atraso" in breaches and 'class="badge alerta"' in breaches
    # The razón social is shown escaped.
    assert "Nóminas AAA010101AA1 &lt;b&gt;S.A.&lt;/b&gt;" in breaches
    workload = text[text.index('id="carga"') : text.index('id="sin-asignar"')]
    assert "Ana Núñez" in workload and "Beto Ruiz" in workload
    assert "Todas las revisiones en curso tienen revisor." in text


def test_a_review_with_no_reviewer_is_listed_and_can_be_assigned(client, engine, supervisor):
    folio = in_review(engine, "AAA010101AA1")  # nobody to give it to yet
    beto = staff_member(engine, "beto@infonavit.example", R.REVISOR, "Beto Ruiz")
    page = client.get(PAGE).text
    unassigned = page[page.index('id="sin-asignar"') : page.index('id="en-analisis"')]
    assert folio in unassigned and "Asignar a" in unassigned

    token = csrf_token(client, PAGE)
    answer = client.post(
        FORM, data={"folio": folio, "revisor": beto.id, CSRF_FIELD: token}, follow_redirects=False
    )
    assert answer.status_code == 303 and answer.headers["location"] == f"{PAGE}?reasignada={folio}"
    shown = client.get(answer.headers["location"]).text
    assert f"La certificación {folio} quedó asignada a Beto Ruiz." in shown
    assert reviewer_of(engine, folio) == beto.id
    with Session(engine) as session:
        event = session.exec(
            select(AuditEvent).where(AuditEvent.action == "certification.reassigned")
        ).one()
    assert event.actor == f"staff:{supervisor.id}" and event.data["to"] == beto.id


def test_refusals_are_shown_in_spanish_and_change_nothing(client, engine, reviewer, supervisor):
    folio = in_review(engine, "AAA010101AA1")
    token = csrf_token(client, PAGE)

    to_supervisor = client.post(
        FORM, data={"folio": folio, "revisor": supervisor.id, CSRF_FIELD: token}
    )
    assert to_supervisor.status_code == 422
    assert "La persona elegida no es un revisor activo" in to_supervisor.text
    assert (
        'class="error"' in to_supervisor.text and "Supervisión de revisiones" in to_supervisor.text
    )

    unknown = client.post(
        FORM, data={"folio": "0000000000", "revisor": reviewer.id, CSRF_FIELD: token}
    )
    assert unknown.status_code == 404 and "No existe la certificación 0000000000." in unknown.text

    malformed = client.post(FORM, data={"folio": folio, "revisor": "Ana", CSRF_FIELD: token})
    assert malformed.status_code == 422 and "«revisor» debe ser un número entero" in malformed.text
    assert reviewer_of(engine, folio) == reviewer.id


def test_a_reassignment_without_the_csrf_token_is_refused(client, engine, reviewer):
    folio = in_review(engine, "AAA010101AA1")
    beto = staff_member(engine, "beto@infonavit.example", R.REVISOR)
    for token in (None, "falso"):
        data = {"folio": folio, "revisor": str(beto.id)}
        if token:
            data[CSRF_FIELD] = token
        answer = client.post(FORM, data=data)
        assert answer.status_code == 403 and "token de seguridad" in answer.text
    assert reviewer_of(engine, folio) == reviewer.id
