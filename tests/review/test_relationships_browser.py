"""Issue 15 in a real browser, with a real worker, Redis, PostgreSQL and SMTP server and the
suite's test SAT: a patrón registers, generates its SIA password, accepts the terms of
«Relaciones de confianza», adds a relationship with a certified vendor (found by the typeahead;
a vendor that is not certified is explained, not offered), waits for `Relación Vigente`,
downloads the acuse, exports the table (the workbook matches the page) and «Borrar» it with its
e.firma. The public registry shows the certified vendor, and stops listing it once its
certification is cancelled.

Screenshots are kept in ``SIA_TEST_ARTIFACTS`` (default ``test-artifacts/``).
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from rules.formatting import fecha
from schema import (
    Certification,
    DocumentKind,
    Organization,
    OrganizationKind,
    RelationshipStatus,
    TrustRelationship,
)
from tests.efirma.factory import PASSWORD as EFIRMA_PASSWORD
from tests.efirma.factory import Lab
from tests.mailer.smtp import body
from tests.review.portal_browser import (
    BROWSER_MARKS,
    PORTAL_PASSWORD,
    BrowserCompany,
    System,
    assert_signed_pdf,
    browser_page,
    company_files,
    downloaded,
    efirma,
    generate_password,
    running_system,
    shot,
)
from workflow.relationships.cancellation import void_vendor_relationships
from workflow.state_machine import Event, open_certification, transition

pytestmark = BROWSER_MARKS

NRP = "Y5412345107"
VENDOR_RFC = "NAZ850101AA9"
UNCERTIFIED_RFC = "NBL850101BB0"


@pytest.fixture
def system(portal_settings: Any, redis_settings: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    with running_system(monkeypatch) as running:
        yield running


def _vendor(engine: Engine, rfc: str, name: str, events: tuple[Event, ...]) -> int:
    """A vendor whose certification went through ``events`` (the certification's own browser
    test walks them in the portal)."""
    with Session(engine) as session:
        vendor = Organization(
            kind=OrganizationKind.DESARROLLADOR, rfc=rfc, razon_social=name, email=f"{rfc}@x.mx"
        )
        session.add(vendor)
        session.flush()
        certification = open_certification(session, vendor, actor="prueba")
        for event in events:
            transition(session, certification, event, actor="prueba")
        session.commit()
        assert certification.id is not None
        return certification.id


CERTIFIED = (Event.TEST_SET_SENT, Event.EVIDENCE_ACCEPTED, Event.APPROVED, Event.TERMS_SIGNED)


def _register_patron(page: Any, system: System, company: BrowserCompany) -> None:
    page.goto("/portal/registro")
    page.check("input[name=tipo][value=patron]")
    page.fill("input[name=nrp]", NRP)
    page.fill("input[name=rfc]", company.rfc)
    page.fill("input[name=email]", company.email)
    page.fill("input[name=password]", PORTAL_PASSWORD)
    page.fill("input[name=password_confirmacion]", PORTAL_PASSWORD)
    page.set_input_files("input[name=cer]", str(company.cer))
    page.set_input_files("input[name=key]", str(company.key))
    page.fill("input[name=efirma_password]", EFIRMA_PASSWORD)
    page.click("button[type=submit]")
    link = body(system.mail(company.email, "Confirme"), "plain")
    path = link[link.index("/portal/confirmar?token=") :].split()[0]
    page.goto(path)
    page.click("button:has-text('Confirmar correo')")
    page.goto("/portal/ingresar")
    page.fill("input[name=identificador]", NRP)
    page.fill("input[name=email]", company.email)
    page.fill("input[name=password]", PORTAL_PASSWORD)
    page.click("button:has-text('Entrar')")
    assert page.url.endswith("/portal/contrasena")


def _relationship(engine: Engine) -> TrustRelationship:
    with Session(engine) as session:
        return session.exec(select(TrustRelationship)).one()


def _table_cells(page: Any) -> list[list[str]]:
    rows = page.locator("#tabla-relaciones tbody tr")
    return [
        [cell.strip() for cell in rows.nth(i).locator("td").all_inner_texts()[:8]]
        for i in range(rows.count())
    ]


def test_patron_trusts_a_certified_vendor_then_borra_it(
    system: System, engine: Engine, lab: Lab, tmp_path: Path
) -> None:
    certification_id = _vendor(engine, VENDOR_RFC, "NOMINAS AZUL SA DE CV", CERTIFIED)
    _vendor(engine, UNCERTIFIED_RFC, "NOMINAS BLANCAS SC", CERTIFIED[:2])
    patron = company_files(lab, tmp_path, "PAT850101AB9", "rh@patron.mx", "PLANTA NORTE SA")

    with browser_page(system.url) as page:
        _register_patron(page, system, patron)
        sia_password = generate_password(page, system, patron)

        page.click("a:has-text('Relaciones de confianza')")
        page.check("text=He leído y acepto las condiciones de este servicio")
        page.click("button:has-text('Continuar')")
        for button in ("Ver Términos y condiciones", "Exportar tabla", "Adicionar relación"):
            expect(page.get_by_role("link", name=button)).to_be_visible()

        page.click("a:has-text('Adicionar relación')")
        # A vendor that is not certified is not offered; its RFC says why.
        page.fill("input[name=desarrollador]", UNCERTIFIED_RFC)
        expect(page.locator("#sugerencias")).to_contain_text("no está certificado")
        expect(page.locator("#lista-desarrolladores option")).to_have_count(0)
        page.fill("input[name=desarrollador]", "azul")
        expect(page.locator("#lista-desarrolladores option")).to_have_count(1)
        expect(page.locator("#sugerencias")).to_contain_text(VENDOR_RFC)
        page.fill("input[name=desarrollador]", VENDOR_RFC)
        page.select_option("select[name=vigencia]", "12")
        page.fill("input[name=contrasena]", sia_password)
        shot(page, "relaciones-1-adicionar")
        page.click("button:has-text('Aceptar')")
        efirma(page, patron)
        expect(page.locator("main")).to_contain_text("Registro de Relaciones de Confianza")
        shot(page, "relaciones-2-registro")
        page.click("button:has-text('Continuar')")

        # The table shows «En proceso», then refreshes itself once the worker registered it.
        expect(page.locator("#tabla-relaciones")).to_contain_text(
            "Relación Vigente", timeout=60_000
        )
        relationship = _relationship(engine)
        assert relationship.starts_on is not None and relationship.ends_on is not None
        cells = _table_cells(page)
        assert cells == [
            [
                relationship.folio,
                VENDOR_RFC,
                "NOMINAS AZUL SA DE CV",
                "Avisos",
                fecha(relationship.starts_on),
                fecha(relationship.ends_on),
                "",
                "Relación Vigente",
            ]
        ]
        shot(page, "relaciones-3-vigente")
        acuse = downloaded(page, "a:has-text('Descargar acuse')")
        assert assert_signed_pdf(engine, acuse, patron).kind is DocumentKind.ACUSE_RELACION
        registered = system.mail(patron.email, relationship.folio)
        assert any(part.get_filename() for part in registered.iter_attachments())
        system.mail(f"{VENDOR_RFC}@x.mx", relationship.folio)

        workbook = load_workbook(io.BytesIO(downloaded(page, "a:has-text('Exportar tabla')")))
        sheet = workbook.active
        assert sheet is not None
        header_row = next(
            row for row in sheet.iter_rows(values_only=True) if row and row[0] == "No. de Caso"
        )
        data = [
            row for row in sheet.iter_rows(values_only=True) if row and row[0] == relationship.folio
        ]
        assert header_row[:8] == (
            "No. de Caso",
            "RFC",
            "Razón social",
            "Servicios de Intercomunicación",
            "Fecha inicio vigencia",
            "Fin de vigencia",
            "Fecha cancelación anticipada",
            "Estatus",
        )
        [exported] = data
        shown = [
            *exported[:4],
            fecha(exported[4]),
            fecha(exported[5]),
            "",
            exported[7],
        ]
        assert shown == cells[0]

        # Borrar → confirmation → e.firma → «Solicitud de trámite» → Continuar.
        page.click("a:has-text('Borrar')")
        expect(page.locator("main")).to_contain_text("¿Está seguro")
        page.click("a:has-text('Continuar')")
        efirma(page, patron)
        expect(page.locator("h2")).to_contain_text("Solicitud de trámite")
        page.click("button:has-text('Continuar')")
        expect(page.locator("#tabla-relaciones")).to_contain_text("Relación cancelada por usuario")
        cancelled = _relationship(engine)
        assert cancelled.status is RelationshipStatus.CANCELADA
        assert cancelled.cancelled_on is not None
        assert _table_cells(page)[0][6] == fecha(cancelled.cancelled_on)
        expect(page.locator("#tabla-relaciones a:has-text('Borrar')")).to_have_count(0)
        cancellation = downloaded(page, "a:has-text('Descargar acuse de cancelación')")
        document = assert_signed_pdf(engine, cancellation, patron)
        assert document.kind is DocumentKind.ACUSE_CANCELACION_RELACION
        system.mail(patron.email, "cancelada")
        shot(page, "relaciones-4-cancelada")

        # The public registry: listed while certified, gone once cancelled, the certificate's
        # permanent page saying so.
        page.goto("/desarrolladores-certificados")
        expect(page.locator("main")).to_contain_text(VENDOR_RFC)
        expect(page.locator("main")).not_to_contain_text(UNCERTIFIED_RFC)
        shot(page, "relaciones-5-registro-publico")
        with Session(engine) as session:
            certification = session.get(Certification, certification_id)
            vendor = session.get(Organization, certification.vendor_id if certification else 0)
            assert certification is not None and vendor is not None
            transition(session, certification, Event.CANCELLED, actor="prueba")
            void_vendor_relationships(session, vendor, actor="prueba")
            folio = certification.folio
            session.commit()
        page.goto("/desarrolladores-certificados")
        expect(page.locator("main")).not_to_contain_text(VENDOR_RFC)
        page.goto(f"/desarrolladores-certificados/{folio}")
        expect(page.locator("main")).to_contain_text("Cancelad")
