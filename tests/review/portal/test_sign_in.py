"""The companies' sign-in: wrong passwords, the captcha after a few failures, throttling, and
who gets in where."""

from __future__ import annotations

import re

import pytest

from review.pages.portal.session import CAPTCHA_AFTER
from tests.review.portal.companies import (
    NRP_A,
    PORTAL_PASSWORD,
    RFC_A,
    RFC_B,
    client,
    confirm,
    efirma,
    register,
    sign_in,
    signed_in_company,
)
from workflow.throttle import ACCOUNT_LIMIT

EMAIL = "contacto@empresa-a.example"
_CAPTCHA_IMAGE = re.compile(r'<img src="data:image/png;base64,[A-Za-z0-9+/=]+"')
_CAPTCHA_TOKEN = re.compile(r'name="captcha_token" value="([^"]+)"')


@pytest.fixture
def confirmed(portal_settings, engine, lab) -> None:
    browser = client()
    assert register(browser, efirma(lab, RFC_A)).status_code == 200
    assert confirm(browser, engine, EMAIL).status_code == 200


def test_a_wrong_password_is_a_401_that_names_no_field(confirmed):
    response = sign_in(client(), NRP_A, EMAIL, "contraseña equivocada")
    assert response.status_code == 401
    assert "El NRP o RFC, el correo electrónico o la contraseña son incorrectos." in response.text
    unknown = sign_in(client(), "Z9999999999", EMAIL)
    assert unknown.status_code == 401


def test_after_a_few_failures_a_captcha_is_shown_and_required(confirmed, monkeypatch):
    monkeypatch.setattr("workflow.portal.captcha.ALPHABET", "A")  # every answer is AAAAA
    browser = client("203.0.113.7")
    for attempt in range(1, CAPTCHA_AFTER + 1):
        failed = sign_in(browser, NRP_A, EMAIL, "contraseña equivocada")
        assert failed.status_code == 401
        shown = _CAPTCHA_IMAGE.search(failed.text) is not None
        assert shown is (attempt >= CAPTCHA_AFTER), attempt
    # The right password without the captcha is not enough...
    without = sign_in(browser, NRP_A, EMAIL, PORTAL_PASSWORD)
    assert without.status_code == 400 and "Escriba el texto de la imagen" in without.text
    token = _CAPTCHA_TOKEN.search(without.text)
    assert token and _CAPTCHA_IMAGE.search(without.text)
    # ...nor with a wrong answer...
    wrong = sign_in(
        browser, NRP_A, EMAIL, PORTAL_PASSWORD, captcha="BBBBB", captcha_token=token.group(1)
    )
    assert wrong.status_code == 400 and _CAPTCHA_IMAGE.search(wrong.text)
    # Each answer without the image's text counted as a failure: the throttle now stops the
    # client, the right password and a right answer notwithstanding.
    assert ACCOUNT_LIMIT == CAPTCHA_AFTER + 2
    token = _CAPTCHA_TOKEN.search(wrong.text)
    assert token
    waits = sign_in(
        browser, NRP_A, EMAIL, PORTAL_PASSWORD, captcha="AAAAA", captcha_token=token.group(1)
    )
    assert waits.status_code == 429


def test_the_captcha_solved_lets_the_right_password_in(confirmed, monkeypatch):
    monkeypatch.setattr("workflow.portal.captcha.ALPHABET", "A")
    browser = client("203.0.113.8")
    for _ in range(CAPTCHA_AFTER):
        failed = sign_in(browser, NRP_A, EMAIL, "contraseña equivocada")
    token = _CAPTCHA_TOKEN.search(failed.text)
    assert token
    signed_in = sign_in(
        browser,
        NRP_A,
        EMAIL,
        PORTAL_PASSWORD,
        captcha=" aaaaa ",
        captcha_token=token.group(1),
        follow_redirects=False,
    )
    assert signed_in.status_code == 303 and signed_in.headers["location"] == "/portal"
    # Success wipes the account's failures here: no captcha next time.
    browser.cookies.clear()
    fresh = sign_in(browser, NRP_A, EMAIL, "contraseña equivocada")
    assert fresh.status_code == 401 and not _CAPTCHA_IMAGE.search(fresh.text)


def test_too_many_failures_make_the_client_wait(confirmed, monkeypatch):
    monkeypatch.setattr("workflow.portal.captcha.ALPHABET", "A")
    guesser = client("203.0.113.9")
    for _ in range(ACCOUNT_LIMIT):
        assert sign_in(guesser, NRP_A, EMAIL, "contraseña equivocada").status_code in (400, 401)
    blocked = sign_in(guesser, NRP_A, EMAIL, PORTAL_PASSWORD)
    assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) > 0
    assert "Demasiados intentos fallidos" in blocked.text
    # The company at its own office is not locked out.
    at_office = sign_in(client("198.51.100.20"), NRP_A, EMAIL, follow_redirects=False)
    assert at_office.status_code == 303


def test_sign_in_without_the_csrf_cookie_is_refused(confirmed):
    browser = client()
    response = browser.post(
        "/portal/ingresar",
        data={"identificador": NRP_A, "email": EMAIL, "password": PORTAL_PASSWORD},
    )
    assert response.status_code == 403 and "token de seguridad" in response.text


def test_the_portal_needs_a_company_session(portal_settings):
    browser = client()
    for path in ("/portal", "/portal/contrasena", "/portal/documentos/0500000001.pdf"):
        response = browser.get(path, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"] == "/portal/ingresar"
    form = browser.get("/portal/ingresar")
    for label in ("Número de Registro Patronal (NRP) o RFC", "Correo electrónico", "Contraseña"):
        assert label in form.text
    assert ">Entrar</button>" in form.text


def test_tabs_follow_the_kind_of_company(portal_settings, engine, lab):
    patron = signed_in_company(lab, engine)
    tab = patron.browser.get("/portal/contrasena").text
    assert "Generación de contraseña" in tab
    assert "Certificación (Desarrolladores)" not in tab
    assert '<a href="/portal/relaciones">Relaciones de confianza</a>' in tab

    vendor = signed_in_company(
        lab,
        engine,
        kind="desarrollador",
        company_rfc=RFC_B,
        nrp="",
        email="certificacion@vendor.example",
    )
    tab = vendor.browser.get("/portal/contrasena").text
    assert 'href="/portal/certificacion"' in tab and "Certificación (Desarrolladores)" in tab
    assert "Relaciones de confianza" not in tab
