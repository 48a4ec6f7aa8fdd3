"""Registering a company in the portal with its e.firma, confirming the email by the link, and
the registrations refused with nothing stored."""

from __future__ import annotations

import pytest
from sqlmodel import Session, func, select

from review.deps import COMPANY_COOKIE
from review.pages.portal.shared import EFIRMA_FILE_LIMIT
from schema import AuditEvent, CompanyAccount, Organization, OrganizationKind, OutboxEmail
from tests.efirma.factory import BRANCH, Files, Lab, company_subject
from tests.review.portal.companies import (
    NRP_A,
    RFC_A,
    RFC_B,
    account,
    client,
    confirm,
    confirmation_link,
    efirma,
    hidden_fields,
    organization,
    register,
    sign_in,
)
from workflow.throttle import ACCOUNT_LIMIT


def _count(engine, table) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(table)).one()


def _nothing_stored(engine) -> None:
    for table in (Organization, CompanyAccount, OutboxEmail):
        assert _count(engine, table) == 0, table


@pytest.mark.parametrize(
    ("kind", "nrp", "identifier"),
    [("patron", NRP_A, NRP_A), ("desarrollador", "", RFC_A)],
    ids=["patron", "desarrollador"],
)
def test_register_confirm_sign_in_and_out(portal_settings, engine, lab, kind, nrp, identifier):
    browser = client()
    email = "Contacto@Empresa-A.example"
    registered = register(browser, efirma(lab, RFC_A), kind=kind, nrp=nrp, email=email)
    assert registered.status_code == 200, registered.text
    assert "Revise su correo" in registered.text
    assert "contacto@empresa-a.example" in registered.text

    company = organization(engine, RFC_A)
    assert company.kind is OrganizationKind(kind) and company.nrp == (nrp or None)
    assert company.razon_social == "ACCEM SERVICIOS EMPRESARIALES SC"  # the certificate's
    assert account(engine, RFC_A).email_confirmed_at is None

    # Not before the email is confirmed, even with the right password.
    early = sign_in(browser, identifier, email)
    assert early.status_code == 403 and "Confirme su correo antes de ingresar" in early.text

    # Opening the link only shows a button: a mail scanner's visit confirms nothing.
    page = browser.get(confirmation_link(engine, "contacto@empresa-a.example"))
    assert page.status_code == 200 and "Confirmar correo" in page.text
    assert account(engine, RFC_A).email_confirmed_at is None
    confirmed = browser.post("/portal/confirmar", data=hidden_fields(page.text))
    assert confirmed.status_code == 200 and "Correo confirmado" in confirmed.text
    assert 'href="/portal/ingresar"' in confirmed.text
    assert account(engine, RFC_A).email_confirmed_at is not None
    # A second click on the same link is not an error.
    assert confirm(browser, engine, "contacto@empresa-a.example").status_code == 200

    signed_in = sign_in(browser, identifier.lower(), email, follow_redirects=False)
    assert signed_in.status_code == 303 and signed_in.headers["location"] == "/portal"
    assert "HttpOnly" in signed_in.headers["set-cookie"]
    cookie = browser.cookies.get(COMPANY_COOKIE)
    assert cookie
    landing = browser.get("/portal", follow_redirects=False)
    assert landing.status_code == 303 and landing.headers["location"] == "/portal/contrasena"
    tab = browser.get("/portal/contrasena")
    assert tab.status_code == 200
    assert "Servicios de Intercomunicación" in tab.text and RFC_A in tab.text
    assert ("Patrón" if kind == "patron" else "Desarrollador") in tab.text

    token = hidden_fields(tab.text)["csrf_token"]
    out = browser.post("/portal/salir", data={"csrf_token": token}, follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"] == "/portal/ingresar"
    # The cookie taken before signing out opens nothing.
    thief = client()
    thief.cookies.set(COMPANY_COOKIE, cookie)
    again = thief.get("/portal", follow_redirects=False)
    assert again.status_code == 303 and again.headers["location"] == "/portal/ingresar"
    with Session(engine) as session:
        actions = set(session.exec(select(AuditEvent.action)).all())
    assert {
        "portal.account_registered",
        "portal.email_confirmed",
        "portal.signed_in",
        "portal.signed_out",
    } <= actions


def test_the_registration_form_shows_the_guide_labels(portal_settings):
    page = client().get("/portal/registro")
    assert page.status_code == 200
    for label in (
        "Adjunta el archivo .CER",
        "Adjunta el archivo .KEY",
        "Contraseña de la Firma electrónica avanzada",
        "* Campos obligatorios",
        "Número de Registro Patronal (NRP)",
    ):
        assert label in page.text


def _csd(lab: Lab) -> Files:
    return lab.efirma(company_subject(rfc=RFC_A, branch=BRANCH))


@pytest.mark.parametrize(
    ("change", "code", "message"),
    [
        ({"company_rfc": "XXX"}, 422, "El RFC «XXX» no es válido."),
        ({"nrp": ""}, 422, "Escriba el Número de Registro Patronal (NRP)."),
        ({"password_again": "otra contraseña del portal"}, 422, "no coinciden"),
        ({"password": "corta", "password_again": "corta"}, 422, "entre 12 y"),
        ({"efirma_password": "no es la contraseña"}, 400, "la contraseña es incorrecta"),
    ],
    ids=["rfc", "nrp", "passwords-differ", "short-password", "efirma-password"],
)
def test_refused_registrations_store_nothing(portal_settings, engine, lab, change, code, message):
    browser = client()
    response = register(browser, efirma(lab, RFC_A), **change)
    assert response.status_code == code, response.text
    assert message in response.text
    # The typed values come back; the passwords never do.
    assert 'value="contacto@empresa-a.example"' in response.text
    assert "contraseña del portal 2026" not in response.text
    _nothing_stored(engine)


@pytest.mark.parametrize(
    ("files", "message"),
    [
        (lambda lab: efirma(lab, RFC_B), "La e.firma corresponde a otro RFC"),
        (lambda lab: efirma(lab, RFC_A, authority=lab.stranger), "autoridad certificadora"),
        (_csd, "Certificado de Sello Digital (CSD)"),
    ],
    ids=["another-rfc", "untrusted-issuer", "csd"],
)
def test_an_efirma_that_is_not_the_companys_valid_one_is_refused(
    portal_settings, engine, lab, files, message
):
    response = register(client(), files(lab))
    assert response.status_code == 400 and message in response.text
    _nothing_stored(engine)


def test_missing_empty_or_oversized_files_are_refused_in_spanish(portal_settings, engine, lab):
    good = efirma(lab, RFC_A)
    missing = register(client(), None)
    assert missing.status_code == 400 and "Adjunte el archivo .CER" in missing.text
    empty = register(client(), Files(good.cer, b"", good.certificate))
    assert empty.status_code == 400 and "El archivo .KEY que adjuntó está vacío" in empty.text
    no_password = register(client(), good, efirma_password="")
    assert (
        no_password.status_code == 400 and "Escriba la contraseña de la Firma" in no_password.text
    )
    # Past the per-file limit the request is past the body limit too: the middleware's Spanish
    # 413 answers before the form is read.
    huge = register(
        client(), Files(good.cer + b"\0" * EFIRMA_FILE_LIMIT, good.key, good.certificate)
    )
    assert huge.status_code == 413 and "excede" in huge.text
    _nothing_stored(engine)


def test_a_confirmed_company_cannot_be_registered_again(portal_settings, engine, lab):
    browser = client()
    assert register(browser, efirma(lab, RFC_A)).status_code == 200
    assert confirm(browser, engine, "contacto@empresa-a.example").status_code == 200
    before = (_count(engine, Organization), _count(engine, OutboxEmail))
    again = register(client(), efirma(lab, RFC_A), email="intruso@otra.example")
    assert again.status_code == 409 and "ya tiene una cuenta en el portal" in again.text
    assert (_count(engine, Organization), _count(engine, OutboxEmail)) == before
    assert account(engine, RFC_A).email == "contacto@empresa-a.example"


def test_registration_without_the_csrf_token_is_refused(portal_settings, engine, lab):
    response = register(client(), efirma(lab, RFC_A), with_csrf=False)
    assert response.status_code == 403 and "token de seguridad" in response.text
    _nothing_stored(engine)


def test_bad_confirmation_links_get_a_spanish_400(portal_settings, engine):
    browser = client()
    bare = browser.get("/portal/confirmar")
    assert bare.status_code == 400 and "El enlace de confirmación no es válido" in bare.text
    page = browser.get("/portal/confirmar?token=inventado")
    assert page.status_code == 200  # the button only; the token is read when pressed
    forged = browser.post("/portal/confirmar", data=hidden_fields(page.text))
    assert forged.status_code == 400 and "El enlace de confirmación no es válido" in forged.text


def test_odd_input_never_ends_in_a_server_error(portal_settings, engine, lab):
    browser = client()
    browser.get("/portal/registro")
    token = browser.cookies.get("sia_csrf")
    for data in (
        {"csrf_token": token},
        {"csrf_token": token, "rfc": "A" * 5000},
        {"csrf_token": token, "rfc": "\x00"},
        {"csrf_token": token, "tipo": "otro", "cer": "texto en vez de archivo"},
    ):
        response = browser.post("/portal/registro", data=data)
        assert 400 <= response.status_code < 500, (data, response.text[:300])
    latin1 = browser.post(
        "/portal/registro",
        files={
            "csrf_token": (None, token.encode()),
            "rfc": (None, "ÑANDÚ".encode("latin-1")),
            "cer": ("a.cer", b"", "application/octet-stream"),
        },
    )
    assert 400 <= latin1.status_code < 500
    _nothing_stored(engine)


def test_repeated_wrong_efirma_passwords_make_the_client_wait(portal_settings, engine, lab):
    files = efirma(lab, RFC_A)
    for _ in range(ACCOUNT_LIMIT):
        wrong = register(client("203.0.113.10"), files, efirma_password="no es la contraseña")
        assert wrong.status_code == 400
    blocked = register(client("203.0.113.10"), files)
    assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) > 0
    assert "Demasiados intentos fallidos" in blocked.text
    assert 'value="contacto@empresa-a.example"' in blocked.text  # the form, kept
    _nothing_stored(engine)
