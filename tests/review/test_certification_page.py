"""The certification page (/panel/certificaciones/{folio}) and the files it links to."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from core.db import get_engine
from evidence.formats.cfdi_schema import NOMINA_NS
from review.app import create_app
from schema import (
    Certification,
    EvidenceSubmission,
    Finding,
    Organization,
    OrganizationKind,
    ReviewDecision,
    StaffUser,
)
from tests.evidence.checks.builder import avisos_zip, edit_cfdi, evidence_spec, nomina_cfdi
from tests.evidence.fixtures.build import EmbeddedObject, build_xlsx, screenshot
from tests.review.reviewing import (
    evaluation_cases,
    round_of,
    submit_for_review,
    upload,
    workbook,
)
from tests.review.staff import csrf_token, sign_in
from tests.vendor import RFC
from workers.tasks.evidence import examine
from workflow.decisions import Decision, decide
from workflow.dispatch import XLSX, dispatch_test_set
from workflow.state_machine import open_certification

SCRIPT = "<script>alert('x')</script>"
ESCAPED = "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"


def _staff_client() -> TestClient:
    client = TestClient(create_app())
    sign_in(client)
    return client


def _page(client: TestClient, folio: str) -> str:
    response = client.get(f"/panel/certificaciones/{folio}")
    assert response.status_code == 200, response.text
    return str(response.text)


def _plain_cases(engine: Engine, folio: str) -> list[str]:
    """The current round's evaluation cases whose wrong total is one error (the case marked for
    the CFDI would make its CFDI wrong too)."""
    gen = round_of(engine, folio)
    marked = {case["caso"] for case in gen.test_set["casos"] if case["cfdi"]}
    return [caso for caso in evaluation_cases(gen) if caso not in marked]


def _upload(folio: str, data: bytes) -> int:
    """Upload and examine ``data``; the submission's id."""
    submission_id = upload(folio, data)
    assert examine(submission_id) is not None
    return submission_id


def _decide(engine: Engine, folio: str, decision: Decision) -> None:
    with Session(engine, expire_on_commit=False) as session:
        certification = session.exec(select(Certification).where(Certification.folio == folio))
        reviewer = session.exec(select(StaffUser)).one()
        decide(session, certification.one(), reviewer, decision)
        session.commit()


def _reject_and_send_next_round(engine: Engine, folio: str, reason: str) -> None:
    with Session(engine) as session:
        ids = [f.id for f in session.exec(select(Finding)) if f.id is not None]
    _decide(engine, folio, Decision(ReviewDecision.CON_INCONSISTENCIAS, reason, ids))
    with Session(engine) as session:
        certification = session.exec(select(Certification).where(Certification.folio == folio))
        certification_id = certification.one().id
        assert certification_id is not None
        assert dispatch_test_set(session, certification_id) is not None
        session.commit()


@contextmanager
def _statements() -> Iterator[list[str]]:
    seen: list[str] = []

    def count(*args: Any) -> None:
        seen.append(args[2])

    engine = get_engine()
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_each_section_of_a_submission_with_wrong_totals(engine, folio, reviewer, sent_tasks):
    gen = round_of(engine, folio)
    cases = _plain_cases(engine, folio)
    wrong, right = cases[:2], cases[2]
    data = workbook(gen, wrong)
    submission_id = _upload(folio, data)
    client = _staff_client()
    html = _page(client, folio)

    # Vendor and certification, the running review term in business days.
    for text in (RFC, "Nóminas Ñandú", "certificacion@nandu.example", "En análisis"):
        assert text in html
    assert re.search(r'id="plazo-revision">[^<]+\(quedan 5 días hábiles después de hoy\)', html)
    assert "Revisor asignado</dt><dd>Ana Núñez" in html
    # The automatic verdict and its findings, grouped by tab.
    assert 'id="conteo">2 error(es), 0 advertencia(s)' in html
    assert "Con inconsistencias" in html and "Pestaña 2 · Cálculos" in html
    assert html.count("<code>T2-TOTAL-MISMATCH</code>") >= 2

    # Tab 2: the wrong totals are flagged next to the expected ones, with their explanation.
    for caso in wrong:
        assert f'<tr id="calculo-{caso}" class="distinto">' in html
        assert f"Total a retener: {gen.answers[caso]['total']}." in html
    assert f'<tr id="calculo-{right}">' in html
    # Tab 1: the signed responses of this round.
    assert "Firmada, de este set de pruebas" in html and "Firma no válida" not in html
    # Tab 4: the CFDI's key fields and its XML, escaped.
    cfdi_case = next(c for c in gen.test_set["casos"] if c["cfdi"])
    assert f"<dt>NSS</dt><dd>{cfdi_case['nss']}</dd>" in html
    assert gen.test_set["patron"]["rfc"] in html and "Crédito INFONAVIT" in html
    assert "&lt;cfdi:Comprobante" in html
    # The test set with the expected answers (staff only).
    assert f'<tr id="caso-{cfdi_case["caso"]}">' in html and gen.test_set["patron"]["nrp"] in html

    # Tab 3: thumbnails that link to the full image.
    thumbnail = f"/panel/evidencias/{submission_id}/capturas/1/miniatura"
    full = f"/panel/evidencias/{submission_id}/capturas/1"
    assert f'<a href="{full}"><img src="{thumbnail}"' in html
    for url in (thumbnail, full):
        image = client.get(url)
        assert image.status_code == 200
        assert image.headers["content-type"] == "image/png"
        assert image.headers["x-content-type-options"] == "nosniff"
        assert image.content.startswith(b"\x89PNG\r\n\x1a\n")
    assert client.get(full).content == screenshot("png")

    # The original workbook, byte for byte.
    assert f'href="/panel/evidencias/{submission_id}/libro"' in html
    download = client.get(f"/panel/evidencias/{submission_id}/libro")
    assert download.status_code == 200 and download.content == data
    assert download.headers["content-type"] == XLSX
    assert download.headers["content-disposition"].startswith(
        'attachment; filename="evidencias.xlsx"'
    )

    # The decision form, with each automatic error offered (and chosen) for the vendor.
    assert f'action="/panel/certificaciones/{folio}/decision"' in html
    assert f'name="submission_id" value="{submission_id}"' in html
    assert 'value="aprobada"' in html and 'value="con_inconsistencias"' in html
    assert len(re.findall(r'name="finding" value="\d+" checked', html)) == 2
    assert "Registrar decisión" in html

    # The timeline, oldest first.
    order = [
        "Solicitud de certificación registrada",
        "Set de pruebas de la ronda 1 enviado al desarrollador",
        "Evidencia recibida: «evidencias.xlsx»",
        "Evidencia aceptada para análisis",
    ]
    assert [html.index(text) for text in order] == sorted(html.index(text) for text in order)
    assert "En espera de documentos → En análisis" in html


def test_the_download_keeps_any_original_name_safely(engine, folio, reviewer, sent_tasks):
    submission_id = _upload(folio, workbook(round_of(engine, folio)))
    with Session(engine) as session:
        # Browsers send a quote in a file name as %22; the name as stored may still hold one.
        submission = session.get(EvidenceSubmission, submission_id)
        assert submission is not None
        submission.original_name = 'Evidencia «final» "v2"; ronda=1.xlsx'
        session.add(submission)
        session.commit()
    download = _staff_client().get(f"/panel/evidencias/{submission_id}/libro")
    disposition = download.headers["content-disposition"]
    assert disposition == (
        'attachment; filename="Evidencia final _v2__ ronda_1.xlsx"; '
        "filename*=UTF-8''Evidencia%20%C2%ABfinal%C2%BB%20%22v2%22%3B%20ronda%3D1.xlsx"
    )


def test_vendor_text_is_shown_escaped(engine, folio, reviewer, sent_tasks):
    with Session(engine) as session:
        vendor = session.exec(select(Organization)).one()
        vendor.razon_social = f"Nóminas {SCRIPT} & <b>Hijos</b>"
        session.add(vendor)
        session.commit()
    gen = round_of(engine, folio)
    spec = evidence_spec(gen)
    stranger = {"folioConsulta": "<img src=x onerror=alert(1)>", "nota": SCRIPT}
    spec[0] = replace(
        spec[0], objects=[EmbeddedObject("respuestas.zip", avisos_zip([*gen.avisos, stranger]))]
    )

    def hostile_concept(root: Any) -> None:
        root.find(f".//{{{NOMINA_NS}}}Deduccion").set("Concepto", SCRIPT)

    spec[3] = replace(
        spec[3],
        objects=[EmbeddedObject("cfdi.xml", edit_cfdi(nomina_cfdi(gen), hostile_concept))],
    )
    _upload(folio, build_xlsx(spec))
    html = _page(_staff_client(), folio)

    assert "<script>alert" not in html and "<img src=x" not in html and "<b>Hijos" not in html
    assert f"Nóminas {ESCAPED} &amp; &lt;b&gt;Hijos&lt;/b&gt;" in html  # razón social
    assert f"<td>{ESCAPED}</td>" in html  # the CFDI's deduction Concepto
    assert "&amp;lt;script&amp;gt;" in html  # the same, in the raw XML
    assert "&lt;img src=x onerror=alert(1)&gt;" in html  # a JSON field (and its file name)
    assert "&#34;nota&#34;: &#34;&lt;script&gt;" in html  # the JSON document
    assert "Firma no válida" in html


def test_a_second_round_shows_the_first_and_what_changed(engine, folio, reviewer, sent_tasks):
    cases = _plain_cases(engine, folio)
    first = submit_for_review(engine, folio, wrong=cases[:2])
    client = _staff_client()
    with _statements() as round_one:
        _page(client, folio)

    _reject_and_send_next_round(engine, folio, "Revise los totales de la evaluación.")
    waiting = _page(client, folio)
    assert "En espera de documentos" in waiting and "Aún no hay evidencia de esta ronda" in waiting
    assert "Plazo de entrega de evidencias" in waiting and "Registrar decisión" not in waiting

    second = submit_for_review(engine, folio, wrong=[cases[1], cases[2]])
    with _statements() as round_two:
        html = _page(client, folio)

    assert "Ronda 2 (actual)" in html and "Ronda 1</h3>" in html
    # Round 1: the reviewer's decision, reason and the findings sent to the vendor.
    assert "Rechazada con inconsistencias por Ana Núñez" in html
    assert "Revise los totales de la evaluación." in html
    assert "Hallazgos enviados (3)" in html and "REV-OBSERVACION" in html
    # What changed from the first submission to the second.
    changes = html[html.index(f'id="cambios-{second}"') :]
    assert f"de la evidencia #{first} (ronda 1) a la #{second} (ronda 2)" in changes
    fixed = changes[changes.index('class="corregidos"') : changes.index('class="siguen"')]
    still = changes[changes.index('class="siguen"') : changes.index('class="nuevos"')]
    new = changes[changes.index('class="nuevos"') : changes.index("</dl>")]
    assert f"Caso {cases[0]}" in fixed and f"Caso {cases[1]}" not in fixed
    assert f"Caso {cases[1]}" in still and f"Caso {cases[0]}" not in still
    assert f"Caso {cases[2]}" in new and f"Caso {cases[1]}" not in new
    # The decision form is back, for the new submission.
    assert f'name="submission_id" value="{second}"' in html
    # The same queries, whatever the history: nothing is read per round, upload or finding.
    assert len(round_two) == len(round_one)


def test_a_decided_round_shows_the_decision_instead_of_the_form(
    engine, folio, reviewer, sent_tasks
):
    submit_for_review(engine, folio, wrong=_plain_cases(engine, folio)[:1])
    justification = f"Diferencia de redondeo aceptable.\nVer {SCRIPT}"
    _decide(engine, folio, Decision(ReviewDecision.APROBADA, justification))
    html = _page(_staff_client(), folio)
    assert "Aprobada, pendiente de firma" in html
    assert "Registrar decisión" not in html and 'name="decision"' not in html
    decision = html[html.index('id="decision"') :]
    assert '<span class="badge ok">Aprobada</span>' in decision
    assert "<dt>Revisor</dt><dd>Ana Núñez</dd>" in decision
    assert f"Diferencia de redondeo aceptable.<br>Ver {ESCAPED}" in decision


def test_a_refused_decision_shows_why_and_keeps_what_was_chosen(
    engine, folio, reviewer, sent_tasks
):
    submit_for_review(engine, folio, wrong=_plain_cases(engine, folio)[:2])
    client = _staff_client()
    page = f"/panel/certificaciones/{folio}"
    chosen = re.findall(r'name="finding" value="(\d+)"', client.get(page).text)[1]
    response = client.post(
        f"{page}/decision",
        data={
            "csrf_token": csrf_token(client, page),
            "decision": "aprobada",
            "reason": "Breve",
            "finding": chosen,
        },
    )
    assert response.status_code >= 400
    html = response.text
    assert 'role="alert" id="error-decision">La revisión automática encontró 2 error(es)' in html
    assert 'value="aprobada" required checked' in html
    assert ">Breve</textarea>" in html
    assert re.findall(r'name="finding" value="(\d+)" checked', html) == [chosen]


def test_a_decision_taken_meanwhile_is_shown_with_the_refusal(engine, folio, reviewer, sent_tasks):
    submit_for_review(engine, folio, wrong=_plain_cases(engine, folio)[:1])
    client = _staff_client()
    page = f"/panel/certificaciones/{folio}"
    token = csrf_token(client, page)
    with Session(engine, expire_on_commit=False) as session:
        other = StaffUser(
            email="beto@infonavit.example",
            full_name="Beto Ruiz",
            role=reviewer.role,
            password_hash=reviewer.password_hash,
        )
        session.add(other)
        certification = session.exec(select(Certification).where(Certification.folio == folio))
        decision = Decision(ReviewDecision.APROBADA, "Diferencia menor, se acepta.")
        decide(session, certification.one(), other, decision)
        session.commit()
    response = client.post(
        f"{page}/decision",
        data={"csrf_token": token, "decision": "con_inconsistencias", "reason": "Corrija E01."},
    )
    assert response.status_code == 409
    html = response.text
    assert re.search(r'<p class="error" role="alert" id="error-decision">Beto Ruiz ya aprobó', html)
    assert "Registrar decisión" not in html
    assert "<dt>Revisor</dt><dd>Beto Ruiz</dd>" in html


def test_a_refused_upload_shows_why_and_no_decision(engine, folio, reviewer, sent_tasks):
    data = b"%PDF-1.4 no es un libro"
    submission_id = _upload(folio, data)
    client = _staff_client()
    html = _page(client, folio)
    assert "En espera de documentos" in html and "Rechazada por ilegible" in html
    assert "<code>WB-FORMAT</code>" in html and "Libro</caption>" in html
    assert "Registrar decisión" not in html and "no está en espera de decisión" in html
    assert "Evidencia rechazada por ilegible (WB-FORMAT)" in html
    assert "La hoja de cálculos no se pudo leer" in html
    assert "La hoja del CFDI no se pudo leer" in html
    download = client.get(f"/panel/evidencias/{submission_id}/libro")
    assert download.content == data
    assert download.headers["content-type"] == "application/octet-stream"


def test_a_certification_just_requested_has_no_evidence_yet(engine, reviewer, settings):
    with Session(engine, expire_on_commit=False) as session:
        vendor = Organization(
            kind=OrganizationKind.DESARROLLADOR,
            rfc=RFC,
            razon_social="Nóminas Ñandú",
            email="certificacion@nandu.example",
        )
        session.add(vendor)
        session.flush()
        folio = open_certification(session, vendor, actor="cli").folio
        session.commit()
    html = _page(_staff_client(), folio)
    assert "Solicitada" in html and "Sin asignar" in html and "Ninguno en curso" in html
    assert "Aún no hay evidencia de esta ronda" in html
    assert "El desarrollador aún no ha entregado evidencias" in html
    assert "Set de pruebas de la ronda" not in html
    assert "Solicitud de certificación registrada" in html and "Línea de comandos" in html


def test_unknown_and_malformed_addresses_are_refused_in_spanish(
    engine, folio, reviewer, sent_tasks
):
    submission_id = submit_for_review(engine, folio)
    client = _staff_client()
    missing = client.get("/panel/certificaciones/0999999999")
    assert missing.status_code == 404
    assert "No existe la certificación 0999999999." in missing.text
    for bad in ("12345", "05000000011", "abcdefghij"):
        malformed = client.get(f"/panel/certificaciones/{bad}")
        assert malformed.status_code == 422 and "Solicitud inválida" in malformed.text
    for url in (
        "/panel/evidencias/999999/libro",
        "/panel/evidencias/999999/capturas/1",
        f"/panel/evidencias/{submission_id}/capturas/2",
        f"/panel/evidencias/{submission_id}/capturas/0",
        f"/panel/evidencias/{submission_id}/capturas/-1/miniatura",
        f"/panel/evidencias/{submission_id}/capturas/99999999999999999999",
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "No existe esa evidencia" in response.text or "no tiene esa captura" in response.text
    for url in (
        f"/panel/evidencias/{2**31}/libro",
        "/panel/evidencias/0/capturas/1",
        f"/panel/evidencias/{submission_id}/capturas/uno",
    ):
        assert client.get(url).status_code == 422, url


def test_anonymous_visitors_are_sent_to_sign_in(engine, folio, reviewer, sent_tasks):
    submission_id = submit_for_review(engine, folio)
    anonymous = TestClient(create_app())
    for url in (
        f"/panel/certificaciones/{folio}",
        f"/panel/evidencias/{submission_id}/libro",
        f"/panel/evidencias/{submission_id}/capturas/1",
        f"/panel/evidencias/{submission_id}/capturas/1/miniatura",
    ):
        response = anonymous.get(url, follow_redirects=False)
        assert response.status_code == 303, url
        assert response.headers["location"] == "/ingresar"
