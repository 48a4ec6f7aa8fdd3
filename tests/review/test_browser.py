"""The pages in a real browser: Debian's Chromium driven by Playwright (no browser download)."""

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from review.app import create_app
from tests.efirma.factory import PASSWORD as EFIRMA_PASSWORD
from tests.efirma.factory import company_subject
from tests.review.portal.companies import PORTAL_PASSWORD, account_for
from tests.review.servers import serving
from tests.vendor import FIXTURES, RFC, STAFF_EMAIL, STAFF_PASSWORD
from workers.tasks.evidence import examine

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = [
    pytest.mark.slow,
    pytest.mark.parametrize("db_url", ["sqlite"], indirect=True),
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(),
        reason="CHROMIUM NOT INSTALLED: `apt-get install chromium` (.ci/run does it)",
    ),
]
# Headless, with nothing that reaches out to the network (this machine has none).
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PORTAL_EMAIL = "portal@nandu.example"


@pytest.fixture
def server(settings) -> Iterator[str]:
    with serving(create_app()) as port:
        yield f"http://127.0.0.1:{port}"


@pytest.fixture
def page(server, tmp_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        context = browser.new_context(base_url=server, locale="es-MX")
        yield context.new_page()
        browser.close()


def test_staff_signs_in_and_sees_the_certifications(page, reviewer, folio, tmp_path):
    page.goto("/panel")
    assert page.url.endswith("/ingresar")  # sent to the sign-in form
    page.fill("input[name=email]", STAFF_EMAIL)
    page.fill("input[name=password]", "equivocada")
    page.click("button[type=submit]")
    assert "Correo o contraseña incorrectos" in page.inner_text("[role=alert]")
    page.fill("input[name=password]", STAFF_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/panel")
    table = page.inner_text("table")
    assert folio in table and RFC in table and "En espera de documentos" in table
    page.screenshot(path=str(tmp_path / "panel.png"), full_page=True)
    page.click("text=Salir")
    page.wait_for_url("**/ingresar")


def test_vendor_uploads_evidence_and_follows_its_status(
    page, engine, folio, lab, portal_settings, sent_tasks, tmp_path
):
    account_for(engine, RFC, PORTAL_EMAIL)
    files = lab.efirma(company_subject(rfc=RFC))
    page.goto("/portal/certificacion")
    assert page.url.endswith("/portal/ingresar")  # sent to the portal's sign-in form
    page.fill("input[name=identificador]", RFC)
    page.fill("input[name=email]", PORTAL_EMAIL)
    page.fill("input[name=password]", PORTAL_PASSWORD)
    page.click("text=Entrar")
    page.wait_for_url("**/portal/contrasena")
    page.click("text=Certificación (Desarrolladores)")
    page.wait_for_url("**/portal/certificacion/seguimiento")
    # The follow-up asks for the e.firma first.
    for field, content in (("cer", files.cer), ("key", files.key)):
        upload = {"name": f"efirma.{field}", "mimeType": "application/octet-stream"}
        page.set_input_files(f"input[name={field}]", {**upload, "buffer": content})
    page.fill("input[name=password]", EFIRMA_PASSWORD)
    page.click("text=Validar")
    page.wait_for_selector("#estatus")
    assert folio in page.inner_text("#estatus")
    assert "En espera de documentos" in page.inner_text("#estatus")
    page.set_input_files("input[name=archivo]", str(FIXTURES / "excel_package.xlsx"))
    page.click("text=Enviar archivo")
    page.wait_for_url("**/portal/certificacion/evidencias/*")
    assert "En lectura" in page.inner_text("#estado")
    examine(int(page.url.rsplit("/", 1)[1]))  # what the worker does
    # No reload: the page asks again by itself (htmx) until there is an answer.
    page.wait_for_selector("#estado:has-text('Aceptado para revisión')", timeout=20_000)
    assert "En análisis" in page.inner_text("#estatus")
    page.screenshot(path=str(tmp_path / "evidencia.png"), full_page=True)


def test_docs_render_every_operation_in_a_browser_without_leaving_the_server(server, tmp_path):
    from playwright.sync_api import Route, sync_playwright

    foreign: list[str] = []

    def same_origin_only(route: Route) -> None:
        if route.request.url.startswith(server + "/"):
            route.continue_()
        else:
            foreign.append(route.request.url)
            route.abort()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            page = browser.new_page()
            page.route("**/*", same_origin_only)
            page.goto(f"{server}/docs")
            page.wait_for_selector(".opblock-summary-path", timeout=20_000)
            paths = page.locator(".opblock-summary-path").all_inner_texts()
            text = page.inner_text("body")
            page.screenshot(path=str(tmp_path / "docs.png"), full_page=True)
        finally:
            browser.close()
    assert foreign == []
    normalized = {p.replace("\u200b", "") for p in paths}  # Swagger UI breaks long paths
    assert {"/api/v1/sesiones", "/api/v1/avisos", "/healthz"} <= normalized
    assert "/api/v1/certificaciones/{folio}/evidencias" in normalized
    assert "ErrorBody" in text and "Unable to render" not in text
