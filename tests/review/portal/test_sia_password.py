"""«Generación de contraseña» through the portal's pages: terms, e.firma, «Continuar», the signed
responsiva and the emailed password; a second generation, cancelling and recovering; and a
company seeing only its own documents."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlmodel import Session, func, select

from core.clock import travel_to, utcnow
from core.config import get_settings
from core.security import verify_password
from review.deps import CSRF_FIELD
from rules.formatting import fecha
from schema import Document, OutboxEmail, PendingSignature
from tests.efirma.factory import PASSWORD as EFIRMA_PASSWORD
from tests.efirma.factory import Files
from tests.review.portal.companies import (
    NRP_B,
    RFC_B,
    Company,
    efirma,
    hidden_fields,
    organization,
    outbox,
    sealed_password,
    signed_in_company,
)
from workflow.portal.signatures import SIGNATURE_MINUTES
from workflow.portal.terms import terms

TAB = "/portal/contrasena"
_DOWNLOAD = re.compile(r'href="(/portal/documentos/(\d{10})\.pdf)"')


@pytest.fixture
def company(portal_settings, engine, lab) -> Company:
    return signed_in_company(lab, engine)


def _token(company: Company, page: str = TAB) -> str:
    return hidden_fields(company.browser.get(page).text)[CSRF_FIELD]


def _accept(company: Company, **data: str) -> httpx.Response:
    response: httpx.Response = company.browser.post(
        TAB + "/terminos", data={CSRF_FIELD: _token(company), **data}
    )
    return response


def _validate(
    company: Company, *, password: str = EFIRMA_PASSWORD, files: Files | None = None
) -> httpx.Response:
    efirma_files = files or company.files
    response: httpx.Response = company.browser.post(
        TAB + "/efirma",
        data={CSRF_FIELD: _token(company), "acepto": "1", "password": password},
        files={
            "cer": ("e.cer", efirma_files.cer, "application/octet-stream"),
            "key": ("e.key", efirma_files.key, "application/octet-stream"),
        },
    )
    return response


def _continue(company: Company, waiting_token: str) -> httpx.Response:
    response: httpx.Response = company.browser.post(
        TAB + "/confirmar", data={CSRF_FIELD: _token(company), "token": waiting_token}
    )
    return response


def _generate(company: Company) -> httpx.Response:
    accepted = _accept(company, acepto="1")
    assert accepted.status_code == 200, accepted.text
    validated = _validate(company)
    assert validated.status_code == 200, validated.text
    return _continue(company, hidden_fields(validated.text)["token"])


def _count(engine, table) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(table)).one()


def test_the_full_generation(company, engine):
    tab = company.browser.get(TAB)
    assert tab.status_code == 200
    current = terms()
    assert current.title in tab.text and "Acepto términos y condiciones" in tab.text
    assert ">Continuar</button>" in tab.text

    form = _accept(company, acepto="1")
    assert form.status_code == 200
    for label in (
        "Validar con Firma electrónica avanzada (e.firma)",
        "Adjunta el archivo .CER: *",
        "Adjunta el archivo .KEY: *",
        "Contraseña de la Firma electrónica avanzada: *",
        "* Campos obligatorios",
        ">Validar</button>",
    ):
        assert label in form.text
    assert hidden_fields(form.text)["acepto"] == "1"

    request = _validate(company)
    assert request.status_code == 200, request.text
    assert "Solicitud de trámite" in request.text
    assert company.rfc in request.text and "ACCEM SERVICIOS EMPRESARIALES SC" in request.text
    assert current.version in request.text
    with Session(engine) as session:
        waiting = session.exec(select(PendingSignature)).one()
    assert waiting.folio in request.text and waiting.certificate_number in request.text
    assert organization(engine, company.rfc).sia_password_hash is None  # not yet

    answer = _continue(company, hidden_fields(request.text)["token"])
    assert answer.status_code == 200, answer.text
    assert "Respuesta firmada electrónicamente" in answer.text
    assert f"Recibirá su contraseña en el correo {company.email}" in answer.text
    link = _DOWNLOAD.search(answer.text)
    assert link and link.group(2) == waiting.folio

    emails = outbox(engine, "contrasena_generada")
    assert len(emails) == 1 and emails[0].recipients == [company.email]
    password = sealed_password(emails[0])
    assert password not in answer.text  # never shown, only emailed
    stored = organization(engine, company.rfc)
    assert stored.sia_password_hash and verify_password(password, stored.sia_password_hash)
    assert [a["filename"] for a in emails[0].attachments] == [f"responsiva-{waiting.folio}.pdf"]

    with Session(engine) as session:
        document = session.exec(select(Document)).one()
    assert document.folio == waiting.folio and document.organization_id == stored.id
    pdf = company.browser.get(link.group(1))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert pdf.headers["content-type"] == "application/pdf"
    assert (
        pdf.headers["content-disposition"]
        == f'attachment; filename="responsiva-{waiting.folio}.pdf"'
    )

    # The tab now says there is a password, shows none, and lists the responsiva.
    tab = company.browser.get(TAB).text
    assert "ya tiene una contraseña vigente" in tab and password not in tab
    assert 'href="/portal/contrasena/recuperar"' in tab
    assert 'href="/portal/contrasena/cancelar"' in tab
    assert waiting.folio in tab and "Descargar PDF" in tab
    assert fecha(document.created_at, get_settings().tz) in tab

    # The waiting signature served once.
    reused = _continue(company, hidden_fields(request.text)["token"])
    assert reused.status_code == 409 and "ya no está vigente" in reused.text
    # And a second generation is refused while this password lives.
    again = _accept(company, acepto="1")
    assert again.status_code == 409
    second = _validate(company)
    assert second.status_code == 409 and "ya tiene una contraseña" in second.text
    assert _count(engine, Document) == 1


def test_the_terms_must_be_accepted(company, engine):
    refused = _accept(company)
    assert refused.status_code == 400
    assert "Acepto términos y condiciones" in refused.text and "marque la casilla" in refused.text
    skipped = _validate_without_acceptance(company)
    assert skipped.status_code == 400
    assert _count(engine, PendingSignature) == 0


def _validate_without_acceptance(company: Company) -> httpx.Response:
    response: httpx.Response = company.browser.post(
        TAB + "/efirma",
        data={CSRF_FIELD: _token(company), "password": "x"},
        files={"cer": ("e.cer", company.files.cer), "key": ("e.key", company.files.key)},
    )
    return response


def test_a_bad_efirma_is_refused_on_the_efirma_form(company, engine, lab):
    wrong = _validate(company, password="no es la contraseña")
    assert wrong.status_code == 400 and "la contraseña es incorrecta" in wrong.text
    assert "Validar con Firma electrónica avanzada" in wrong.text
    other = _validate(company, files=efirma(lab, RFC_B))
    assert other.status_code == 400 and "otro RFC" in other.text
    missing = company.browser.post(
        TAB + "/efirma", data={CSRF_FIELD: _token(company), "acepto": "1", "password": "x"}
    )
    assert missing.status_code == 400 and "Adjunte el archivo .CER" in missing.text
    assert _count(engine, PendingSignature) == 0
    assert organization(engine, company.rfc).sia_password_hash is None


def test_an_expired_waiting_signature_is_refused(company, engine):
    validated = _validate(company)
    waiting_token = hidden_fields(validated.text)["token"]
    with travel_to(utcnow() + timedelta(minutes=SIGNATURE_MINUTES, seconds=1)):
        late = company.browser.post(
            TAB + "/confirmar",
            data={CSRF_FIELD: _token(company), "token": waiting_token},
        )
    assert late.status_code == 409 and "ya no está vigente" in late.text
    forged = _continue(company, "inventado")
    assert forged.status_code == 409
    assert organization(engine, company.rfc).sia_password_hash is None
    assert _count(engine, Document) == 0


def test_cancel_after_the_warning(company, engine):
    assert _generate(company).status_code == 200
    warning = company.browser.get(TAB + "/cancelar")
    assert warning.status_code == 200
    assert "¿Está seguro" in warning.text and "dejará de funcionar de inmediato" in warning.text
    assert ">Aceptar</button>" in warning.text and "Regresar" in warning.text
    version = organization(engine, company.rfc).sia_password_version
    done = company.browser.post(
        TAB + "/cancelar", data={CSRF_FIELD: _token(company, TAB + "/cancelar")}
    )
    assert done.status_code == 200 and "quedó cancelada" in done.text
    cancelled = organization(engine, company.rfc)
    assert cancelled.sia_password_hash is None and cancelled.sia_password_version == version + 1
    assert len(outbox(engine, "contrasena_cancelada")) == 1
    # Nothing left to cancel: the warning is not shown, a replayed POST is refused.
    assert company.browser.get(TAB + "/cancelar", follow_redirects=False).status_code == 303
    again = company.browser.post(TAB + "/cancelar", data={CSRF_FIELD: _token(company)})
    assert again.status_code == 409
    # And a new password can be generated.
    assert _generate(company).status_code == 200


def test_recover_with_the_captcha(company, engine, monkeypatch):
    monkeypatch.setattr("workflow.portal.captcha.ALPHABET", "A")
    assert _generate(company).status_code == 200
    first = organization(engine, company.rfc).sia_password_hash

    page = company.browser.get(TAB + "/recuperar")
    assert page.status_code == 200 and 'src="data:image/png;base64,' in page.text
    wrong = company.browser.post(
        TAB + "/recuperar", data={**hidden_fields(page.text), "captcha": "BBBBB"}
    )
    assert wrong.status_code == 400 and "no coincide con la imagen" in wrong.text
    assert organization(engine, company.rfc).sia_password_hash == first
    assert outbox(engine, "contrasena_recuperada") == []
    # The spent image's right answer does not count any more.
    replay = company.browser.post(
        TAB + "/recuperar", data={**hidden_fields(page.text), "captcha": "AAAAA"}
    )
    assert replay.status_code == 400
    assert organization(engine, company.rfc).sia_password_hash == first

    fresh = hidden_fields(wrong.text)
    recovered = company.browser.post(TAB + "/recuperar", data={**fresh, "captcha": "aaaaa"})
    assert recovered.status_code == 200
    assert f"Le enviamos una contraseña nueva a {company.email}" in recovered.text
    emails = outbox(engine, "contrasena_recuperada")
    assert len(emails) == 1
    new_hash = organization(engine, company.rfc).sia_password_hash
    assert new_hash and new_hash != first
    assert verify_password(sealed_password(emails[0]), new_hash)
    assert sealed_password(emails[0]) not in recovered.text


def test_a_company_sees_only_its_own_documents(company, engine, lab):
    answer = _generate(company)
    link = _DOWNLOAD.search(answer.text)
    assert link
    other = signed_in_company(
        lab, engine, company_rfc=RFC_B, nrp=NRP_B, email="nominas@empresa-b.example"
    )
    stolen = other.browser.get(link.group(1))
    assert stolen.status_code == 404 and "No se encontró el documento" in stolen.text
    assert link.group(2) not in other.browser.get(TAB).text
    missing = company.browser.get("/portal/documentos/0999999999.pdf")
    assert missing.status_code == 404 and "No se encontró el documento" in missing.text
    assert company.browser.get(link.group(1)).status_code == 200


def test_company_pages_refuse_posts_without_their_csrf_token(company, engine):
    refused = company.browser.post(TAB + "/terminos", data={"acepto": "1"})
    assert refused.status_code == 403
    refused = company.browser.post(TAB + "/cancelar")
    assert refused.status_code == 403
    assert _count(engine, OutboxEmail) == 1  # the confirmation email only


def test_odd_input_on_company_pages_never_ends_in_a_server_error(company, engine):
    token = _token(company)
    browser = company.browser
    posts: list[tuple[str, dict[str, Any]]] = [
        (TAB + "/efirma", {"data": {CSRF_FIELD: token, "acepto": "1", "cer": "texto"}}),
        (TAB + "/efirma", {"data": {CSRF_FIELD: token, "acepto": "1", "password": "x" * 5000}}),
        (TAB + "/efirma", {"data": {CSRF_FIELD: token, "acepto": "\x00"}}),
        (
            TAB + "/efirma",
            {
                "files": {
                    CSRF_FIELD: (None, token.encode()),
                    "acepto": (None, b"1"),
                    "password": (None, "contraseña".encode("latin-1")),
                    "cer": ("e.cer", b"", "application/octet-stream"),
                    "key": ("e.key", b"\xff\xfe", "application/octet-stream"),
                }
            },
        ),
        (
            TAB + "/efirma",
            {
                "files": {
                    CSRF_FIELD: (None, token.encode()),
                    "acepto": (None, b"1"),
                    "password": (None, b"x"),
                    "cer": ("e.cer", b"no es un certificado", "application/octet-stream"),
                    "key": ("e.key", b"tampoco una clave", "application/octet-stream"),
                }
            },
        ),
        (TAB + "/confirmar", {"data": {CSRF_FIELD: token, "token": "t" * 5000}}),
        (TAB + "/recuperar", {"data": {CSRF_FIELD: token, "captcha_token": "x", "captcha": "y"}}),
        (TAB + "/terminos", {"data": {CSRF_FIELD: token, "acepto": "sí"}}),
    ]
    for path, body in posts:
        response = browser.post(path, **body)
        assert 400 <= response.status_code < 500, (path, body, response.text[:300])
    for path in (
        "/portal/documentos/x.pdf",
        "/portal/documentos/%00.pdf",
        "/portal/documentos/" + "9" * 40 + ".pdf",
        TAB + "?aviso=" + "x" * 50,
    ):
        response = browser.get(path)
        assert response.status_code < 500, (path, response.text[:300])
    assert _count(engine, PendingSignature) == 0
    assert organization(engine, company.rfc).sia_password_hash is None
