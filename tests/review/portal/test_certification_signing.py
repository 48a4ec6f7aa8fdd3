"""The steps of «Seguimiento a Certificación» signed with the e.firma, through the portal's
pages: the approval terms signed (`Certificada`, in the list of certified vendors) and the
cancellation (`Cancelada`, out of it); each refused when the state does not allow it or before
the e.firma was shown; a double «Continuar»."""

from __future__ import annotations

import re
from typing import Any

from sqlmodel import Session, select

from schema import CertificationState, Document, DocumentKind, StaffUser
from tests.efirma.factory import Lab
from tests.review.portal.certifying import (
    FOLLOW_UP,
    SIGNATURE_USED,
    TAB,
    approved,
    certification_of,
    continuar,
    in_review,
    post,
    post_efirma,
    waiting_for_documents,
)
from tests.review.portal.companies import Company, organization, outbox, sign_in
from tests.review.portal.companies import client as new_browser
from workflow.portal.certification import certified_vendors
from workflow.portal.terms import TermsKind, terms

APPROVAL = TAB + "/aprobacion"
CANCEL = TAB + "/cancelar"
_PDF = re.compile(r'href="(/portal/documentos/(\d{10})\.pdf)" download>([^<]+)</a>')


def _certified_rfcs(engine: Any) -> set[str]:
    with Session(engine) as session:
        return {vendor.rfc for vendor in certified_vendors(session)}


def _document(engine: Any, kind: DocumentKind) -> Document:
    with Session(engine) as session:
        return session.exec(select(Document).where(Document.kind == kind)).one()


def _sign_approval(company: Company) -> Any:
    accepted = post(company, APPROVAL + "/terminos", acepto="1")
    assert accepted.status_code == 200, accepted.text
    validated = post_efirma(company, APPROVAL + "/efirma", acepto="1")
    assert validated.status_code == 200, validated.text
    return validated


def _certified(lab: Lab, engine: Any, reviewer: StaffUser) -> Company:
    company = approved(lab, engine, reviewer)
    done = continuar(company, APPROVAL + "/confirmar", _sign_approval(company))
    assert done.status_code == 200, done.text
    return company


def test_the_approval_is_signed_and_the_vendor_is_certified(
    portal_settings, engine, lab, sent_tasks, reviewer
):
    company = approved(lab, engine, reviewer)
    assert certification_of(engine).state is CertificationState.APROBADA_PENDIENTE_DE_FIRMA
    page = company.browser.get(FOLLOW_UP).text
    assert "<dt>Estatus:</dt><dd>Aprobada, pendiente de firma</dd>" in page
    assert f'href="{APPROVAL}">Continuar</a>' in page
    assert "Enviar archivo" not in page and "Cancelar certificación" not in page

    current = terms(TermsKind.APROBACION)
    shown = company.browser.get(APPROVAL)
    assert shown.status_code == 200 and current.title in shown.text
    assert "He leído y acepto las condiciones de este servicio" in shown.text
    unchecked = post(company, APPROVAL + "/terminos")
    assert unchecked.status_code == 400 and "He leído y acepto" in unchecked.text
    form = post(company, APPROVAL + "/terminos", acepto="1")
    assert "Agrega los archivos de la e.firma" in form.text and ">Validar</button>" in form.text
    wrong = post_efirma(company, APPROVAL + "/efirma", password="equivocada", acepto="1")
    assert wrong.status_code == 400 and "la contraseña es incorrecta" in wrong.text

    validated = post_efirma(company, APPROVAL + "/efirma", acepto="1")
    assert validated.status_code == 200, validated.text
    assert current.title in validated.text and ">Continuar</button>" in validated.text
    assert certification_of(engine).folio in validated.text
    assert company.rfc not in _certified_rfcs(engine)  # not before «Continuar»

    done = continuar(company, APPROVAL + "/confirmar", validated)
    assert done.status_code == 200, done.text
    certification = certification_of(engine)
    assert certification.state is CertificationState.CERTIFICADA
    link = _PDF.search(done.text)
    assert link and link.group(3) == "Descargar responsiva"
    document = _document(engine, DocumentKind.ACUSE_APROBACION)
    assert link.group(2) == document.folio and document.certification_id == certification.id
    assert company.browser.get(link.group(1)).content.startswith(b"%PDF")
    assert company.rfc in _certified_rfcs(engine)
    emails = outbox(engine, "certificacion")
    assert len(emails) == 1 and emails[0].context["folio"] == certification.folio

    again = continuar(company, APPROVAL + "/confirmar", validated)
    assert again.status_code == 303 and again.headers["location"].endswith("aviso=firma-usada")
    after = company.browser.get(again.headers["location"]).text
    assert SIGNATURE_USED in after and "<dt>Estatus:</dt><dd>Certificada</dd>" in after
    assert len(outbox(engine, "certificacion")) == 1
    # Nothing left to sign.
    assert company.browser.get(APPROVAL, follow_redirects=False).status_code == 303
    late = post(company, APPROVAL + "/terminos", acepto="1")
    assert late.status_code == 409 and "no tiene una aprobación pendiente de firma" in late.text


def test_a_certified_vendor_cancels(portal_settings, engine, lab, sent_tasks, reviewer):
    company = _certified(lab, engine, reviewer)
    folio = certification_of(engine).folio
    page = company.browser.get(FOLLOW_UP).text
    assert f'href="{CANCEL}">Cancelar certificación</a>' in page

    form = company.browser.get(CANCEL)
    assert form.status_code == 200
    assert "Agrega los archivos de la e.firma" in form.text
    assert f'action="{CANCEL}/efirma"' in form.text
    validated = post_efirma(company, CANCEL + "/efirma")
    assert validated.status_code == 200, validated.text
    assert "¿Está seguro" in validated.text and folio in validated.text
    assert ">Continuar</button>" in validated.text
    assert certification_of(engine).state is CertificationState.CERTIFICADA  # not yet

    done = continuar(company, CANCEL + "/confirmar", validated)
    assert done.status_code == 200, done.text
    assert certification_of(engine).state is CertificationState.CANCELADA
    link = _PDF.search(done.text)
    assert link and link.group(3) == "Descargar acuse de cancelación"
    document = _document(engine, DocumentKind.ACUSE_CANCELACION)
    assert link.group(2) == document.folio
    assert company.browser.get(link.group(1)).content.startswith(b"%PDF")
    assert company.rfc not in _certified_rfcs(engine)
    assert len(outbox(engine, "cancelacion")) == 1

    again = continuar(company, CANCEL + "/confirmar", validated)
    assert again.status_code == 303 and again.headers["location"].endswith("aviso=firma-usada")
    # The tab offers a new request, below the cancelled one and its documents.
    tab = company.browser.get(TAB)
    assert tab.status_code == 200 and "Su certificación anterior" in tab.text
    assert folio in tab.text and "Cancelada" in tab.text
    assert "Descargar acuse de cancelación" in tab.text and "Descargar responsiva" in tab.text
    assert "He leído y acepto las condiciones de este servicio" in tab.text
    closed = company.browser.get(FOLLOW_UP).text
    assert "<dt>Estatus:</dt><dd>Cancelada</dd>" in closed
    assert "presente una nueva solicitud" in closed


def test_a_vendor_cancels_while_waiting_for_documents(portal_settings, engine, lab, sent_tasks):
    company = waiting_for_documents(lab, engine)
    validated = post_efirma(company, CANCEL + "/efirma")
    assert validated.status_code == 200
    assert continuar(company, CANCEL + "/confirmar", validated).status_code == 200
    assert certification_of(engine).state is CertificationState.CANCELADA
    page = company.browser.get(FOLLOW_UP).text
    assert "Enviar archivo" not in page and "Cancelar certificación" not in page
    # The file sent meanwhile would be refused: the certification no longer receives any.
    assert post(company, TAB + "/evidencias").status_code == 415


def test_no_cancellation_while_in_review(portal_settings, engine, lab, sent_tasks):
    company = waiting_for_documents(lab, engine)
    in_review(engine, company)
    page = company.browser.get(FOLLOW_UP).text
    assert "Cancelar certificación" not in page
    assert company.browser.get(CANCEL, follow_redirects=False).headers["location"] == FOLLOW_UP
    refused = post_efirma(company, CANCEL + "/efirma")
    assert refused.status_code == 409
    assert "sólo se cancela en espera de documentos o ya certificada" in refused.text
    assert certification_of(engine).state is CertificationState.EN_ANALISIS
    not_yet = post(company, APPROVAL + "/terminos", acepto="1")
    assert not_yet.status_code == 409
    skipped = post_efirma(company, APPROVAL + "/efirma", acepto="1")
    assert skipped.status_code == 409 and "no hay una aprobación que firmar" in skipped.text


def test_the_signed_steps_need_the_efirma_shown_in_the_session(
    portal_settings, engine, lab, sent_tasks, reviewer
):
    company = approved(lab, engine, reviewer)
    browser = new_browser()
    assert sign_in(browser, company.identifier, company.email).status_code == 200
    fresh = Company(browser, company.rfc, company.identifier, company.email, company.files)
    assert browser.get(APPROVAL, follow_redirects=False).headers["location"] == FOLLOW_UP
    assert browser.get(CANCEL, follow_redirects=False).headers["location"] == FOLLOW_UP
    for path, data in (
        (APPROVAL + "/terminos", {"acepto": "1"}),
        (APPROVAL + "/confirmar", {"token": "x"}),
        (CANCEL + "/confirmar", {"token": "x"}),
    ):
        refused = post(fresh, path, **data)
        assert refused.status_code == 403, path
        assert "Agrega los archivos de la e.firma" in refused.text
    for path in (APPROVAL + "/efirma", CANCEL + "/efirma"):
        assert post_efirma(fresh, path, acepto="1").status_code == 403, path
    assert certification_of(engine).state is CertificationState.APROBADA_PENDIENTE_DE_FIRMA
    assert organization(engine, company.rfc).rfc not in _certified_rfcs(engine)
