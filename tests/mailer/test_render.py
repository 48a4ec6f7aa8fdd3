"""Templates, contexts and MIME building, without a database or a server."""

import json
from datetime import UTC, datetime
from email import policy
from email.parser import BytesParser

import pytest
from jinja2 import UndefinedError

from core.config import get_settings
from mailer.attachments import Attachment
from mailer.catalog import (
    CATALOG,
    ContextError,
    UnknownTemplateError,
    context_to_json,
    validate_context,
)
from mailer.mime import build_message
from mailer.render import TEMPLATES_DIR, environment, render
from tests.mailer.samples import RAZON_SOCIAL, SAMPLES, SIA_PASSWORD
from tests.mailer.smtp import body

ESCAPED_RAZON_SOCIAL = "Nóminas Ñandú &amp; Peña &lt;Sistemas&gt;, S.A. de C.V."
# Emails about a company's account rather than a certification name it by its RFC.
WITHOUT_FOLIO = {"cuenta_confirmacion", "contrasena_recuperada", "contrasena_cancelada"}
PASSWORD_EMAILS = ("contrasena_generada", "contrasena_recuperada")
PASSWORD_TAB = "«Servicios de Intercomunicación», pestaña «Generación de contraseña»"


def test_every_catalog_email_has_its_three_templates_and_a_sample():
    folders = {p.name for p in TEMPLATES_DIR.iterdir() if p.is_dir()}
    assert folders == set(CATALOG) == set(SAMPLES)
    for name in CATALOG:
        assert {p.name for p in (TEMPLATES_DIR / name).iterdir()} == {
            "subject.txt",
            "body.txt",
            "body.html",
        }


@pytest.mark.parametrize("template", sorted(CATALOG))
def test_every_template_renders_text_and_escaped_html_in_spanish(template):
    email = render(template, SAMPLES[template])
    assert email.subject and "\n" not in email.subject
    assert "INFONAVIT" in email.text and "INFONAVIT" in email.html
    assert 'lang="es-MX"' in email.html
    assert "no lo responda" in email.text and "no lo responda" in email.html
    assert RAZON_SOCIAL in email.text and "&amp;" not in email.text
    assert ESCAPED_RAZON_SOCIAL in email.html and RAZON_SOCIAL not in email.html
    identifier = "CAC840428RH1" if template in WITHOUT_FOLIO else "0501423523"
    assert identifier in email.text and identifier in email.html


def test_deadlines_show_as_local_dates_and_times():
    context = {
        **SAMPLES["vencimiento"],
        "fecha_limite": datetime(2026, 3, 18, 5, 59, 59, tzinfo=UTC),
    }
    email = render("vencimiento", context)
    assert "17/mar/2026 23:59" in email.text and "17/mar/2026 23:59" in email.html


def test_test_set_email_shows_sandbox_credentials_and_instructions():
    email = render("set_de_pruebas", {**SAMPLES["set_de_pruebas"], "dias_habiles": 45})
    for value in ("Y5412345107", "CAC840428RH1", "http://127.0.0.1:8000/api/v1"):
        assert value in email.text and value in email.html
    assert "45 días hábiles" in email.text and "ronda 1" in email.subject
    # The vendor's SIA password is its own, generated in the portal: never in this email.
    assert "la que generó en el portal (por seguridad no se envía por correo)" in email.text
    assert PASSWORD_TAB not in email.text
    # A vendor without one yet is told where to generate it; the patrón's password is sent.
    portal_url = get_settings().portal_url
    again = render("inconsistencias", SAMPLES["inconsistencias"])
    assert f"genérela en el portal ({portal_url}), en {PASSWORD_TAB}" in again.text
    assert f'<a href="{portal_url}"' in again.html and PASSWORD_TAB in again.html
    assert "patrón-Ñ1" in again.text and "patrón-Ñ1" in again.html


def test_the_sandbox_context_no_longer_takes_a_vendor_password():
    sandbox = {**SAMPLES["set_de_pruebas"]["sandbox"], "password": "Pr7-ñandú"}
    with pytest.raises(ContextError, match=r"sandbox\.password: Extra inputs"):
        validate_context("set_de_pruebas", {**SAMPLES["set_de_pruebas"], "sandbox": sandbox})
    del sandbox["password"], sandbox["tiene_contrasena"]
    with pytest.raises(ContextError, match=r"sandbox\.tiene_contrasena: Field required"):
        validate_context("set_de_pruebas", {**SAMPLES["set_de_pruebas"], "sandbox": sandbox})


@pytest.mark.parametrize("template", PASSWORD_EMAILS)
def test_a_password_email_shows_the_password_and_where_to_manage_it(template):
    email = render(template, SAMPLES[template])
    assert f"Contraseña SIA: {SIA_PASSWORD}" in email.text and SIA_PASSWORD in email.html
    assert SIA_PASSWORD not in email.subject
    for part in (email.text, email.html):
        assert "única ocasión" in part and "no permite leerla de nuevo" in part
        assert PASSWORD_TAB in part and "manténgala en secreto" in part


def test_generated_password_email_names_the_request_and_the_services():
    email = render("contrasena_generada", SAMPLES["contrasena_generada"])
    assert "folio 0501423523" in email.subject
    assert "Folio: 0501423523" in email.text and "RFC: CAC840428RH1" in email.text
    assert "12/mar/2026 10:15" in email.text
    for part in (email.text, email.html):
        assert "ambiente de pruebas" in part and "servicio de avisos" in part
        assert "cancelarla o recuperarla" in part and "responsiva" in part


def test_recovered_password_email_retires_the_old_one_and_warns_of_misuse():
    email = render("contrasena_recuperada", SAMPLES["contrasena_recuperada"])
    assert "CAC840428RH1" in email.subject
    for part in (email.text, email.html):
        assert "La contraseña anterior ya no funciona" in part
        assert "Si usted no solicitó la recuperación, cancele la contraseña" in part
        assert "comuníquese con el INFONAVIT" in part


def test_cancelled_password_email_lists_what_stops_working():
    email = render("contrasena_cancelada", SAMPLES["contrasena_cancelada"])
    assert "cancelada" in email.subject and "12/mar/2026 10:15" in email.text
    for part in (email.text, email.html):
        assert "ambiente de pruebas, en la API de evidencias ni en el servicio de avisos" in part
        assert PASSWORD_TAB in part


def test_account_confirmation_email_links_and_expires():
    context = SAMPLES["cuenta_confirmacion"]
    email = render("cuenta_confirmacion", context)
    assert context["enlace"] in email.text
    escaped = context["enlace"].replace("&", "&amp;")
    assert f'href="{escaped}"' in email.html and escaped in email.html
    assert "17/mar/2026 23:59" in email.text and "17/mar/2026 23:59" in email.html
    assert "no hizo este registro, ignore este correo" in email.text


@pytest.mark.parametrize(
    "template",
    ["cuenta_confirmacion", "contrasena_generada", "contrasena_recuperada", "contrasena_cancelada"],
)
def test_account_emails_refuse_a_missing_or_an_extra_key(template):
    sample = SAMPLES[template]
    for key in sample:
        missing = {k: v for k, v in sample.items() if k != key}
        with pytest.raises(ContextError, match=f"'{template}': {key}: Field required"):
            validate_context(template, missing)
    with pytest.raises(ContextError, match="folio_extra: Extra inputs are not permitted"):
        validate_context(template, {**sample, "folio_extra": "0501423523"})


@pytest.mark.parametrize("template", PASSWORD_EMAILS)
def test_the_password_sits_in_a_closed_nested_dict(template):
    for sia in ({}, {"password": ""}, {"password": SIA_PASSWORD, "extra": "x"}):
        with pytest.raises(ContextError, match=r": sia\.(password|extra): "):
            validate_context(template, {**SAMPLES[template], "sia": sia})


def test_findings_are_listed_with_code_and_message():
    email = render("evidencia_rechazada", SAMPLES["evidencia_rechazada"])
    for finding in SAMPLES["evidencia_rechazada"]["hallazgos"]:
        assert f"{finding['codigo']}: {finding['mensaje']}" in email.text
        assert f"<strong>{finding['codigo']}</strong>" in email.html
    quiet = render("inconsistencias", {**SAMPLES["inconsistencias"], "hallazgos": []})
    assert "detalle en el portal" in quiet.text


@pytest.mark.parametrize(
    ("days", "subject"),
    [(10, "Faltan 10 días hábiles"), (1, "Falta 1 día hábil"), (0, "Hoy vence el plazo")],
)
def test_reminder_subject_counts_business_days(days, subject):
    email = render("recordatorio_plazo", {**SAMPLES["recordatorio_plazo"], "dias_restantes": days})
    assert email.subject.startswith(subject)


def test_review_alert_lists_every_overdue_certification():
    email = render("alerta_sla_revision", SAMPLES["alerta_sla_revision"])
    assert email.subject == "Alerta: 2 revisiones fuera de plazo"
    assert "0501423524" in email.text and "sin asignar" in email.text and "José Núñez" in email.html


def test_context_errors_name_every_problem_at_once():
    bad = {**SAMPLES["set_de_pruebas"], "folio": "17", "fecha_limite": datetime(2026, 3, 17)}
    del bad["sandbox"]
    bad["ronda_extra"] = 1
    with pytest.raises(ContextError) as caught:
        validate_context("set_de_pruebas", bad)
    message = str(caught.value)
    for part in ("folio", "fecha_limite", "timezone", "sandbox", "ronda_extra"):
        assert part in message
    with pytest.raises(UnknownTemplateError, match="no_existe"):
        validate_context("no_existe", {})


def test_stored_context_is_json_and_renders_like_the_original():
    stored = context_to_json("alerta_sla_revision", SAMPLES["alerta_sla_revision"])
    assert json.loads(json.dumps(stored)) == stored
    assert stored["certificaciones"][0]["evidencia_recibida"] == "2026-03-12T10:15:00-06:00"
    assert render("alerta_sla_revision", stored) == render(
        "alerta_sla_revision", SAMPLES["alerta_sla_revision"]
    )


def test_an_undefined_name_fails_instead_of_rendering_empty():
    with pytest.raises(UndefinedError):
        environment().from_string("Hola {{ nadie }}").render()


def test_message_has_both_alternatives_attachments_and_encoded_unicode():
    files = [
        (Attachment("set-de-pruebas Ñandú.json", "application/json", "x/1"), b'{"a": "\xc3\xb1"}'),
        (Attachment("Términos de aprobación.pdf", "application/pdf", "x/2"), bytes(range(256))),
    ]
    message = build_message(
        render("aprobacion", SAMPLES["aprobacion"]),
        sender="SIA Certificación <no-responder@sia.infonavit.example>",
        to=["José Núñez <jose.nunez@example.mx>", "otro@example.mx"],
        message_id="<abc@sia.infonavit.example>",
        dated=datetime(2026, 3, 2, 16, 0, tzinfo=UTC),
        attachments=files,
    )
    raw = message.as_bytes()
    assert raw.isascii()  # every header encoded (RFC 2047/2231), bodies quoted-printable/base64
    assert b"filename*=utf-8''" in raw
    parsed = BytesParser(policy=policy.default).parsebytes(raw)
    assert parsed.get_content_type() == "multipart/mixed"
    alternative, *attached = parsed.iter_parts()
    assert alternative.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in alternative.iter_parts()] == ["text/plain", "text/html"]
    assert [(p.get_filename(), p.get_content_type(), p.get_content()) for p in attached] == [
        (a.filename, a.content_type, data) for a, data in files
    ]
    assert parsed["Subject"] == "Certificación aprobada: firme los términos — folio 0501423523"
    assert parsed["To"].addresses[0].display_name == "José Núñez"
    assert parsed["From"].addresses[0].display_name == "SIA Certificación"
    assert parsed["Date"] == "Mon, 02 Mar 2026 10:00:00 -0600"
    assert parsed["Message-ID"] == "<abc@sia.infonavit.example>"
    assert parsed["Auto-Submitted"] == "auto-generated"
    assert RAZON_SOCIAL in body(parsed, "plain")
