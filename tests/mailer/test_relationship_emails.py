"""The relaciones de confianza emails (DOMAIN §2, process 3): calendar dates, the reminder's
wording for 15 days and for 1, and what each one tells the patrón or the vendor."""

import html
from datetime import UTC, datetime

import pytest

from mailer.catalog import CATALOG, ContextError, context_to_json, validate_context
from mailer.render import render
from tests.mailer.samples import FIN_VIGENCIA, MX, SAMPLES

RELATIONSHIP_EMAILS = sorted(name for name in CATALOG if name.startswith("relacion_"))
WITH_DATES = [
    name for name in RELATIONSHIP_EMAILS if {"inicio_vigencia", "fin_vigencia"} & set(SAMPLES[name])
]
VENDOR = "Cálculo Ágil & Nómina <Software>, S.C."
ESCAPED_VENDOR = "Cálculo Ágil &amp; Nómina &lt;Software&gt;, S.C."
TAB = "«Servicios de Intercomunicación», pestaña «Relaciones de confianza»"


def test_the_seven_relationship_emails_are_in_the_catalog():
    assert RELATIONSHIP_EMAILS == [
        "relacion_cancelada",
        "relacion_no_procedente",
        "relacion_no_vigente",
        "relacion_nueva_desarrollador",
        "relacion_por_vencer",
        "relacion_sin_efecto",
        "relacion_vigente",
    ]


@pytest.mark.parametrize(
    ("dias", "subject", "when"),
    [
        (15, "Su relación de confianza vence en 15 días", "en 15 días, el 07/mar/2025"),
        (1, "Su relación de confianza vence mañana", "mañana, 07/mar/2025"),
    ],
)
def test_reminder_reads_well_for_15_days_and_for_1(dias, subject, when):
    email = render("relacion_por_vencer", {**SAMPLES["relacion_por_vencer"], "dias": dias})
    assert email.subject == f"{subject} — No. de Caso 0501423523"
    for part in (email.text, email.html):
        assert f"termina {when}" in part or f"termina <strong>{when}" in part
        assert "Fin de vigencia" in part and "07/mar/2025" in part
        # A vigente relationship blocks another with the same vendor: a new one from the end.
        assert "adicione una nueva relación de confianza con él a partir del 07/mar/2025" in part
        assert "«Adicionar relación»" in part
        assert "1 días" not in part and "en 1 día" not in part


@pytest.mark.parametrize("template", WITH_DATES)
def test_vigencia_dates_show_as_dd_mmm_yyyy(template):
    email = render(template, SAMPLES[template])
    expected = ["07/mar/2025"]
    if "inicio_vigencia" in SAMPLES[template]:
        expected.append("07/mar/2024")
    for value in expected:
        assert value in email.text and value in email.html
    assert "2025-03-07" not in email.text and "2025-03-07" not in email.html


@pytest.mark.parametrize("template", RELATIONSHIP_EMAILS)
def test_stored_context_keeps_dates_as_iso_and_renders_like_the_original(template):
    stored = context_to_json(template, SAMPLES[template])
    for key in ("inicio_vigencia", "fin_vigencia"):
        if key in stored:
            assert stored[key] == SAMPLES[template][key].isoformat()
    assert validate_context(template, stored) == validate_context(template, SAMPLES[template])
    assert render(template, stored) == render(template, SAMPLES[template])


@pytest.mark.parametrize(
    "value",
    [
        datetime(2025, 3, 7, tzinfo=MX),  # midnight: pydantic's plain date would take it
        datetime(2025, 3, 7, 6, tzinfo=UTC),
        "2025-03-07T00:00:00",
        1741305600,
        "07/mar/2025",
    ],
)
def test_a_vigencia_date_must_be_a_date_not_an_instant(value):
    with pytest.raises(ContextError, match="fin_vigencia: "):
        validate_context(
            "relacion_no_vigente", {**SAMPLES["relacion_no_vigente"], "fin_vigencia": value}
        )
    assert (
        validate_context(
            "relacion_no_vigente", {**SAMPLES["relacion_no_vigente"], "fin_vigencia": "2025-03-07"}
        )["fin_vigencia"]
        == FIN_VIGENCIA
    )


@pytest.mark.parametrize("template", RELATIONSHIP_EMAILS)
def test_relationship_emails_refuse_a_missing_or_an_extra_key(template):
    sample = SAMPLES[template]
    for key in sample:
        missing = {k: v for k, v in sample.items() if k != key}
        with pytest.raises(ContextError, match=f"'{template}': {key}: Field required"):
            validate_context(template, missing)
    with pytest.raises(ContextError, match="rfc: Extra inputs are not permitted"):
        validate_context(template, {**sample, "rfc": "CAC840428RH1"})


@pytest.mark.parametrize(
    "template", [t for t in RELATIONSHIP_EMAILS if t != "relacion_nueva_desarrollador"]
)
def test_patron_emails_name_the_vendor_and_the_case(template):
    email = render(template, SAMPLES[template])
    assert "No. de Caso 0501423523" in email.subject
    assert VENDOR in email.text and "CAC840428RH1" in email.text and "B7812345103" in email.text
    assert ESCAPED_VENDOR in email.html and VENDOR not in email.html


def test_registered_relationship_explains_access_and_how_to_cancel():
    email = render("relacion_vigente", SAMPLES["relacion_vigente"])
    for part in (email.text, email.html):
        assert "«Relación Vigente»" in part and "Adjuntamos el acuse" in part
        assert "puede descargar los avisos de sus trabajadores" in part
        assert "hasta el fin de vigencia" in part
        assert "en cualquier momento" in part and "«Borrar»" in part and TAB in part


@pytest.mark.parametrize(
    ("template", "status"),
    [
        ("relacion_cancelada", "«Relación cancelada por usuario»"),
        ("relacion_no_vigente", "«Relación no vigente»"),
        ("relacion_sin_efecto", "quedó sin efecto"),
        ("relacion_no_procedente", "«No procedente»"),
    ],
)
def test_ended_relationships_say_the_vendor_lost_access(template, status):
    email = render(template, SAMPLES[template])
    for part in (email.text, email.html):
        assert status in part and "«Adicionar relación»" in part
        assert "no puede consultar los avisos" in part or "no tiene acceso a los avisos" in part


def test_cancelled_and_voided_relationships_show_the_local_time():
    for template in ("relacion_cancelada", "relacion_sin_efecto"):
        email = render(template, SAMPLES[template])
        assert "12/mar/2026 10:15" in email.text and "12/mar/2026 10:15" in email.html
    cancelled = render("relacion_cancelada", SAMPLES["relacion_cancelada"])
    assert "acuse de cancelación" in cancelled.text and "con su e.firma" in cancelled.text
    voided = render("relacion_sin_efecto", SAMPLES["relacion_sin_efecto"])
    assert "se canceló la certificación del desarrollador" in voided.text


def test_vendor_email_names_the_patron_and_both_credentials():
    email = render("relacion_nueva_desarrollador", SAMPLES["relacion_nueva_desarrollador"])
    assert email.subject == (
        "Un patrón registró una relación de confianza con usted — No. de Caso 0501423523"
    )
    patron = SAMPLES["relacion_nueva_desarrollador"]["patron_razon_social"]
    assert patron in email.text and patron not in email.html
    assert html.escape(patron, quote=False) in email.html
    for part in (email.text, email.html):
        assert "PME380607P35" in part and "B7812345103" in part and "«Avisos»" in part
        assert "servicio de avisos de producción" in part and "hasta el fin de vigencia" in part
        assert "con su RFC y su contraseña SIA" in part and "su propia contraseña SIA" in part
        assert "el INFONAVIT no la envía por correo" in part
