"""«Certificación (Desarrolladores)», step 1, «Solicitud de Certificación», through the portal's
pages: the SIA password first, the terms, the e.firma, «Solicitud del Trámite», «Continuar», the
signed responsiva and its email; a double «Continuar»; a vendor whose certification is going."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlmodel import Session, func, select

from core.config import get_settings
from review.deps import CSRF_FIELD
from rules.formatting import fecha
from schema import (
    CertificationState,
    Document,
    DocumentKind,
    PendingSignature,
    SignaturePurpose,
)
from tests.efirma.factory import Lab
from tests.review.portal.certifying import (
    FOLLOW_UP,
    SIGNATURE_USED,
    TAB,
    certification_of,
    certifications,
    continuar,
    csrf,
    dispatch,
    post,
    post_efirma,
    request_certification,
    upload,
    validate_request,
    vendor,
    vendor_with_password,
)
from tests.review.portal.companies import (
    RFC_B,
    Company,
    efirma,
    organization,
    outbox,
    signed_in_company,
)
from workflow.dispatch import DISPATCH_TASK
from workflow.portal.terms import TermsKind, terms
from workflow.state_machine import Event, transition

_DOWNLOAD = re.compile(r'href="(/portal/documentos/(\d{10})\.pdf)" download>Descargar responsiva')


@pytest.fixture
def company(portal_settings: Any, engine: Any, lab: Lab) -> Company:
    return vendor_with_password(lab, engine)


def _count(engine: Any, table: Any) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(table)).one()


def _signed_requests(engine: Any) -> int:
    """Requests signed at «Validar» (the SIA password's signature is another purpose)."""
    with Session(engine) as session:
        return session.exec(
            select(func.count())
            .select_from(PendingSignature)
            .where(PendingSignature.purpose == SignaturePurpose.SOLICITAR_CERTIFICACION)
        ).one()


def test_without_the_sia_password_the_tab_sends_the_vendor_to_generate_it(
    portal_settings, engine, lab
):
    company = vendor(lab, engine)
    tab = company.browser.get(TAB)
    assert tab.status_code == 200
    assert "Solicitud de Certificación" in tab.text and "Seguimiento a Certificación" in tab.text
    assert 'href="/portal/contrasena">Ir a Generación de contraseña' in tab.text
    assert "He leído y acepto las condiciones de este servicio" not in tab.text
    # Sending the forms anyway is refused, before the e.firma is even tried.
    refused = post(company, TAB + "/terminos", acepto="1")
    assert refused.status_code == 409 and "Generación de contraseña" in refused.text
    skipped = post_efirma(company, TAB + "/efirma", acepto="1")
    assert skipped.status_code == 409
    assert _signed_requests(engine) == 0 and certifications(engine) == 0


def test_the_terms_must_be_accepted(company, engine):
    refused = post(company, TAB + "/terminos")
    assert refused.status_code == 400
    assert "marque «He leído y acepto las condiciones de este servicio»" in refused.text
    assert "Agrega los archivos de la e.firma" not in refused.text
    skipped = post_efirma(company, TAB + "/efirma")
    assert skipped.status_code == 400
    assert _signed_requests(engine) == 0 and certifications(engine) == 0


def test_a_bad_efirma_shows_the_form_again_with_the_reason(company, engine, lab):
    wrong = post_efirma(company, TAB + "/efirma", password="no es la contraseña", acepto="1")
    assert wrong.status_code == 400 and "la contraseña es incorrecta" in wrong.text
    assert "Agrega los archivos de la e.firma" in wrong.text
    assert 'name="acepto" value="1"' in wrong.text  # the acceptance is carried on
    other = post_efirma(company, TAB + "/efirma", files=efirma(lab, RFC_B), acepto="1")
    assert other.status_code == 400 and "otro RFC" in other.text
    missing = company.browser.post(
        TAB + "/efirma", data={CSRF_FIELD: csrf(company), "acepto": "1", "password": "x"}
    )
    assert missing.status_code == 400 and "Adjunte el archivo .CER" in missing.text
    assert _signed_requests(engine) == 0 and certifications(engine) == 0


def test_the_full_request(company, engine, sent_tasks):
    tab = company.browser.get(TAB)
    assert tab.status_code == 200
    current = terms(TermsKind.CERTIFICACION)
    assert 'aria-current="step">Solicitud de Certificación' in tab.text
    assert current.title in tab.text and current.version in tab.text
    assert "He leído y acepto las condiciones de este servicio" in tab.text
    assert ">Continuar</button>" in tab.text
    assert 'href="/portal/certificacion" aria-current="page"' in tab.text  # the tab

    form = post(company, TAB + "/terminos", acepto="1")
    assert form.status_code == 200
    for label in (
        "Agrega los archivos de la e.firma",
        "Certificado [.cer]*",
        "Clave privada [.key]*",
        "Contraseña de la e.firma*",
        "*Datos obligatorios",
        ">Validar</button>",
    ):
        assert label in form.text, label

    validated = post_efirma(company, TAB + "/efirma", acepto="1")
    assert validated.status_code == 200, validated.text
    assert "Solicitud del Trámite" in validated.text and ">Continuar</button>" in validated.text
    with Session(engine) as session:
        waiting = session.exec(
            select(PendingSignature).where(
                PendingSignature.purpose == SignaturePurpose.SOLICITAR_CERTIFICACION
            )
        ).one()
    assert waiting.folio in validated.text and waiting.certificate_number in validated.text
    assert company.rfc in validated.text and f"Versión {current.version}" in validated.text
    assert certifications(engine) == 0  # not yet

    done = continuar(company, TAB + "/confirmar", validated)
    assert done.status_code == 200, done.text
    certification = certification_of(engine)
    assert certification.state is CertificationState.SOLICITADA
    assert certification.folio in done.text and "Solicitada" in done.text
    link = _DOWNLOAD.search(done.text)
    assert link and link.group(2) == waiting.folio
    with Session(engine) as session:
        document = session.exec(select(Document)).all()[-1]
    assert document.kind is DocumentKind.ACUSE_SOLICITUD and document.folio == waiting.folio
    assert document.certification_id == certification.id
    pdf = company.browser.get(link.group(1))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert pdf.headers["content-type"] == "application/pdf"

    emails = outbox(engine, "solicitud_certificacion")
    assert len(emails) == 1 and emails[0].recipients == [organization(engine, company.rfc).email]
    assert emails[0].context["folio"] == certification.folio
    assert [a["filename"] for a in emails[0].attachments] == [f"responsiva-{waiting.folio}.pdf"]
    # The test set goes out by a task once the request committed.
    assert (DISPATCH_TASK, (certification.id,)) in sent_tasks

    # «Continuar» again (a double click, the page sent again): the current state, no error.
    again = continuar(company, TAB + "/confirmar", validated)
    assert again.status_code == 303
    assert again.headers["location"] == FOLLOW_UP + "?aviso=firma-usada"
    shown = company.browser.get(again.headers["location"])
    assert shown.status_code == 200 and SIGNATURE_USED in shown.text
    assert certifications(engine) == 1
    assert _count(engine, Document) == 2  # the password's responsiva and this one

    # The tab now leads to «Seguimiento a Certificación».
    entry = company.browser.get(TAB, follow_redirects=False)
    assert entry.status_code == 303 and entry.headers["location"] == FOLLOW_UP
    refused = post(company, TAB + "/terminos", acepto="1")
    assert refused.status_code == 409 and "Ir a Seguimiento a Certificación" in refused.text


def test_a_second_tab_cannot_open_a_second_certification(company, engine, sent_tasks):
    first = validate_request(company)
    second = validate_request(company)
    assert continuar(company, TAB + "/confirmar", first).status_code == 200
    late = continuar(company, TAB + "/confirmar", second)
    assert late.status_code == 409 and "ya tiene la solicitud de certificación" in late.text
    assert certifications(engine) == 1


def test_an_expired_signature_without_a_certification_asks_to_validate_again(company, engine):
    gone = post(company, TAB + "/confirmar", token="inventado")
    assert gone.status_code == 409 and "Valide de nuevo con su e.firma" in gone.text
    assert certifications(engine) == 0


def test_a_closed_certification_is_shown_above_a_new_request(company, engine, sent_tasks):
    request_certification(company)
    expired = dispatch(engine)
    with Session(engine) as session:
        row = session.merge(expired)
        transition(session, row, Event.EXPIRED, actor="test")
        session.commit()
    closed = certification_of(engine)
    tab = company.browser.get(TAB)
    assert tab.status_code == 200
    assert "Su certificación anterior" in tab.text and closed.folio in tab.text
    assert "Vencida" in tab.text and fecha(closed.state_changed_at, get_settings().tz) in tab.text
    assert "Descargar responsiva" in tab.text
    assert "He leído y acepto las condiciones de este servicio" in tab.text  # a new one
    request_certification(company)
    assert certifications(engine) == 2


def test_a_patron_has_no_certification_tab(portal_settings, engine, lab):
    patron = signed_in_company(lab, engine)  # a patrón, by default
    assert 'href="/portal/certificacion"' not in patron.browser.get("/portal/contrasena").text
    for path in (TAB, FOLLOW_UP, TAB + "/aprobacion", TAB + "/cancelar"):
        assert patron.browser.get(path).status_code == 403, path
    refused = post(patron, TAB + "/terminos", acepto="1")
    assert refused.status_code == 403
    assert upload(patron, b"PK").status_code == 403
