"""«Seguimiento a Certificación» through the portal's pages: the e.firma first, then the status,
the term, the documents and each round's test set; the evidence workbook sent, read and
accepted or refused; an upload while `En análisis`; a rejected round's findings; and another
vendor's files answered as missing ones."""

from __future__ import annotations

import io
import json
import re
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlmodel import Session, func, select

from core.config import get_settings
from review.deps import CSRF_FIELD
from rules.formatting import fecha
from schema import (
    CertificationState,
    EvidenceSubmission,
    ReviewDecision,
    TestSet,
)
from tests.efirma.factory import Lab
from tests.review.portal.certifying import (
    FOLLOW_UP,
    TAB,
    UPLOAD,
    certification_of,
    correct_workbook,
    csrf,
    decide,
    dispatch,
    in_review,
    post,
    post_efirma,
    show_efirma,
    submission_id,
    upload,
    vendor,
    waiting_for_documents,
)
from tests.review.portal.companies import RFC_B, Company, efirma, sign_in
from tests.review.portal.companies import client as new_browser
from workers.tasks.evidence import examine
from workflow.decisions import Decision
from workflow.evidence import EXAMINE_TASK
from workflow.throttle import ACCOUNT_LIMIT

MULTIPART_B = "multipart/form-data; boundary=B"
_SETS = "/portal/certificacion/sets/"
_SET_LINK = re.compile(rf'href="({_SETS}(\d{{10}})/set-de-pruebas\.json)"')
_TEMPLATE_LINK = re.compile(rf'href="({_SETS}\d{{10}}/plantilla-evidencias\.xlsx)"')


@pytest.fixture
def company(portal_settings: Any, engine: Any, lab: Lab, sent_tasks: Any) -> Company:
    return waiting_for_documents(lab, engine)


def _submissions(engine: Any) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(EvidenceSubmission)).one()


def test_the_follow_up_asks_for_the_efirma_once_per_session(
    portal_settings, engine, lab, sent_tasks
):
    company = waiting_for_documents(lab, engine)
    certification = certification_of(engine)
    # Another sign-in is another session: the e.firma is asked for again.
    browser = new_browser()
    assert sign_in(browser, company.identifier, company.email).status_code == 200
    again = Company(browser, company.rfc, company.identifier, company.email, company.files)
    form = browser.get(FOLLOW_UP)
    assert form.status_code == 200
    assert "Agrega los archivos de la e.firma" in form.text and ">Validar</button>" in form.text
    assert 'aria-current="step">Seguimiento a Certificación' in form.text
    assert certification.folio not in form.text  # nothing before the e.firma
    # An upload or a step of the follow-up before it is refused.
    early = upload(again, correct_workbook(engine))
    assert early.status_code == 403 and "valide su e.firma" in early.text
    assert _submissions(engine) == 0
    wrong = post_efirma(again, FOLLOW_UP + "/efirma", password="equivocada")
    assert wrong.status_code == 400 and "la contraseña es incorrecta" in wrong.text
    other = post_efirma(again, FOLLOW_UP + "/efirma", files=efirma(lab, RFC_B))
    assert other.status_code == 400 and "otro RFC" in other.text
    missing = browser.post(FOLLOW_UP + "/efirma", data={CSRF_FIELD: "x"})
    assert missing.status_code == 403  # the CSRF token, before anything else
    shown = show_efirma(again)
    assert shown.status_code == 303 and shown.headers["location"] == FOLLOW_UP
    assert certification.folio in browser.get(FOLLOW_UP).text


def test_the_status_the_term_and_the_documents(company, engine):
    certification = certification_of(engine)
    assert certification.state is CertificationState.EN_ESPERA_DE_DOCUMENTOS
    page = company.browser.get(FOLLOW_UP)
    assert page.status_code == 200
    text = page.text
    assert f"<dt>Folio:</dt><dd>{certification.folio}</dd>" in text
    assert "<dt>Estatus:</dt><dd>En espera de documentos</dd>" in text
    shown_date = fecha(certification.state_changed_at, get_settings().tz)
    assert f"<dt>Fecha:</dt><dd>{shown_date}</dd>" in text
    assert "<dt>Ronda:</dt><dd>1</dd>" in text
    assert "Fecha límite de entrega" in text
    assert re.search(r"quedan 4\d días hábiles después de hoy", text)
    for label in (
        "Los archivos con los resultados de las pruebas no deben ser mayores a 5 MB.",
        "Archivo [.xls]*",
        ">Enviar archivo</button>",
        ">Cancelar certificación</a>",
        "Descargar responsiva",
    ):
        assert label in text, label
    assert "Ronda 1" in text and "No ha enviado archivos en esta ronda." in text


def test_the_rounds_test_set_downloads(company, engine, lab):
    page = company.browser.get(FOLLOW_UP).text
    link = _SET_LINK.search(page)
    template = _TEMPLATE_LINK.search(page)
    assert link and template
    with Session(engine) as session:
        test_set = session.exec(select(TestSet)).one()
    assert link.group(2) == test_set.folio

    document = company.browser.get(link.group(1))
    assert document.status_code == 200
    assert document.headers["content-type"].startswith("application/json")
    assert document.headers["cache-control"] == "private, no-store"
    assert 'filename="set-de-pruebas.json"' in document.headers["content-disposition"]
    assert json.loads(document.content) == test_set.document
    assert "answers" not in document.text and "respuestas" not in document.text

    xlsx = company.browser.get(template.group(1))
    assert xlsx.status_code == 200 and xlsx.content.startswith(b"PK")
    assert load_workbook(io.BytesIO(xlsx.content)).sheetnames[0].startswith("1")

    # Another vendor's set is answered as one that does not exist.
    other = waiting_for_documents(
        lab, engine, company_rfc=RFC_B, email="certificacion@nominas-b.example"
    )
    assert other.browser.get(link.group(1)).status_code == 404
    assert other.browser.get(template.group(1)).status_code == 404
    assert company.browser.get(f"{TAB}/sets/0999999999/set-de-pruebas.json").status_code == 404


def test_a_correct_workbook_is_read_then_goes_to_review(company, engine, sent_tasks):
    sent = upload(company, correct_workbook(engine), filename="Evidencias Ñandú.xlsx")
    status_url = f"{UPLOAD}/{submission_id(sent)}"
    assert sent.headers["location"] == status_url
    assert (EXAMINE_TASK, (submission_id(sent),)) in sent_tasks

    reading = company.browser.get(status_url)
    assert reading.status_code == 200
    assert "En lectura" in reading.text and "Evidencias Ñandú.xlsx" in reading.text
    assert 'hx-trigger="every 3s"' in reading.text  # it asks again by itself
    assert "quedan" in reading.text  # the term still runs while it is read

    assert examine(submission_id(sent)) is not None
    done = company.browser.get(status_url)
    assert "Aceptado para revisión" in done.text
    assert '<dd id="estatus">En análisis</dd>' in done.text
    assert "hx-trigger" not in done.text

    page = company.browser.get(FOLLOW_UP).text
    assert "<dt>Estatus:</dt><dd>En análisis</dd>" in page
    assert "Enviar archivo" not in page and "Cancelar certificación" not in page
    assert "Evidencias Ñandú.xlsx" in page and status_url in page

    # Another file while it is reviewed is refused with the reason.
    refused = upload(company, correct_workbook(engine) + b"\0")
    assert refused.status_code == 409
    assert "ya tiene evidencia en análisis; espere el resultado de la revisión" in refused.text
    assert _submissions(engine) == 1


def test_an_unreadable_file_is_refused_with_the_reasons(company, engine):
    sent = submission_id(upload(company, b"%PDF-1.4 no es un libro", filename="evidencias.xls"))
    examine(sent)
    page = company.browser.get(f"{UPLOAD}/{sent}")
    assert "Rechazado: no se pudo leer" in page.text and "WB-FORMAT" in page.text
    assert "el plazo sigue corriendo" in page.text
    assert certification_of(engine).state is CertificationState.EN_ESPERA_DE_DOCUMENTOS
    follow_up = company.browser.get(FOLLOW_UP).text
    assert "Enviar archivo" in follow_up and "Rechazado: no se pudo leer" in follow_up


def test_uploads_the_page_refuses(company, engine):
    too_big = upload(company, b"PK" + b"\0" * (5 * 1024 * 1024))
    assert too_big.status_code == 413 and "5 MiB" in too_big.text
    assert "Enviar archivo" in too_big.text  # the form again
    misplaced = company.browser.post(
        UPLOAD,
        data={CSRF_FIELD: "x"},
        files={"otro": ("e.xlsx", b"PK", "application/octet-stream")},
    )
    assert misplaced.status_code == 400 and "«archivo»" in misplaced.text
    not_multipart = company.browser.post(UPLOAD, data={"archivo": "texto"})
    assert not_multipart.status_code == 415
    forged = company.browser.post(
        UPLOAD,
        data={CSRF_FIELD: "inventado"},
        files={"archivo": ("e.xlsx", correct_workbook(engine), "application/octet-stream")},
    )
    assert forged.status_code == 403
    anonymous = new_browser().post(
        UPLOAD, files={"archivo": ("e.xlsx", b"PK")}, follow_redirects=False
    )
    assert anonymous.status_code == 303 and anonymous.headers["location"] == "/portal/ingresar"
    assert _submissions(engine) == 0


def test_another_vendors_file_is_not_found(company, engine, lab):
    sent = submission_id(upload(company, correct_workbook(engine)))
    other = waiting_for_documents(
        lab, engine, company_rfc=RFC_B, email="certificacion@nominas-b.example"
    )
    stolen = other.browser.get(f"{UPLOAD}/{sent}")
    assert stolen.status_code == 404 and "No se encontró" in stolen.text
    assert company.browser.get(f"{UPLOAD}/{sent}").status_code == 200
    assert company.browser.get(f"{UPLOAD}/2147483647").status_code == 404
    assert company.browser.get(f"{UPLOAD}/2147483648").status_code == 422


def test_a_rejected_round_shows_the_reviewers_findings(company, engine, reviewer):
    in_review(engine, company)
    reason = "La pestaña 3 no muestra la consulta del servicio."
    decide(engine, company, reviewer, Decision(ReviewDecision.CON_INCONSISTENCIAS, reason=reason))
    dispatch(engine)  # the next round's test set
    page = company.browser.get(FOLLOW_UP).text
    assert "<dt>Ronda:</dt><dd>2</dd>" in page and "Ronda 2" in page and "Ronda 1" in page
    assert "REV-OBSERVACION" in page and reason in page
    assert "Revisado" in page  # the round-1 file
    assert "quedan" in page and "Enviar archivo" in page
    assert len(_SET_LINK.findall(page)) == 2


def test_the_tab_and_the_follow_up_of_a_vendor_without_a_certification(
    portal_settings, engine, lab
):
    company = vendor(lab, engine)
    assert company.browser.get(FOLLOW_UP, follow_redirects=False).headers["location"] == TAB
    # Before the e.firma: refused, whatever the rest.
    assert upload(company, b"PK").status_code == 403
    assert post(company, TAB + "/cancelar/efirma").status_code == 403
    # After it, there is still nothing to follow: back to the request.
    assert show_efirma(company).status_code == 303
    assert company.browser.get(FOLLOW_UP, follow_redirects=False).headers["location"] == TAB
    nothing = upload(company, b"PK")
    assert nothing.status_code == 303 and nothing.headers["location"] == TAB
    assert company.browser.get(TAB + "/aprobacion", follow_redirects=False).status_code == 303
    assert _submissions(engine) == 0


def test_too_many_wrong_efirma_passwords_make_the_vendor_wait(company, engine):
    for _ in range(ACCOUNT_LIMIT):
        wrong = post_efirma(company, FOLLOW_UP + "/efirma", password="equivocada")
        assert wrong.status_code == 400
    blocked = show_efirma(company)
    assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) > 0
    assert "Demasiados intentos fallidos" in blocked.text
    assert "Agrega los archivos de la e.firma" in blocked.text
    # The signed steps' forms say the same, with the same status.
    cancel = post_efirma(company, TAB + "/cancelar/efirma")
    assert cancel.status_code == 429 and "Retry-After" in cancel.headers
    assert certification_of(engine).state is CertificationState.EN_ESPERA_DE_DOCUMENTOS


def test_odd_input_on_the_tab_never_ends_in_a_server_error(company, engine):
    token = csrf(company)
    posts: list[tuple[str, dict[str, Any]]] = [
        (TAB + "/terminos", {"data": {CSRF_FIELD: token, "acepto": "\x00"}}),
        (TAB + "/terminos", {"data": {CSRF_FIELD: token, "acepto": "x" * 50}}),
        (TAB + "/efirma", {"data": {CSRF_FIELD: token, "acepto": "1", "cer": "texto"}}),
        (TAB + "/efirma", {"data": {CSRF_FIELD: token, "acepto": "1", "password": "x" * 5000}}),
        (TAB + "/confirmar", {"data": {CSRF_FIELD: token, "token": "t" * 5000}}),
        (FOLLOW_UP + "/efirma", {"data": {CSRF_FIELD: token, "password": "\x1b"}}),
        (
            FOLLOW_UP + "/efirma",
            {
                "files": {
                    CSRF_FIELD: (None, token.encode()),
                    "password": (None, b"x"),
                    "cer": ("e.cer", b"no es un certificado", "application/octet-stream"),
                    "key": ("e.key", b"\xff\xfe", "application/octet-stream"),
                }
            },
        ),
        (TAB + "/aprobacion/terminos", {"data": {CSRF_FIELD: token, "acepto": "sí"}}),
        (TAB + "/aprobacion/efirma", {"data": {CSRF_FIELD: token, "acepto": "1"}}),
        (TAB + "/aprobacion/confirmar", {"data": {CSRF_FIELD: token, "token": ""}}),
        (TAB + "/cancelar/efirma", {"data": {CSRF_FIELD: token, "password": "x"}}),
        (
            TAB + "/cancelar/efirma",
            {
                "files": {
                    CSRF_FIELD: (None, token.encode()),
                    "password": (None, "contraseña".encode("latin-1")),
                    "cer": ("e.cer", b"", "application/octet-stream"),
                    "key": ("e.key", b"x" * 70_000, "application/octet-stream"),
                }
            },
        ),
        (UPLOAD, {"content": b"--B\r\n\r\n--B--", "headers": {"content-type": MULTIPART_B}}),
        (UPLOAD, {"data": {CSRF_FIELD: token}, "files": {"archivo": ("\x00.xlsx", b"")}}),
    ]
    for path, body in posts:
        response = company.browser.post(path, follow_redirects=False, **body)
        assert 300 <= response.status_code < 500, (path, body, response.text[:300])
    for path in (
        f"{TAB}/sets/%00/set-de-pruebas.json",
        f"{TAB}/sets/{'9' * 40}/plantilla-evidencias.xlsx",
        f"{TAB}/sets/x/otro.json",
        f"{UPLOAD}/uno",
        f"{UPLOAD}/0",
        f"{FOLLOW_UP}?aviso={'x' * 50}",
        f"{FOLLOW_UP}?aviso=%00",
    ):
        response = company.browser.get(path, follow_redirects=False)
        assert response.status_code < 500, (path, response.text[:300])
    assert certification_of(engine).state is CertificationState.EN_ESPERA_DE_DOCUMENTOS
