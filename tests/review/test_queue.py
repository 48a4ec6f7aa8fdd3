"""The review queue (/panel)."""

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from core.clock import travel_to, utcnow
from review.app import create_app
from schema import Certification
from tests.review.staff import sign_in
from workflow.state_machine import Event, transition


def test_a_breached_review_sla_shows_a_badge_on_the_panel(reviewer, folio, engine, sent_tasks):
    client = TestClient(create_app())
    sign_in(client)
    with travel_to(utcnow() - timedelta(days=14)), Session(engine) as session:
        certification = session.exec(select(Certification).where(Certification.folio == folio))
        transition(session, certification.one(), Event.EVIDENCE_ACCEPTED, actor="t")
        session.commit()
    assert "Plazo de revisión vencido" in client.get("/panel").text
    with Session(engine) as session:
        certification = session.exec(select(Certification).where(Certification.folio == folio))
        transition(session, certification.one(), Event.APPROVED, actor="staff:1")
        session.commit()
    assert "Plazo de revisión vencido" not in client.get("/panel").text
