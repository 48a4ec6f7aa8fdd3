"""Issue 14 in a real browser, with a real worker, Redis, PostgreSQL and SMTP server and the
suite's test SAT: a vendor registers, generates its password, requests certification with its
e.firma, receives the test set, uploads a correct workbook and sees `En análisis`; a reviewer
approves; the vendor signs the approval and is certified. Another vendor is rejected, sees the
findings and the new round's deadline and uploads again; a third cancels and gets its acuse.

Screenshots are kept in ``SIA_TEST_ARTIFACTS`` (default ``test-artifacts/``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from schema import (
    Certification,
    CertificationState,
    DocumentKind,
    Organization,
    ReviewDecision,
    StaffUser,
)
from tests.efirma.factory import Lab
from tests.mailer.smtp import body
from tests.review.portal_browser import (
    BROWSER_MARKS,
    BrowserCompany,
    System,
    assert_signed_pdf,
    browser_page,
    company_files,
    downloaded,
    efirma,
    generate_password,
    pdf_text,
    register_vendor,
    running_system,
    shot,
    sign_in,
    wait_for,
)
from tests.review.reviewing import round_of, workbook
from workflow.decisions import Decision, decide
from workflow.portal.certification import certified_vendors

pytestmark = BROWSER_MARKS

REASON = "El caso de evaluación no descuenta la suspensión del crédito."


@pytest.fixture
def system(portal_settings: Any, redis_settings: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    with running_system(monkeypatch) as running:
        yield running


def _certification(engine: Engine, company: BrowserCompany) -> Certification:
    with Session(engine) as session:
        return session.exec(
            select(Certification)
            .join(Organization, col(Organization.id) == Certification.vendor_id)
            .where(Organization.rfc == company.rfc)
            .order_by(col(Certification.id).desc())
        ).one()


def _state(engine: Engine, company: BrowserCompany) -> CertificationState:
    return _certification(engine, company).state


def _until(engine: Engine, company: BrowserCompany, state: CertificationState) -> None:
    wait_for(lambda: _state(engine, company) is state, f"{company.rfc} in «{state.label}»")


def _decide(engine: Engine, company: BrowserCompany, reviewer: StaffUser, decision: Any) -> None:
    with Session(engine) as session:
        certification = session.get(Certification, _certification(engine, company).id)
        assert certification is not None
        decide(session, certification, reviewer, decision)
        session.commit()


def _request(page: Any, engine: Engine, company: BrowserCompany, name: str) -> bytes:
    """«Solicitud de Certificación» to «Descargar responsiva»: the responsiva's bytes."""
    page.click("a:has-text('Certificación (Desarrolladores)')")
    page.check("text=He leído y acepto las condiciones de este servicio")
    page.click("button:has-text('Continuar')")
    efirma(page, company)
    assert "Solicitud del Trámite" in page.inner_text("main")
    shot(page, f"certificacion-{name}-solicitud")
    page.click("button:has-text('Continuar')")
    responsiva = downloaded(page, "text=Descargar responsiva")
    document = assert_signed_pdf(engine, responsiva, company)
    assert document.kind is DocumentKind.ACUSE_SOLICITUD
    assert _certification(engine, company).folio in pdf_text(responsiva)
    return responsiva


def _follow_up(page: Any, company: BrowserCompany) -> None:
    """«Seguimiento a Certificación», the e.firma shown once for the session."""
    page.goto("/portal/certificacion/seguimiento")
    if page.locator("input[name=cer]").count():
        efirma(page, company)
    assert "Seguimiento a Certificación" in page.inner_text("h2")


def _upload(
    page: Any, engine: Engine, company: BrowserCompany, tmp: Path, wrong: list[str]
) -> None:
    folio = _certification(engine, company).folio
    path = tmp / f"evidencias-{company.rfc}.xlsx"
    path.write_bytes(workbook(round_of(engine, folio), wrong))
    page.set_input_files("input[name=archivo]", str(path))
    page.click("button:has-text('Enviar archivo')")
    # The status page asks again by itself (htmx) until the worker has read the file.
    expect(page.locator("main")).to_contain_text("En análisis", timeout=60_000)


def _vendor_ready(
    page: Any, system: System, lab: Lab, tmp: Path, rfc: str, name: str
) -> BrowserCompany:
    company = company_files(lab, tmp, rfc, f"{rfc.lower()}@nominas.example", name)
    register_vendor(page, system, company)
    sign_in(page, company)
    generate_password(page, system, company)
    return company


def test_three_vendors_through_certification(
    system: System, engine: Engine, lab: Lab, reviewer: StaffUser, tmp_path: Path
) -> None:
    with browser_page(system.url) as page:
        # Vendor A: request, test set, evidence, approval, signature → Certificada.
        a = _vendor_ready(page, system, lab, tmp_path, "AAA850101AA7", "NOMINAS AZUL SA DE CV")
        _request(page, engine, a, "a")
        test_set_email = system.mail(a.email, "Set de pruebas")
        assert {part.get_filename() for part in test_set_email.iter_attachments()} >= {
            "set-de-pruebas.json",
            "plantilla-evidencias.xlsx",
        }
        _until(engine, a, CertificationState.EN_ESPERA_DE_DOCUMENTOS)
        _follow_up(page, a)
        assert "En espera de documentos" in page.inner_text("#estatus")
        shot(page, "certificacion-a-seguimiento")
        _upload(page, engine, a, tmp_path, wrong=[])
        shot(page, "certificacion-a-en-analisis")
        _decide(engine, a, reviewer, Decision(ReviewDecision.APROBADA))
        _follow_up(page, a)
        assert "Aprobada, pendiente de firma" in page.inner_text("#estatus")
        page.click("a:has-text('Continuar')")
        page.check("text=He leído y acepto las condiciones de este servicio")
        page.click("button:has-text('Continuar')")
        efirma(page, a)
        shot(page, "certificacion-a-aprobacion")
        page.click("button:has-text('Continuar')")
        approval = downloaded(page, "text=Descargar responsiva")
        assert assert_signed_pdf(engine, approval, a).kind is DocumentKind.ACUSE_APROBACION
        assert _state(engine, a) is CertificationState.CERTIFICADA
        with Session(engine) as session:
            assert [v.rfc for v in certified_vendors(session)] == [a.rfc]
        certified = system.mail(a.email, "ertificad")
        assert any(p.get_filename() for p in certified.iter_attachments())
        page.click("button:has-text('Salir')")

        # Vendor B: rejected with findings, round 2 with its deadline, uploads again.
        b = _vendor_ready(page, system, lab, tmp_path, "BBB850101BB2", "NOMINAS BLANCAS SC")
        _request(page, engine, b, "b")
        _until(engine, b, CertificationState.EN_ESPERA_DE_DOCUMENTOS)
        _follow_up(page, b)
        case = next(
            c["caso"]
            for c in round_of(engine, _certification(engine, b).folio).test_set["casos"]
            if c["seccion"] == "evaluacion"
        )
        _upload(page, engine, b, tmp_path, wrong=[case])
        _decide(engine, b, reviewer, Decision(ReviewDecision.CON_INCONSISTENCIAS, REASON))
        wait_for(lambda: _certification(engine, b).round == 2, "round 2 of vendor B")
        _until(engine, b, CertificationState.EN_ESPERA_DE_DOCUMENTOS)
        inconsistencies = body(system.mail(b.email, "nconsistencias"), "plain")
        assert REASON in inconsistencies
        _follow_up(page, b)
        shown = page.inner_text("main")
        assert REASON in shown and "Ronda:\n2" in page.inner_text("#estatus").replace("\t", "\n")
        assert "quedan 10 días hábiles" in page.inner_text("#plazo")
        shot(page, "certificacion-b-inconsistencias")
        _upload(page, engine, b, tmp_path, wrong=[])
        assert _state(engine, b) is CertificationState.EN_ANALISIS
        page.click("button:has-text('Salir')")

        # Vendor C: cancels while waiting for documents, with its acuse.
        c = _vendor_ready(page, system, lab, tmp_path, "CCC850101CC8", "NOMINAS CARMESI SA")
        _request(page, engine, c, "c")
        _until(engine, c, CertificationState.EN_ESPERA_DE_DOCUMENTOS)
        _follow_up(page, c)
        page.click("text=Cancelar certificación")
        efirma(page, c)
        assert "¿Está seguro" in page.inner_text("main")
        shot(page, "certificacion-c-cancelar")
        page.click("button:has-text('Continuar')")
        acuse = downloaded(page, "text=Descargar acuse de cancelación")
        assert assert_signed_pdf(engine, acuse, c).kind is DocumentKind.ACUSE_CANCELACION
        assert _state(engine, c) is CertificationState.CANCELADA
        cancelled = system.mail(c.email, "cancelada")
        assert any(p.get_filename() for p in cancelled.iter_attachments())
        with Session(engine) as session:
            assert [v.rfc for v in certified_vendors(session)] == [a.rfc]
