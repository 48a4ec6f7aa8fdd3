"""Issue 13 in a real browser, with a real worker, Redis, PostgreSQL and SMTP server: a vendor
registers with its e.firma, confirms its email, generates its SIA password, downloads the signed
responsiva, uses the password against the sandbox, cancels it (the sandbox refuses it at once)
and recovers a new one through the captcha.

Screenshots of each step are kept in ``SIA_TEST_ARTIFACTS`` (default ``test-artifacts/``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from sqlmodel import Session

from tests.efirma.factory import PASSWORD as EFIRMA_PASSWORD
from tests.efirma.factory import Lab
from tests.mailer.smtp import body
from tests.review.portal_browser import (
    BROWSER_MARKS,
    PORTAL_PASSWORD,
    System,
    assert_signed_pdf,
    browser_page,
    company_files,
    downloaded,
    running_system,
    shot,
)
from workflow.certifications import request_certification
from workflow.portal import captcha

pytestmark = BROWSER_MARKS

RFC = "NAN880101AB3"
EMAIL = "sistemas@nominas-nandu.example"


@pytest.fixture
def system(portal_settings: Any, redis_settings: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    with running_system(monkeypatch) as running:
        yield running


@pytest.fixture
def page(system: System) -> Iterator[Any]:
    with browser_page(system.url) as opened:
        yield opened


def _shot(page: Any, name: str) -> None:
    shot(page, f"portal-{name}")


def _sandbox(server: str, password: str, nrp: str, patron_password: str) -> httpx.Response:
    return httpx.post(
        f"{server}/api/v1/sesiones",
        json={
            "desarrollador": {"rfc": RFC, "password": password},
            "patron": {"nrp": nrp, "password": patron_password},
        },
    )


def test_a_vendor_gets_uses_cancels_and_recovers_its_sia_password(
    system: System,
    page: Any,
    lab: Lab,
    engine: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server = system.url
    company = company_files(lab, tmp_path, RFC, EMAIL, "NOMINAS NANDU SA DE CV")
    cer, key = company.cer, company.key

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
    confirmation = body(system.mail(EMAIL, "Confirme"), "plain")
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
    pdf = downloaded(page, "a[download]")
    document = assert_signed_pdf(engine, pdf, company)
    assert page.inner_text("main").count("Contraseña SIA") == 0  # never on a page

    generated = system.mail(EMAIL, "fue generada")
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
    test_set = body(system.mail(EMAIL, "Set de pruebas"), "plain")
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
    system.mail(EMAIL, "fue cancelada")

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
    recovered = re.search(
        r"Contraseña SIA: (\S+)", body(system.mail(EMAIL, "Nueva contraseña"), "plain")
    )
    assert recovered and recovered[1] != password
    assert _sandbox(server, password, nrp[1], patron_password[1]).status_code == 401
    assert _sandbox(server, recovered[1], nrp[1], patron_password[1]).status_code == 200
