"""The review queue (/panel)."""

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, func, select

from core.clock import travel_to, utcnow
from review.app import create_app
from schema import (
    Certification,
    CertificationState,
    ClockKind,
    Finding,
    FindingSource,
    Severity,
)
from tests.queue_rows import certification, clock, vendor
from tests.review.reviewing import evaluation_cases, round_of, submit_for_review
from tests.review.staff import sign_in
from workflow.state_machine import Event, transition

S = CertificationState
FOLIO_LINK = re.compile(r'href="/panel/certificaciones/(\d{10})"')


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


@pytest.fixture
def client(reviewer) -> TestClient:
    signed_in = TestClient(create_app())
    sign_in(signed_in)
    return signed_in


def listed(client: TestClient, url: str) -> list[str]:
    response = client.get(url)
    assert response.status_code == 200, response.text
    return FOLIO_LINK.findall(response.text)


def test_anonymous_visitors_are_sent_to_sign_in(settings):
    response = TestClient(create_app()).get("/panel?estado=en_analisis", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/ingresar"


def test_a_reviewed_submission_shows_its_verdict_errors_and_review_deadline(
    client, folio, engine, sent_tasks
):
    wrong = evaluation_cases(round_of(engine, folio))[:2]
    submission_id = submit_for_review(engine, folio, wrong=wrong)
    with Session(engine) as session:
        errors = session.exec(
            select(func.count()).where(
                Finding.submission_id == submission_id,
                Finding.source == FindingSource.AUTOMATICO,
                Finding.severity == Severity.ERROR,
            )
        ).one()
    assert errors >= 2
    page = client.get("/panel").text
    row = page[page.index(f'href="/panel/certificaciones/{folio}"') :]
    row = row[: row.index("</tr>")]
    assert "En análisis" in row and "Con inconsistencias" in row
    assert f'<td class="num">{errors}</td>' in row
    assert "Revisión:" in row and "5 días hábiles" in row
    assert listed(client, "/panel?veredicto=con_inconsistencias") == [folio]
    assert listed(client, "/panel?veredicto=sin_inconsistencias") == []


@pytest.fixture
def three(settings, engine) -> dict[str, str]:
    now = utcnow()
    with Session(engine) as session:
        nandu = vendor(session, "NAN840428RH1", "Nóminas Ñandú, S.A.")
        html = vendor(session, "SNO010101AA1", '<script>alert("x")</script> & Cía')
        waiting = certification(session, nandu, S.EN_ESPERA_DE_DOCUMENTOS, now - timedelta(3))
        clock(session, waiting, ClockKind.EVIDENCIA, now + timedelta(days=60))
        review = certification(session, html, S.EN_ANALISIS, now - timedelta(2), round=2)
        clock(session, review, ClockKind.REVISION, now - timedelta(days=1))
        done = certification(session, nandu, S.CERTIFICADA, now - timedelta(1))
        session.commit()
        return {"waiting": waiting.folio, "review": review.folio, "done": done.folio}


def test_filters_in_the_url_narrow_the_list(client, three):
    assert listed(client, "/panel") == [three["done"], three["review"], three["waiting"]]
    assert listed(client, "/panel?estado=en_analisis") == [three["review"]]
    assert listed(client, "/panel?ronda=2") == [three["review"]]
    assert listed(client, "/panel?desarrollador=nan840") == [three["done"], three["waiting"]]
    assert listed(client, "/panel?vencidas=1") == [three["review"]]
    assert listed(client, "/panel?vence_en=5") == [three["review"]]
    assert listed(client, "/panel?orden=plazo") == [three["review"], three["waiting"]]
    # What an empty GET form sends is no filter at all.
    empty = "/panel?estado=&ronda=&desarrollador=+&veredicto=&vence_en=&orden="
    assert listed(client, empty) == listed(client, "/panel")


def test_counts_per_state_link_to_their_filter(client, three):
    page = client.get("/panel").text
    assert re.search(r'href="/panel\?estado=en_analisis"><strong>1</strong>En análisis', page)
    assert re.search(r'href="/panel"[^>]*><strong>3</strong>Todas', page)
    assert re.search(r'href="/panel\?estado=cancelada"><strong>0</strong>Cancelada', page)


def test_html_in_a_razon_social_is_shown_escaped(client, three):
    page = client.get("/panel").text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; Cía" in page
    assert '<script>alert("x")' not in page


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("estado=aprobadisima", "El estatus «aprobadisima» no existe"),
        ("ronda=0", "La ronda debe ser un número entero de 1 a 99"),
        ("ronda=dos", "La ronda debe ser un número entero de 1 a 99"),
        ("ronda=%EF%BC%93", "La ronda debe ser un número entero"),  # a full-width digit
        ("ronda=" + "9" * 5000, "La ronda debe ser un número entero de 1 a 99"),
        ("veredicto=regular", "El veredicto «regular» no existe"),
        ("vence_en=-1", "«Vence en» debe ser un número entero de días hábiles, de 0 a 90"),
        ("vence_en=1e3", "«Vence en» debe ser un número entero"),
        ("vence_en=91", "«Vence en» debe ser un número entero"),
        ("vencidas=quiza", "«Solo revisiones fuera de plazo» admite únicamente el valor 1"),
        ("vencidas=si", "«Solo revisiones fuera de plazo» admite únicamente el valor 1"),
        ("orden=alfabetico", "El orden «alfabetico» no existe"),
        ("desarrollador=" + "x" * 101, "escriba de 3 a 100 caracteres"),
        ("desarrollador=+ab+", "escriba de 3 a 100 caracteres"),
        ("despues=abc", "El enlace de paginación no es válido"),
        ("antes=" + "9" * 18 + ".1", "El enlace de paginación no es válido"),
        ("despues=1.1&antes=1.1", "El enlace de paginación no es válido"),
    ],
)
def test_a_bad_parameter_gets_a_spanish_message_on_the_page(client, query, message):
    response = client.get(f"/panel?{query}")
    assert response.status_code == 422
    assert message in response.text
    assert 'class="error" role="alert"' in response.text
    assert 'name="estado"' in response.text  # the filters stay, to correct


def test_a_control_character_in_a_parameter_is_refused_in_spanish(client):
    response = client.get("/panel?desarrollador=a%00b")
    assert response.status_code == 422
    assert "caracteres de control" in response.text


def test_pages_of_fifty_with_next_and_previous_links(client, settings, engine):
    now = utcnow()
    with Session(engine) as session:
        org = vendor(session, "NAN840428RH1", "Nóminas Ñandú, S.A.")
        for i in range(55):
            certification(session, org, S.CERTIFICADA, now - timedelta(minutes=i // 2))
        session.commit()
        everything = session.exec(
            select(Certification.folio).order_by(
                col(Certification.requested_at).desc(), col(Certification.id).desc()
            )
        ).all()
    first = client.get("/panel?estado=certificada").text
    assert FOLIO_LINK.findall(first) == everything[:50]
    assert 'rel="prev"' not in first
    following = re.search(r'rel="next" href="([^"]+)"', first)
    assert following and "estado=certificada" in following.group(1)
    second = client.get(following.group(1).replace("&amp;", "&")).text
    assert FOLIO_LINK.findall(second) == everything[50:]
    assert 'rel="next"' not in second
    back = re.search(r'rel="prev" href="([^"]+)"', second)
    assert back
    assert listed(client, back.group(1).replace("&amp;", "&")) == everything[:50]
