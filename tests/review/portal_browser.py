"""What the portal's browser tests share: a whole system (real worker, Redis, PostgreSQL, SMTP
server, web server), a Chromium page, and the steps a company takes in it."""

from __future__ import annotations

import io
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import pytest
from pypdf import PdfReader
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from core import config
from efirma.signing import verify_sello
from review.app import create_app
from schema import Document
from tests.conftest import real_worker
from tests.efirma.factory import PASSWORD as EFIRMA_PASSWORD
from tests.efirma.factory import Files, Lab, company_subject
from tests.mailer.smtp import Sink, body, free_port
from tests.mailer.smtp import serving as smtp_serving
from tests.review.servers import serving
from tests.review.test_browser import CHROMIUM, FLAGS
from tests.review.test_reviewer_browser import ARTIFACTS

PORTAL_PASSWORD = "contraseña-del-portal-larga"
T = TypeVar("T")

BROWSER_MARKS = [
    pytest.mark.slow,
    pytest.mark.parametrize("db_url", ["postgresql"], indirect=True),
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(),
        reason="CHROMIUM NOT INSTALLED: `apt-get install chromium` (.ci/run does it)",
    ),
]


def wait_for(condition: Callable[[], T | None], what: str, seconds: float = 60.0) -> T:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@dataclass
class System:
    url: str
    sink: Sink

    def mail(self, to: str, subject_part: str, after: int = 0) -> EmailMessage:
        """The first email to ``to`` whose subject holds ``subject_part``, among those received
        after the first ``after``."""

        def found() -> EmailMessage | None:
            for received in self.sink.received[after:]:
                message = received.message
                if to in received.rcpt_tos and subject_part in str(message["Subject"]):
                    return message
            return None

        return wait_for(found, f"the email «{subject_part}» to {to}")


@contextmanager
def running_system(monkeypatch: pytest.MonkeyPatch) -> Iterator[System]:
    """Call with ``portal_settings`` and ``redis_settings`` in place."""
    smtp_port = free_port()
    monkeypatch.setenv("SIA_MAIL_URL", f"smtp://127.0.0.1:{smtp_port}")
    config.get_settings.cache_clear()
    sink = Sink()
    with smtp_serving(sink, smtp_port), real_worker(), serving(create_app()) as port:
        yield System(f"http://127.0.0.1:{port}", sink)


@contextmanager
def browser_page(url: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        context = browser.new_context(base_url=url, locale="es-MX", accept_downloads=True)
        yield context.new_page()
        browser.close()


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


@dataclass(frozen=True)
class BrowserCompany:
    rfc: str
    email: str
    name: str
    efirma: Files
    cer: Path
    key: Path


def company_files(lab: Lab, directory: Path, rfc: str, email: str, name: str) -> BrowserCompany:
    efirma = lab.efirma(company_subject(rfc=rfc, name=name))
    cer, key = efirma.write(directory / rfc)
    return BrowserCompany(rfc, email, name, efirma, cer, key)


def register_vendor(page: Any, system: System, company: BrowserCompany) -> None:
    """Registration signed with the e.firma, then the emailed link confirmed."""
    page.goto("/portal/registro")
    page.check("input[name=tipo][value=desarrollador]")
    page.fill("input[name=rfc]", company.rfc)
    page.fill("input[name=email]", company.email)
    page.fill("input[name=password]", PORTAL_PASSWORD)
    page.fill("input[name=password_confirmacion]", PORTAL_PASSWORD)
    page.set_input_files("input[name=cer]", str(company.cer))
    page.set_input_files("input[name=key]", str(company.key))
    page.fill("input[name=efirma_password]", EFIRMA_PASSWORD)
    page.click("button[type=submit]")
    assert company.email in page.inner_text("main")
    confirmation = body(system.mail(company.email, "Confirme"), "plain")
    link = re.search(r"https?://\S+/portal/confirmar\?token=\S+", confirmation)
    assert link, confirmation
    address = urlsplit(link[0])
    page.goto(f"{address.path}?{address.query}")
    page.click("button:has-text('Confirmar correo')")
    assert "Correo confirmado" in page.inner_text("h1")


def sign_in(page: Any, company: BrowserCompany) -> None:
    page.goto("/portal/ingresar")
    page.fill("input[name=identificador]", company.rfc)
    page.fill("input[name=email]", company.email)
    page.fill("input[name=password]", PORTAL_PASSWORD)
    page.click("button:has-text('Entrar')")
    assert page.url.endswith("/portal/contrasena")


def efirma(page: Any, company: BrowserCompany, password_field: str = "password") -> None:
    page.set_input_files("input[name=cer]", str(company.cer))
    page.set_input_files("input[name=key]", str(company.key))
    page.fill(f"input[name={password_field}]", EFIRMA_PASSWORD)
    page.click("button:has-text('Validar')")


def generate_password(page: Any, system: System, company: BrowserCompany) -> str:
    """«Generación de contraseña» from the tab to the emailed password."""
    page.goto("/portal/contrasena")
    page.check("text=Acepto términos y condiciones")
    page.click("button:has-text('Continuar')")
    efirma(page, company)
    assert "Solicitud de trámite" in page.inner_text("h2")
    page.click("button:has-text('Continuar')")
    assert "Respuesta firmada electrónicamente" in page.inner_text("h2")
    emailed = body(system.mail(company.email, "fue generada"), "plain")
    password = re.search(r"Contraseña SIA: (\S+)", emailed)
    assert password, emailed
    return password[1]


def downloaded(page: Any, selector: str) -> bytes:
    with page.expect_download() as download_info:
        page.click(selector)
    return Path(download_info.value.path()).read_bytes()


def pdf_text(pdf: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def assert_signed_pdf(engine: Engine, pdf: bytes, company: BrowserCompany) -> Document:
    """The downloaded PDF is one of the company's documents: its text carries folio and RFC,
    its sello verifies against the company's certificate over the stored cadena."""
    text = pdf_text(pdf)
    with Session(engine) as session:
        documents = session.exec(select(Document).where(Document.signer_rfc == company.rfc)).all()
    folio = re.search(r"^Folio (\d{10})$", text, re.MULTILINE)
    assert folio, text
    [document] = [d for d in documents if d.folio == folio[1]]
    assert company.rfc in text
    assert verify_sello(company.efirma.certificate, document.cadena, document.signature)
    return document
