"""«Consultas de sus avisos» (issue 16): a signed-in patrón sees who downloaded which of its avisos
and when — its own downloads only, never another patrón's —, filters them, pages through them and
exports them; a bad filter is a Spanish page, never a 500. The staff's patrón page shows the
newest ones."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from review.app import create_app
from review.deps import CSRF_FIELD
from schema import TrustRelationship
from tests.review.portal.companies import client, hidden_fields, sign_in
from tests.review.staff import sign_in as staff_sign_in
from tests.workflow.avisos.download_rows import (
    NRP_OTHER,
    VENDOR_B_NAME,
    VENDOR_B_RFC,
    World,
    at,
    make_download,
    make_world,
)
from tests.workflow.relationships.helpers import (
    NRP,
    VENDOR_NAME,
    VENDOR_RFC,
    account_of,
    make_patron,
)
from workflow.avisos.downloads import FIRST_DATA_ROW, HEADER_ROW, HEADERS

TAB = "/portal/relaciones"
PAGE = TAB + "/consultas"
EXPORT = PAGE + ".xlsx"
PORTAL_PASSWORD = "contraseña-del-portal-de-pruebas"  # tests.workflow.relationships.helpers
ROW = re.compile(r'data-consulta="([0-9]{10})"')

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


@pytest.fixture
def world(settings, engine: Engine) -> World:
    with Session(engine, expire_on_commit=False) as session:
        built = make_world(session)
        session.commit()
    return built


def _signed_in(identifier: str, email: str, *, accept_terms: bool = True) -> TestClient:
    browser = client()
    response = sign_in(browser, identifier, email, PORTAL_PASSWORD, follow_redirects=False)
    assert response.status_code == 303, response.text
    if accept_terms:
        token = hidden_fields(browser.get(TAB).text)[CSRF_FIELD]
        accepted = browser.post(
            TAB + "/terminos", data={CSRF_FIELD: token, "acepto": "1"}, follow_redirects=False
        )
        assert accepted.status_code == 303
    return browser


@pytest.fixture
def patron(world: World) -> TestClient:
    return _signed_in(NRP, world.patron.email)


def _shown(html: str) -> list[str]:
    return ROW.findall(html)


def test_the_terms_come_first(world):
    browser = _signed_in(NRP, world.patron.email, accept_terms=False)
    for path in (PAGE, EXPORT):
        response = browser.get(path, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"] == TAB


def test_a_desarrollador_is_kept_out(world, engine):
    with Session(engine) as session:
        account_of(session, world.vendor)
        session.commit()
    vendor = _signed_in(VENDOR_RFC, world.vendor.email, accept_terms=False)
    assert vendor.get(PAGE).status_code == 403
    assert vendor.get(EXPORT).status_code == 403


def test_the_tab_links_the_page_and_keeps_its_three_buttons(patron):
    tab = patron.get(TAB).text
    assert f'href="{PAGE}"' in tab and "Consultas de avisos" in tab
    for button in ("Ver Términos y condiciones", "Exportar tabla", "Adicionar relación"):
        assert button in tab


def test_a_patron_sees_its_own_downloads_newest_first(world, patron):
    d = world.downloads
    page = patron.get(PAGE)
    assert page.status_code == 200
    html = page.text
    assert _shown(html) == [d["newest"], d["next"], d["late"], d["early"]]
    assert d["other"] not in html and "0509999999" not in html  # the other patrón's
    assert "01/mar/2026 23:30:00" in html  # 02 mar 05:30 UTC, in Mexico City
    assert "02/mar/2026 00:00:05" in html
    assert VENDOR_RFC in html and VENDOR_NAME in html
    assert VENDOR_B_RFC in html and "SAMA GROUP Ñ" in html
    assert "<details><summary>Ver folios</summary>" in html
    assert "<li>0501423523</li>" in html and "<li>0501423525</li>" in html
    assert "NSS 12345678901 · Clase RETENCION" in html
    assert 'rel="next"' not in html and 'rel="prev"' not in html
    assert f'href="{EXPORT}"' in html


def test_another_patron_never_sees_them(world, engine):
    with Session(engine) as session:
        account_of(session, world.other_patron)
        session.commit()
    other = _signed_in(NRP_OTHER, world.other_patron.email)
    html = other.get(PAGE).text
    assert _shown(html) == [world.downloads["other"]]
    for name in ("early", "late", "next", "newest"):
        assert world.downloads[name] not in html
    assert VENDOR_B_RFC not in html
    exported = _body(other.get(EXPORT).content)
    assert [row[3] for row in exported] == [world.downloads["other"]]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"desde": "2026-03-02"}, ["newest", "next"]),
        ({"hasta": "2026-03-01"}, ["late", "early"]),
        ({"desde": "2026-03-02", "hasta": "2026-03-02"}, ["next"]),
        ({"rfc": " pme380607p35 "}, ["newest", "late"]),
        ({"rfc": VENDOR_RFC, "hasta": "2026-03-01"}, ["early"]),
        ({"desde": "", "hasta": "", "rfc": ""}, ["newest", "next", "late", "early"]),
    ],
)
def test_filters(world, patron, params, expected):
    page = patron.get(PAGE, params=params)
    assert page.status_code == 200
    assert _shown(page.text) == [world.downloads[name] for name in expected]


def test_the_form_keeps_the_filter_and_an_empty_result_says_so(patron):
    page = patron.get(PAGE, params={"desde": "2026-04-01", "rfc": "cac840428rh1"})
    assert page.status_code == 200
    assert 'name="desde" value="2026-04-01"' in page.text
    assert f'name="rfc" maxlength="20" autocomplete="off" value="{VENDOR_RFC}"' in page.text
    assert "Ninguna consulta de sus avisos coincide con el filtro." in page.text
    assert f'href="{EXPORT}?desde=2026-04-01&amp;rfc={VENDOR_RFC}"' in page.text


def test_pages_of_fifty_keep_the_filter(world, patron, engine):
    with Session(engine) as session:
        relationship = session.exec(
            select(TrustRelationship).where(
                TrustRelationship.patron_id == world.patron.id,
                TrustRelationship.vendor_id == world.vendor.id,
            )
        ).one()
        # 49 more by the first vendor on 10 March, one a minute: 51 of that vendor in all.
        for minute in range(49):
            make_download(session, relationship, at(10, 15, minute))
        session.commit()
    first = patron.get(PAGE, params={"rfc": VENDOR_RFC})
    assert len(_shown(first.text)) == 50 and "página 1" in first.text
    assert 'rel="prev"' not in first.text
    link = re.search(r'rel="next" href="([^"]+)"', first.text)
    assert link is not None
    assert link.group(1).replace("&amp;", "&") == f"{PAGE}?rfc={VENDOR_RFC}&pagina=2"
    second = patron.get(link.group(1).replace("&amp;", "&"))
    assert _shown(second.text) == [world.downloads["early"]]
    assert f'rel="prev" href="{PAGE}?rfc={VENDOR_RFC}"' in second.text
    assert 'rel="next"' not in second.text
    beyond = patron.get(PAGE, params={"pagina": "7"})
    assert beyond.status_code == 200 and "Esta página ya no tiene consultas" in beyond.text


def _body(content: bytes) -> list[tuple[Any, ...]]:
    sheet = load_workbook(io.BytesIO(content)).active
    assert sheet is not None
    assert [c.value for c in sheet[HEADER_ROW]] == list(HEADERS)
    return list(sheet.iter_rows(min_row=FIRST_DATA_ROW, values_only=True))


def test_the_export_is_the_same_filter_as_a_workbook(world, patron):
    d = world.downloads
    exported = patron.get(EXPORT, params={"rfc": VENDOR_B_RFC})
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    disposition = exported.headers["content-disposition"]
    assert disposition.startswith(f'attachment; filename="consultas-de-avisos-{NRP}-')
    body = _body(exported.content)
    assert [row[3] for row in body] == [d["newest"], d["late"]]
    assert body[1][1:3] == (VENDOR_B_RFC, VENDOR_B_NAME)
    assert body[1][4:6] == (1, "0501423525")

    everything = _body(patron.get(EXPORT).content)
    assert [row[3] for row in everything] == [d["newest"], d["next"], d["late"], d["early"]]
    unknown = _body(patron.get(EXPORT, params={"rfc": "XAXX010101000"}).content)
    assert unknown == []


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"desde": "2026-02-30"}, "«Desde» debe ser un día válido"),
        ({"hasta": "mañana"}, "«Hasta» debe ser un día válido"),
        ({"desde": "2026-03-05", "hasta": "2026-03-01"}, "«Hasta» es anterior"),
        ({"rfc": "XYZ"}, "12 caracteres"),
        ({"rfc": "<script>"}, "12 caracteres"),
        ({"pagina": "0"}, "La página debe ser un número entero"),
        ({"pagina": "abc"}, "La página debe ser un número entero"),
        ({"pagina": "99999999999999999999"}, "La página debe ser un número entero"),
    ],
)
def test_a_bad_filter_is_a_spanish_page(patron, params, message):
    page = patron.get(PAGE, params=params)
    assert page.status_code == 422, page.text
    assert message in page.text and "<html" in page.text.lower()
    assert 'value="<script>"' not in page.text  # what was sent is shown, escaped
    if "pagina" not in params:
        exported = patron.get(EXPORT, params=params)
        assert exported.status_code == 422 and message in exported.text


@pytest.mark.parametrize(
    "params",
    [{"desde": "2026-03-01\x00"}, {"rfc": "CAC840428RH1\x07"}, {"rfc": "X" * 41}],
)
def test_malformed_input_is_refused_never_a_server_error(patron, params):
    for path in (PAGE, EXPORT):
        response = patron.get(path, params=params)
        assert response.status_code == 422, response.text
        assert "<html" in response.text.lower()


def test_the_staff_patron_page_shows_the_newest_downloads(world, reviewer, engine):
    with Session(engine) as session:
        relationship = session.exec(
            select(TrustRelationship).where(TrustRelationship.patron_id == world.patron.id)
        ).first()
        assert relationship is not None
        for minute in range(20):
            make_download(session, relationship, at(10, 15, minute))
        session.commit()
    staff = TestClient(create_app())
    staff_sign_in(staff)
    page = staff.get(f"/panel/patrones/{NRP}")
    assert page.status_code == 200
    section = page.text.split('id="consultas"', 1)[1]
    assert "Consultas de sus avisos" in page.text
    assert section.count("<tr>") == 21  # the header and the 20 newest
    assert "10/mar/2026 09:19:00" in section  # the newest, in Mexico City
    assert world.downloads["newest"] not in section  # the 21st newest is left out
    assert world.downloads["other"] not in page.text


def test_the_staff_page_of_a_patron_without_downloads(world, reviewer, engine):
    with Session(engine) as session:
        make_patron(session, nrp="B1234567890", rfc="TRC850315AB1", razon_social="TERCERO")
        session.commit()
    staff = TestClient(create_app())
    staff_sign_in(staff)
    page = staff.get("/panel/patrones/B1234567890")
    assert page.status_code == 200
    assert "Ningún desarrollador ha consultado aún los avisos de este patrón." in page.text
    assert 'id="tabla-consultas"' not in page.text
