"""The public registry of certified vendors (issue 15): the page, each certificate's permanent
page and the JSON API, for anyone, with every bad input answered in Spanish and never a 500."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi.testclient import TestClient

from core import config
from review.app import create_app
from tests.registry_rows import (
    add_vendor,
    cancel,
    certification_of,
    certified_vendor,
    certify,
    plant_certificates,
)
from workflow.registry import PAGE_SIZE

CERTIFIED = datetime(2026, 3, 2, 17, 0, tzinfo=UTC)  # 02/mar/2026 in Mexico City
CANCELLED = datetime(2026, 4, 15, 3, 0, tzinfo=UTC)  # 21:00 of 14/abr/2026 in Mexico City
NANDU_RFC, NANDU = "NAN840428RH1", "Nóminas Ñandú, S.A. de C.V."
OTHER_RFC, OTHER = "OTR9912316C4", "Otra Nómina"
BASE = "https://sia.example/"
PAGE = "/desarrolladores-certificados"
API = "/api/v1/desarrolladores-certificados"
CERTIFICATE_LINK = re.compile(r'href="/desarrolladores-certificados/(\d{10})"')
ENGLISH = ("Not Found", "Unprocessable", "Internal Server Error", "field required")


@pytest.fixture
def client(settings, monkeypatch) -> TestClient:
    """Anyone's browser or system: no sign-in at all."""
    monkeypatch.setenv("SIA_BASE_URL", BASE)
    config.get_settings.cache_clear()
    return TestClient(create_app())


def links(client: TestClient, url: str) -> list[str]:
    response = client.get(url)
    assert response.status_code == 200, response.text
    return CERTIFICATE_LINK.findall(response.text)


def spanish_page(response: httpx.Response, code: int) -> str:
    assert response.status_code == code, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert not any(word in response.text for word in ENGLISH)
    text: str = response.text
    return text


# --- the page ----------------------------------------------------------------------------------


def test_the_registry_lists_certified_vendors_to_anyone(client, engine):
    folio = certified_vendor(engine, NANDU_RFC, NANDU, CERTIFIED)
    waiting = certification_of(engine, add_vendor(engine, OTHER_RFC, OTHER), CERTIFIED, 2)

    response = client.get(PAGE, follow_redirects=False)
    assert response.status_code == 200
    text = response.text
    assert "Desarrolladores certificados" in text
    for shown in ("RFC", "Razón social", "Certificado desde", "Estatus"):
        assert f">{shown}</th>" in text
    assert NANDU_RFC in text and "Nóminas Ñandú, S.A. de C.V." in text
    assert "02/mar/2026" in text and "Certificado" in text
    assert CERTIFICATE_LINK.findall(text) == [folio]
    assert waiting not in text and OTHER_RFC not in text  # `En análisis`: not certified


def test_the_search_box_finds_by_rfc_or_name(client, engine):
    nandu = certified_vendor(engine, NANDU_RFC, NANDU, CERTIFIED)
    other = certified_vendor(engine, OTHER_RFC, OTHER, CERTIFIED)

    assert links(client, PAGE) == [nandu, other]
    assert links(client, f"{PAGE}?buscar=n%C3%B3minas+%C3%91and%C3%BA") == [
        nandu
    ]  # «nóminas Ñandú»
    assert links(client, f"{PAGE}?buscar=otr99") == [other]
    assert links(client, f"{PAGE}?buscar=+") == [nandu, other]  # an empty box: everything
    text = client.get(f"{PAGE}?buscar=nadie").text
    assert "Ningún desarrollador con certificado vigente coincide con «nadie»" in text


def test_a_whole_rfc_shows_its_cancelled_certificates_too(client, engine):
    vendor = add_vendor(engine, NANDU_RFC, NANDU)
    first = certify(engine, vendor, CERTIFIED)
    cancel(engine, first, CANCELLED)

    assert links(client, PAGE) == []
    assert links(client, f"{PAGE}?buscar=nandu") == []  # in force only
    text = client.get(f"{PAGE}?buscar=nan840428rh1").text
    assert CERTIFICATE_LINK.findall(text) == [first]
    assert "Cancelado" in text and "14/abr/2026" in text

    second = certify(engine, vendor, CANCELLED + timedelta(days=1))
    assert links(client, f"{PAGE}?buscar={NANDU_RFC}") == [second, first]
    text = client.get(f"{PAGE}?buscar={OTHER_RFC}").text
    assert f"El RFC {OTHER_RFC} no tiene ningún certificado" in text


def test_the_certificate_page_says_whether_it_is_in_force(client, engine):
    folio = certified_vendor(engine, NANDU_RFC, NANDU, CERTIFIED)

    response = client.get(f"{PAGE}/{folio}")
    assert response.status_code == 200
    text = response.text
    assert NANDU in text and NANDU_RFC in text and folio in text
    assert "02/mar/2026" in text and "Vigente" in text and "Cancelada" not in text
    assert f"https://sia.example/desarrolladores-certificados/{folio}" in text
    assert response.headers["cache-control"] == "no-cache"

    cancel(engine, folio, CANCELLED)
    text = client.get(f"{PAGE}/{folio}").text
    assert "Cancelada el 14/abr/2026" in text and "Vigente" not in text
    assert "02/mar/2026" in text  # certificado desde, kept


@pytest.mark.parametrize("steps", [0, 2, 3], ids=["solicitada", "analisis", "firma"])
def test_a_folio_never_certified_is_not_disclosed(client, engine, steps):
    folio = certification_of(engine, add_vendor(engine, NANDU_RFC, NANDU), CERTIFIED, steps)

    never = spanish_page(client.get(f"{PAGE}/{folio}"), 404)
    unknown = spanish_page(client.get(f"{PAGE}/0599999999"), 404)
    assert f"No hay un certificado con el folio {folio}." in never
    assert never.replace(folio, "0599999999") == unknown  # the same answer as an unknown one
    assert NANDU not in never and NANDU_RFC not in never
    assert links(client, f"{PAGE}?buscar={NANDU_RFC}") == []


@pytest.mark.parametrize(
    "folio",
    ["abc", "123", "05000000011", "٠١٢٣٤٥٦٧٨٩", "0500000001%20", "%00", "x" * 5000, "%ZZ"],
)
def test_a_malformed_folio_gets_a_spanish_page(client, folio):
    response = client.get(f"{PAGE}/{folio}")
    assert response.status_code in (404, 422)
    text = spanish_page(response, response.status_code)
    assert "Solicitud inválida" in text or "folio" in text


@pytest.mark.parametrize(
    ("query", "problem"),
    [
        ("pagina=abc", "La página debe ser un número entero de 1 a 10,000."),
        ("pagina=0", "La página debe ser un número entero de 1 a 10,000."),
        ("pagina=99999999999999999999", "La página debe ser un número entero de 1 a 10,000."),
        ("pagina=%D9%A1", "La página debe ser un número entero de 1 a 10,000."),  # Arabic 1
        ("pagina=" + "9" * 5000, "La página debe ser un número entero de 1 a 10,000."),
        ("pagina=00000000001", "La página debe ser un número entero de 1 a 10,000."),
        ("buscar=" + "x" * 101, "escriba a lo más 100 caracteres"),
    ],
)
def test_a_bad_query_shows_the_page_with_what_to_correct(client, engine, query, problem):
    text = spanish_page(client.get(f"{PAGE}?{query}"), 422)
    assert problem in text and 'name="buscar"' in text


def test_control_characters_are_refused_in_spanish(client):
    for url in (f"{PAGE}?buscar=a%00b", f"{PAGE}?pagina=1%1b", f"{PAGE}/05000%0000001"):
        text = spanish_page(client.get(url), 422)
        assert "caracteres de control" in text or "10 dígitos" in text


def test_html_in_a_razon_social_or_the_search_is_escaped(client, engine):
    hostile = '<script>alert("x")</script> & <b>Nómina</b>'
    folio = certified_vendor(engine, NANDU_RFC, hostile, CERTIFIED)

    for url in (PAGE, f"{PAGE}?buscar={NANDU_RFC}", f"{PAGE}/{folio}"):
        text = client.get(url).text
        assert "<script>alert" not in text and "<b>Nómina" not in text
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &lt;b&gt;Nómina" in text
    text = client.get(PAGE, params={"buscar": '"><script>alert(1)</script>'}).text
    assert "<script>alert(1)" not in text and "&lt;script&gt;alert(1)" in text
    api = client.get(API).json()
    assert api["certificados"][0]["razon_social"] == hostile  # JSON carries the text as is


def test_the_page_is_paged(client, engine):
    planted = plant_certificates(engine, PAGE_SIZE + 3, CERTIFIED)

    first = client.get(PAGE).text
    assert CERTIFICATE_LINK.findall(first) == planted[:PAGE_SIZE]
    assert f'href="{PAGE}?pagina=2"' in first and 'rel="prev"' not in first
    second = client.get(f"{PAGE}?pagina=2").text
    assert CERTIFICATE_LINK.findall(second) == planted[PAGE_SIZE:]
    assert f'href="{PAGE}"' in second and 'rel="next"' not in second
    assert "Esta página ya no tiene certificados" in client.get(f"{PAGE}?pagina=3").text
    searched = client.get(f"{PAGE}?buscar=planta").text
    assert f'href="{PAGE}?buscar=planta&amp;pagina=2"' in searched


# --- the JSON API ------------------------------------------------------------------------------


def test_the_api_lists_certificates_in_force(client, engine):
    folio = certified_vendor(engine, NANDU_RFC, NANDU, CERTIFIED)
    cancelled = certified_vendor(engine, OTHER_RFC, OTHER, CERTIFIED)
    cancel(engine, cancelled, CANCELLED)
    certification_of(engine, add_vendor(engine, "SAN900101AB4", "En análisis"), CERTIFIED, 2)

    response = client.get(API)
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-cache"
    assert response.json() == {
        "certificados": [
            {
                "rfc": NANDU_RFC,
                "razon_social": NANDU,
                "folio": folio,
                "certificado_desde": "2026-03-02T17:00:00+00:00",
                "estatus": "certificado",
                "vigente": True,
                "cancelado_el": None,
                "url": f"https://sia.example/desarrolladores-certificados/{folio}",
            }
        ],
        "pagina": 1,
        "por_pagina": PAGE_SIZE,
        "hay_mas": False,
        "siguiente": None,
    }


def test_the_api_rfc_filter_returns_cancelled_certificates_too(client, engine):
    vendor = add_vendor(engine, NANDU_RFC, NANDU)
    first = certify(engine, vendor, CERTIFIED)
    cancel(engine, first, CANCELLED)
    certification_of(engine, vendor, CANCELLED + timedelta(days=1), 1)  # not disclosed

    rows = client.get(API, params={"rfc": NANDU_RFC.lower()}).json()["certificados"]
    assert [(r["folio"], r["estatus"], r["vigente"]) for r in rows] == [(first, "cancelado", False)]
    assert rows[0]["cancelado_el"] == "2026-04-15T03:00:00+00:00"
    assert rows[0]["certificado_desde"] == "2026-03-02T17:00:00+00:00"
    assert client.get(API, params={"rfc": OTHER_RFC}).json()["certificados"] == []


@pytest.mark.parametrize(
    ("query", "detail"),
    [
        ("rfc=NAN840428RH", "«rfc» no tiene la forma de un RFC"),
        ("rfc=NAN840428RH123", "«rfc» no tiene la forma de un RFC"),
        ("rfc=", "«rfc» no tiene la forma de un RFC"),
        ("rfc=NAN-40428RH1", "«rfc» no tiene la forma de un RFC"),
        ("rfc=%D9%A1%D9%A1%D9%A1%D9%A1%D9%A1%D9%A1%D9%A1%D9%A1%D9%A1%D9%A1%D9%A1%D9%A1", "RFC"),
        ("rfc=NAN840428R%00H", "caracteres de control"),
        ("pagina=0", "«pagina» debe ser al menos 1"),
        ("pagina=abc", "«pagina» debe ser un número entero"),
        ("pagina=10001", "«pagina» no puede ser mayor que 10000"),
        ("pagina=" + "9" * 5000, "«pagina»"),
    ],
)
def test_bad_api_queries_get_the_spanish_422(client, query, detail):
    response = client.get(f"{API}?{query}")
    assert response.status_code == 422
    body = response.json()
    assert body.keys() == {"detail"}
    assert body["detail"].startswith("Solicitud inválida: ") and detail in body["detail"]


def test_the_api_gives_one_certificate_by_folio(client, engine):
    folio = certified_vendor(engine, NANDU_RFC, NANDU, CERTIFIED)
    waiting = certification_of(engine, add_vendor(engine, OTHER_RFC, OTHER), CERTIFIED, 3)

    body = client.get(f"{API}/{folio}").json()
    assert body["vigente"] is True and body["estatus"] == "certificado"
    assert body["url"] == f"https://sia.example/desarrolladores-certificados/{folio}"
    cancel(engine, folio, CANCELLED)
    body = client.get(f"{API}/{folio}").json()
    assert (body["vigente"], body["estatus"]) == (False, "cancelado")
    assert body["cancelado_el"] == "2026-04-15T03:00:00+00:00"

    for unknown in (waiting, "0599999999"):
        response = client.get(f"{API}/{unknown}")
        assert response.status_code == 404
        assert response.json() == {"detail": f"No hay un certificado con el folio {unknown}."}
    for malformed in ("abc", "05000000011", "٠١٢٣٤٥٦٧٨٩", "0500%000001"):
        response = client.get(f"{API}/{malformed}")
        assert response.status_code == 422, malformed
        assert response.json()["detail"].startswith("Solicitud inválida: ")


def test_the_api_is_paged_with_a_link_to_the_next_page(client, engine):
    planted = plant_certificates(engine, PAGE_SIZE + 1, CERTIFIED)

    first = client.get(API).json()
    assert [row["folio"] for row in first["certificados"]] == planted[:PAGE_SIZE]
    assert first["hay_mas"] is True
    assert first["siguiente"] == "https://sia.example/api/v1/desarrolladores-certificados?pagina=2"
    second = client.get(first["siguiente"].removeprefix(BASE.rstrip("/"))).json()
    assert [row["folio"] for row in second["certificados"]] == planted[PAGE_SIZE:]
    assert second["hay_mas"] is False and second["siguiente"] is None
    assert client.get(f"{API}?pagina=9").json()["certificados"] == []


def test_the_api_is_documented(client):
    schema = client.get("/openapi.json").json()
    listing = schema["paths"][API]["get"]
    assert {p["name"] for p in listing["parameters"]} == {"rfc", "pagina"}
    assert set(listing["responses"]) == {"200", "422"}
    one = schema["paths"][API + "/{folio}"]["get"]
    assert set(one["responses"]) == {"200", "404", "422"}
    fields = schema["components"]["schemas"]["Certificado"]["properties"]
    assert set(fields) == {
        "rfc",
        "razon_social",
        "folio",
        "certificado_desde",
        "estatus",
        "vigente",
        "cancelado_el",
        "url",
    }
    assert PAGE not in schema["paths"]  # the pages are not part of the API
