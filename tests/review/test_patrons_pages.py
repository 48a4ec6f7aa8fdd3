"""The staff's read-only view of the patrones (/panel/patrones): the search by NRP or RFC and a
patrón's relationships table; a bad NRP is a Spanish 404, never a 500."""

from __future__ import annotations

import re
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from review.app import create_app
from schema import RelationshipStatus
from tests.review.staff import sign_in
from tests.workflow.relationships.helpers import (
    NRP,
    PATRON_RFC,
    make_patron,
    make_relationship,
    make_vendor,
)
from workflow.relationships.table import HEADERS, SEARCH_LIMIT

S = RelationshipStatus
PAGE = "/panel/patrones"
PATRON_LINK = re.compile(r'href="/panel/patrones/([^"]+)"')


@pytest.fixture
def client(reviewer) -> TestClient:
    signed_in = TestClient(create_app())
    sign_in(signed_in)
    return signed_in


@pytest.fixture
def patron_with_relationships(engine) -> dict[str, str]:
    """The patrón of NRP with a vigente relationship and a cancelled one (folios by status)."""
    with Session(engine) as session:
        patron = make_patron(session, razon_social="PATRÓN <b>UNIDO</b> & CÍA")
        sama = make_vendor(session, rfc="PME380607P35", razon_social="<script>alert(1)</script>")
        norte = make_vendor(session)
        vigente = make_relationship(session, patron, sama, starts_on=date(2024, 3, 7))
        cancelada = make_relationship(
            session,
            patron,
            norte,
            status=S.CANCELADA,
            starts_on=date(2023, 12, 22),
            vigencia_months=2,
            cancelled_on=date(2024, 1, 5),
        )
        folios = {
            "vigente": vigente.folio,
            "cancelada": cancelada.folio,
            "acuse": str(session.get_one(type(cancelada), cancelada.id).acuse_id),
        }
        session.commit()
    return folios


def test_anonymous_visitors_are_sent_to_sign_in(settings):
    anonymous = TestClient(create_app())
    for url in (PAGE, f"{PAGE}?q=Y54", f"{PAGE}/{NRP}"):
        answer = anonymous.get(url, follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"] == "/ingresar"


def test_the_navigation_links_the_page(client):
    assert f'<a href="{PAGE}"' in client.get("/panel").text
    page = client.get(PAGE)
    assert page.status_code == 200
    assert f'<a href="{PAGE}" aria-current="page">Patrones</a>' in page.text
    assert "Escriba el NRP o el RFC" in page.text and 'id="patrones"' not in page.text


def test_patrones_are_found_by_nrp_or_rfc(client, patron_with_relationships, engine):
    with Session(engine) as session:
        make_patron(session, nrp="Y5412345108", razon_social="OTRA PLANTA")
        make_vendor(session, rfc="Y54DES010101")  # a vendor is never listed
        session.commit()
    by_nrp = client.get(PAGE, params={"q": " y541234510 "})
    assert by_nrp.status_code == 200
    assert PATRON_LINK.findall(by_nrp.text) == [NRP, "Y5412345108"]
    assert "PATRÓN &lt;b&gt;UNIDO&lt;/b&gt; &amp; CÍA" in by_nrp.text
    by_rfc = client.get(PAGE, params={"q": PATRON_RFC.lower()})
    assert PATRON_LINK.findall(by_rfc.text) == [NRP, "Y5412345108"]
    exact = client.get(PAGE, params={"q": "Y5412345108"})
    assert PATRON_LINK.findall(exact.text) == ["Y5412345108"]


def test_a_search_without_matches_says_so_escaped(client, patron_with_relationships):
    page = client.get(PAGE, params={"q": "<b>X"})
    assert page.status_code == 200
    assert "Ningún patrón tiene un NRP o un RFC que empiece con «&lt;b&gt;X»." in page.text
    assert "<b>X" not in page.text


def test_a_search_shows_a_bounded_list(client, engine):
    with Session(engine) as session:
        for i in range(SEARCH_LIMIT + 2):
            make_patron(session, nrp=f"Y54123{i:05d}", razon_social=f"PLANTA {i}")
        session.commit()
    page = client.get(PAGE, params={"q": "Y54"})
    assert len(PATRON_LINK.findall(page.text)) == SEARCH_LIMIT
    assert f"se muestran los primeros {SEARCH_LIMIT}" in page.text


@pytest.mark.parametrize("q", ["a\x00b", "\x1b", "x" * 41])
def test_a_search_text_it_cannot_use_is_a_spanish_422(client, q):
    page = client.get(PAGE, params={"q": q})
    assert page.status_code == 422
    assert "«q»" in page.text and "Solicitud inválida" in page.text


def test_the_patrons_table_shows_the_guides_columns_read_only(client, patron_with_relationships):
    folios = patron_with_relationships
    page = client.get(f"{PAGE}/{NRP.lower()}")
    assert page.status_code == 200, page.text
    text = page.text
    assert f"<h1>Patrón {NRP}</h1>" in text
    assert "PATRÓN &lt;b&gt;UNIDO&lt;/b&gt; &amp; CÍA" in text and PATRON_RFC in text
    table = text[text.index('id="tabla-relaciones"') :]
    for header in HEADERS:
        assert f'<th scope="col">{header}</th>' in table
    # Newest first.
    assert table.index(folios["cancelada"]) < table.index(folios["vigente"])
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in table and "<script>" not in table
    assert "07/mar/2024" in table and "07/mar/2025" in table  # the vigente one
    assert "22/dic/2023" in table and "22/feb/2024" in table and "05/ene/2024" in table
    assert "Relación Vigente" in table and "Relación cancelada por usuario" in table
    # Read-only: no Borrar, no form.
    assert "Borrar" not in text and "<form" not in table


def test_the_acuses_are_named_by_folio(client, patron_with_relationships, engine):
    from sqlmodel import select

    from schema import Document, TrustRelationship

    with Session(engine) as session:
        cancelled = session.exec(
            select(TrustRelationship).where(
                TrustRelationship.folio == patron_with_relationships["cancelada"]
            )
        ).one()
        acuse = session.get_one(Document, cancelled.acuse_id)
        cancellation = session.get_one(Document, cancelled.cancellation_acuse_id)
    text = client.get(f"{PAGE}/{NRP}").text
    row = text[text.index(cancelled.folio) :]
    row = row[: row.index("</tr>")]
    assert f"<td>{acuse.folio}</td>" in row and f"<td>{cancellation.folio}</td>" in row


def test_a_patron_without_relationships_says_so(client, engine):
    with Session(engine) as session:
        make_patron(session)
        session.commit()
    page = client.get(f"{PAGE}/{NRP}")
    assert page.status_code == 200
    assert "Este patrón aún no tiene relaciones de confianza." in page.text


def test_an_unknown_nrp_is_a_spanish_404(client, patron_with_relationships):
    page = client.get(f"{PAGE}/Y5412345109")
    assert page.status_code == 404
    assert "No hay un patrón registrado con el NRP Y5412345109." in page.text


@pytest.mark.parametrize(
    "nrp",
    [
        "%3Cscript%3Ealert(1)%3C",
        "abc",
        "%00",
        "Y541234510%00",
        "%C2%85",
        "%ED%A0%80",  # a lone surrogate, as UTF-8 would spell it
        "Y" * 300,
        "Y5412345107%20%27--",
        "%25",
    ],
)
def test_text_that_is_no_nrp_is_a_spanish_404(client, patron_with_relationships, nrp):
    page = client.get(f"{PAGE}/{nrp}")
    assert page.status_code == 404, page.text
    assert "no es un NRP" in page.text
    assert "<script>" not in page.text


def test_a_slash_in_the_nrp_is_no_page_at_all(client):
    page = client.get(f"{PAGE}/Y54%2F12345107")
    assert page.status_code == 404 and "No encontrado" in page.text
