"""Issue 13 in a real browser, with a real worker, Redis, PostgreSQL and SMTP server: a vendor
registers with its e.firma, confirms its email, generates its SIA password, downloads the signed
responsiva, uses the password against the sandbox, cancels it (the sandbox refuses it at once)
and recovers a new one through the captcha.

Screenshots of each step are kept in ``SIA_TEST_ARTIFACTS`` (default ``test-artifacts/``).
"""

from __future__ import annotations

import io
import re
import time
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import httpx
import pytest
from pypdf import PdfReader
from sqlmodel import Session

from core import config
from efirma.signing import verify_sello
from review.app import create_app
from schema import Document
from tests.conftest import real_worker
from tests.efirma.factory import PASSWORD as EFIRMA_PASSWORD
from tests.efirma.factory import Lab, company_subject
from tests.mailer.smtp import Sink, body, free_port
from tests.mailer.smtp import serving as smtp_serving
from tests.review.servers import serving
from tests.review.test_browser import CHROMIUM, FLAGS
from tests.review.test_reviewer_browser import ARTIFACTS
from workflow.certifications import request_certification
from workflow.portal import captcha

pytestmark = [
    pytest.mark.slow,
    pytest.mark.parametrize("db_url", ["postgresql"], indirect=True),
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(),
        reason="CHROMIUM NOT INSTALLED: `apt-get install chromium` (.ci/run does it)",
    ),
]

RFC = "NAN880101AB3"
EMAIL = "sistemas@nominas-nandu.example"
PORTAL_PASSWORD = "contraseña-del-portal-larga"
T = TypeVar("T")


def _wait_for(condition: Callable[[], T | None], what: str, seconds: float = 60.0) -> T:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def _mail(sink: Sink, subject_part: str) -> EmailMessage:
    def found() -> EmailMessage | None:
        for received in sink.received:
            if subject_part in str(received.message["Subject"]):
                return received.message
        return None

    return _wait_for(found, f"the email «{subject_part}»")


@pytest.fixture
def system(
    portal_settings: Any, redis_settings: Any, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[str, Sink]]:
    smtp_port = free_port()
    monkeypatch.setenv("SIA_MAIL_URL", f"smtp://127.0.0.1:{smtp_port}")
    config.get_settings.cache_clear()
    sink = Sink()
    with smtp_serving(sink, smtp_port), real_worker(), serving(create_app()) as port:
        yield f"http://127.0.0.1:{port}", sink


@pytest.fixture
def page(system: tuple[str, Sink]) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    server, _ = system
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        context = browser.new_context(base_url=server, locale="es-MX", accept_downloads=True)
        yield context.new_page()
        browser.close()


def _shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"portal-{name}.png"), full_page=True)


def _sandbox(server: str, password: str, nrp: str, patron_password: str) -> httpx.Response:
    return httpx.post(
        f"{server}/api/v1/sesiones",
        json={
            "desarrollador": {"rfc": RFC, "password": password},
            "patron": {"nrp": nrp, "password": patron_password},
        },
    )


def test_a_vendor_gets_uses_cancels_and_recovers_its_sia_password(
    system: tuple[str, Sink],
    page: Any,
    lab: Lab,
    engine: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server, sink = system
    efirma = lab.efirma(company_subject(rfc=RFC, name="NOMINAS NANDU SA DE CV"))
    cer, key = efirma.write(tmp_path / "efirma")

    # Registration, signed with the e.firma.
    page.goto("/portal")
    assert page.url.endswith("/portal/ingresar")
    page.click("text=Registrar empresa")
    page.check("input[name=tipo][value=desarrollador]")
    page.fill("input[name=rfc]", RFC)
    page.fill("input[name=email]", EMAIL)
    page.fill("input[name=password]", PORTAL_PASSWORD)
    page.fill("input[name=password_confirmacion]", PORTAL_PASSWORD)
    page.set_input_files("input[name=cer]", str(cer))
    page.set_input_files("input[name=key]", str(key))
    page.fill("input[name=efirma_password]", "no es la contraseña")
    page.click("button[type=submit]")
    assert "contraseña es incorrecta" in page.inner_text("[role=alert]")
    # The form keeps what was typed, but never a password or a file.
    assert page.input_value("input[name=rfc]") == RFC
    page.fill("input[name=password]", PORTAL_PASSWORD)
    page.fill("input[name=password_confirmacion]", PORTAL_PASSWORD)
    page.set_input_files("input[name=cer]", str(cer))
    page.set_input_files("input[name=key]", str(key))
    page.fill("input[name=efirma_password]", EFIRMA_PASSWORD)
    page.click("button[type=submit]")
    assert EMAIL in page.inner_text("main")
    _shot(page, "1-registro-enviado")

    # The confirmation link arrives by email; opening it only shows a button.
    confirmation = body(_mail(sink, "Confirme"), "plain")
    link = re.search(r"https?://\S+/portal/confirmar\?token=\S+", confirmation)
    assert link, confirmation
    address = urlsplit(link[0])
    page.goto(f"{address.path}?{address.query}")
    page.click("button:has-text('Confirmar correo')")
    assert "Correo confirmado" in page.inner_text("h1")

    # Sign in and generate the SIA password: terms, e.firma, «Solicitud de trámite», «Continuar».
    page.click("a.boton:has-text('Ingresar')")
    page.fill("input[name=identificador]", RFC)
    page.fill("input[name=email]", EMAIL)
    page.fill("input[name=password]", PORTAL_PASSWORD)
    page.click("button:has-text('Entrar')")
    assert page.url.endswith("/portal/contrasena")
    assert "NOMINAS NANDU SA DE CV" in page.inner_text("main")
    _shot(page, "2-terminos")
    page.check("text=Acepto términos y condiciones")
    page.click("button:has-text('Continuar')")
    page.set_input_files("input[name=cer]", str(cer))
    page.set_input_files("input[name=key]", str(key))
    page.fill("input[name=password]", EFIRMA_PASSWORD)
    _shot(page, "3-efirma")
    page.click("button:has-text('Validar')")
    assert "Solicitud de trámite" in page.inner_text("h2")
    _shot(page, "4-solicitud")
    page.click("button:has-text('Continuar')")
    assert "Respuesta firmada electrónicamente" in page.inner_text("h2")
    _shot(page, "5-respuesta")
    with page.expect_download() as download_info:
        page.click("a[download]")
    pdf = Path(download_info.value.path()).read_bytes()
    text = "".join(page_.extract_text() for page_ in PdfReader(io.BytesIO(pdf)).pages)
    with Session(engine) as session:
        [document] = session.query(Document).all()
    assert document.folio in text and RFC in text
    assert verify_sello(efirma.certificate, document.cadena, document.signature)
    assert page.inner_text("main").count("Contraseña SIA") == 0  # never on a page

    generated = _mail(sink, "fue generada")
    password_line = re.search(r"Contraseña SIA: (\S+)", body(generated, "plain"))
    assert password_line
    password = password_line[1]
    [attachment] = list(generated.iter_attachments())
    assert attachment.get_filename() == f"responsiva-{document.folio}.pdf"
    assert attachment.get_content() == pdf

    # The password opens the sandbox, with the test set's fictitious patrón.
    with Session(engine) as session:
        request_certification(session, rfc=RFC, email=EMAIL, razon_social=None, actor="test")
        session.commit()
    test_set = body(_mail(sink, "Set de pruebas"), "plain")
    assert password not in test_set and "la que generó en el portal" in test_set
    nrp = re.search(r"NRP del patrón de prueba: (\S+)", test_set)
    patron_password = re.search(r"Contraseña SIA del patrón de prueba: (\S+)", test_set)
    assert nrp and patron_password
    opened = _sandbox(server, password, nrp[1], patron_password[1])
    assert opened.status_code == 200, opened.text
    bearer = {"Authorization": f"Bearer {opened.json()['token']}"}
    assert httpx.get(f"{server}/api/v1/avisos", headers=bearer).status_code == 200

    # Cancelled: the open sandbox session and the password stop working at once.
    page.click("text=Regresar a Generación de contraseña")
    page.click("text=Cancelar contraseña")
    _shot(page, "6-cancelar")
    page.click("button:has-text('Aceptar')")
    assert "quedó cancelada" in page.inner_text("[role=status]")
    assert httpx.get(f"{server}/api/v1/avisos", headers=bearer).status_code == 401
    assert _sandbox(server, password, nrp[1], patron_password[1]).status_code == 401
    _mail(sink, "fue cancelada")

    # Recovered through the captcha (its alphabet narrowed so the test knows the answer).
    monkeypatch.setattr(captcha, "ALPHABET", "A")
    page.click("text=recuperar una contraseña")
    assert (
        page.locator("fieldset.captcha img")
        .get_attribute("src", timeout=5000)
        .startswith("data:image/png;base64,")
    )
    _shot(page, "7-captcha")
    page.fill("input[name=captcha]", "BBBBB")
    page.click("button:has-text('Continuar')")
    assert "no coincide" in page.inner_text("[role=alert]")
    page.fill("input[name=captcha]", "aaaaa")
    page.click("button:has-text('Continuar')")
    assert "Le enviamos una contraseña nueva" in page.inner_text("[role=status]")
    _shot(page, "8-recuperada")
    recovered = re.search(r"Contraseña SIA: (\S+)", body(_mail(sink, "Nueva contraseña"), "plain"))
    assert recovered and recovered[1] != password
    assert _sandbox(server, password, nrp[1], patron_password[1]).status_code == 401
    assert _sandbox(server, recovered[1], nrp[1], patron_password[1]).status_code == 200
