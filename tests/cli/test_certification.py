"""`sia certification show`: the certification and its deadlines, in Mexico City time."""

import json
from datetime import datetime

import pytest
from click.testing import CliRunner

from cli.main import sia
from rules.calendar import MEXICO_CITY
from tests.certifications import request_and_dispatch

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def test_show_prints_state_round_deadlines_and_business_days_left(settings, engine, sent_tasks):
    from sqlmodel import Session

    from schema import Certification

    sent = datetime(2026, 1, 9, 10, tzinfo=MEXICO_CITY)
    cert_id = request_and_dispatch(engine, "CAC840428RH1", sent, razon_social="Ñandú")
    with Session(engine) as session:
        cert = session.get(Certification, cert_id)
        assert cert is not None
    result = CliRunner().invoke(
        sia, ["certification", "show", cert.folio, "--now", "2026-03-11T12:00"]
    )
    assert result.exit_code == 0, result.output
    shown = json.loads(result.output)
    assert (shown["folio"], shown["estado"], shown["ronda"]) == (
        cert.folio,
        "En espera de documentos",
        1,
    )
    assert shown["desarrollador"] == {"rfc": "CAC840428RH1", "razon_social": "Ñandú"}
    [term] = shown["plazos"]
    assert term == {
        "plazo": "entrega de evidencias",
        "ronda": 1,
        "estado": "corriendo",
        "inicio": "2026-01-09T10:00:00-06:00",
        "dias_habiles": 45,
        "fecha_limite": "2026-03-17T23:59:59.999999-06:00",
        "dias_habiles_restantes": 3,
    }


def test_show_an_unknown_folio_says_so_in_spanish(settings):
    result = CliRunner().invoke(sia, ["certification", "show", "0999999999"])
    assert result.exit_code == 1 and "No existe la certificación" in result.output
