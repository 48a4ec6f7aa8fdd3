"""«Relaciones de confianza» through the portal's pages (issue 15): the terms once per session,
the typeahead that offers only certified vendors, «Adicionar relación» with its refusals in
Spanish, the registration by the worker, «Exportar tabla», a duplicate refused, «Borrar» of a
relationship that is not the patrón's; a desarrollador is kept out."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from core.security import hash_password
from review.deps import CSRF_FIELD
from schema import Organization, OrganizationKind, RelationshipStatus, TrustRelationship
from tests.efirma.factory import PASSWORD as EFIRMA_PASSWORD
from tests.efirma.factory import Lab
from tests.review.portal.certifying import csrf, efirma_files, vendor
from tests.review.portal.companies import Company, hidden_fields, organization, signed_in_company
from workflow.relationships.processing import process_request
from workflow.state_machine import Event, open_certification, transition

pytestmark = pytest.mark.usefixtures("portal_settings")

TAB = "/portal/relaciones"
SIA_PASSWORD = "contraseña-sia-del-patron"
CERTIFIED_RFC = "NAZ850101AA9"
UNCERTIFIED_RFC = "NBL850101BB0"
CERTIFIED = (Event.TEST_SET_SENT, Event.EVIDENCE_ACCEPTED, Event.APPROVED, Event.TERMS_SIGNED)


def _vendor(engine: Engine, rfc: str, name: str, events: tuple[Event, ...]) -> None:
    with Session(engine) as session:
        row = Organization(
            kind=OrganizationKind.DESARROLLADOR, rfc=rfc, razon_social=name, email=f"{rfc}@x.mx"
        )
        session.add(row)
        session.flush()
        certification = open_certification(session, row, actor="prueba")
        for event in events:
            transition(session, certification, event, actor="prueba")
        session.commit()


@pytest.fixture
def patron(lab: Lab, engine: Engine) -> Company:
    company = signed_in_company(lab, engine)
    with Session(engine) as session:
        row = session.get(Organization, organization(engine, company.rfc).id)
        assert row is not None
        row.sia_password_hash = hash_password(SIA_PASSWORD)
        session.add(row)
        session.commit()
    _vendor(engine, CERTIFIED_RFC, "NOMINAS AZUL SA DE CV", CERTIFIED)
    _vendor(engine, UNCERTIFIED_RFC, "NOMINAS BLANCAS SC", CERTIFIED[:2])
    token = csrf(company)
    accepted = company.browser.post(
        f"{TAB}/terminos", data={CSRF_FIELD: token, "acepto": "1"}, follow_redirects=False
    )
    assert accepted.status_code == 303
    return company


def _add(company: Company, **fields: str) -> tuple[int, str]:
    data = {
        CSRF_FIELD: csrf(company),
        "servicio": "avisos",
        "desarrollador": CERTIFIED_RFC,
        "vigencia": "12",
        "contrasena": SIA_PASSWORD,
        **fields,
    }
    response = company.browser.post(f"{TAB}/adicionar", data=data)
    return response.status_code, response.text


def _add_all_the_way(company: Company) -> None:
    code, page = _add(company)
    assert code == 200, page
    hidden = hidden_fields(page)
    signed = company.browser.post(
        f"{TAB}/efirma",
        data={
            CSRF_FIELD: hidden[CSRF_FIELD],
            "eleccion": hidden["eleccion"],
            "password": EFIRMA_PASSWORD,
        },
        files=efirma_files(company.files),
    )
    assert signed.status_code == 200, signed.text
    assert "Registro de Relaciones de Confianza" in signed.text
    token = hidden_fields(signed.text)["token"]
    confirmed = company.browser.post(
        f"{TAB}/confirmar", data={CSRF_FIELD: csrf(company), "token": token}, follow_redirects=False
    )
    assert confirmed.headers["location"] == f"{TAB}?aviso=en-proceso"


def test_terms_come_first_each_session(lab: Lab, engine: Engine) -> None:
    company = signed_in_company(lab, engine)
    assert "He leído y acepto" in company.browser.get(TAB).text
    assert company.browser.get(f"{TAB}/adicionar", follow_redirects=False).status_code == 303
    refused = company.browser.post(f"{TAB}/terminos", data={CSRF_FIELD: csrf(company)})
    assert refused.status_code == 400 and "He leído y acepto" in refused.text


def test_a_desarrollador_is_kept_out(lab: Lab, engine: Engine) -> None:
    company = vendor(lab, engine)
    assert company.browser.get(TAB).status_code == 403
    assert "Relaciones de confianza" not in company.browser.get("/portal/contrasena").text


def test_typeahead_offers_certified_vendors_only(patron: Company) -> None:
    offered = patron.browser.get(f"{TAB}/desarrolladores", params={"desarrollador": "nominas"})
    assert CERTIFIED_RFC in offered.text and UNCERTIFIED_RFC not in offered.text
    explained = patron.browser.get(
        f"{TAB}/desarrolladores", params={"desarrollador": UNCERTIFIED_RFC}
    )
    assert "no está certificado" in explained.text and "<option" not in explained.text


@pytest.mark.parametrize(
    ("fields", "code", "message"),
    [
        ({"contrasena": "otra"}, 400, "no es correcta"),
        ({"desarrollador": UNCERTIFIED_RFC}, 409, "no está certificado"),
        ({"desarrollador": "XYZ"}, 422, "No hay un desarrollador"),
        ({"vigencia": "abc"}, 422, "Seleccione la vigencia"),
        ({"vigencia": "7"}, 422, "Seleccione la vigencia"),
        ({"servicio": "nomina"}, 422, "Avisos"),
    ],
)
def test_adicionar_refusals_are_spanish(
    patron: Company, fields: dict[str, str], code: int, message: str
) -> None:
    status, page = _add(patron, **fields)
    assert status == code and message in page, page
    assert SIA_PASSWORD not in page


def test_a_tampered_choice_is_refused(patron: Company) -> None:
    response = patron.browser.post(
        f"{TAB}/efirma",
        data={CSRF_FIELD: csrf(patron), "eleccion": "x.y.z", "password": EFIRMA_PASSWORD},
        files=efirma_files(patron.files),
    )
    assert response.status_code == 400 and "ya no son válidos" in response.text


def test_added_registered_exported_and_not_twice(patron: Company, engine: Engine) -> None:
    _add_all_the_way(patron)
    with Session(engine) as session:
        relationship = session.exec(select(TrustRelationship)).one()
        assert relationship.status is RelationshipStatus.EN_PROCESO
        assert relationship.id is not None
    assert 'hx-trigger="every' in patron.browser.get(TAB).text
    with Session(engine) as session:
        process_request(session, relationship.id)
        session.commit()
    table = patron.browser.get(f"{TAB}/tabla").text
    assert "Relación Vigente" in table and 'hx-trigger="every' not in table
    assert "Borrar" in table

    exported = patron.browser.get(f"{TAB}/exportar")
    assert exported.headers["content-type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(exported.content)).active
    assert sheet is not None
    values = [cell for row in sheet.iter_rows(values_only=True) for cell in row]
    assert relationship.folio in values and "Relación Vigente" in values

    code, page = _add(patron)
    assert code == 409 and "Ya tiene una relación de confianza" in page


def test_borrar_of_an_unknown_or_malformed_case_is_not_found(patron: Company) -> None:
    assert patron.browser.get(f"{TAB}/0599999999/borrar").status_code == 404
    malformed = patron.browser.get(f"{TAB}/abc/borrar")
    assert malformed.status_code in (404, 422) and "<html" in malformed.text.lower()
