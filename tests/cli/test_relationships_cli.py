"""`sia relationships list --nrp`: a patrón's relaciones de confianza as JSON."""

from __future__ import annotations

import json
from datetime import date

import pytest
from click.testing import CliRunner
from sqlmodel import Session

from cli.main import sia
from schema import Document, RelationshipStatus
from tests.workflow.relationships.helpers import (
    NRP,
    PATRON_NAME,
    PATRON_RFC,
    make_patron,
    make_relationship,
    make_vendor,
)

ON_SQLITE = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)

S = RelationshipStatus


@ON_SQLITE
def test_list_prints_the_table_newest_first(settings, engine):
    with Session(engine) as session:
        patron = make_patron(session)
        sama = make_vendor(session, rfc="PME380607P35", razon_social="SAMA GROUP Ñ")
        norte = make_vendor(session)
        vigente = make_relationship(session, patron, sama, starts_on=date(2024, 3, 7))
        cancelada = make_relationship(
            session, patron, norte, status=S.CANCELADA, cancelled_on=date(2024, 3, 8)
        )
        waiting = make_relationship(session, patron, norte, status=S.EN_PROCESO)
        folios = {
            "vigente": vigente.folio,
            "cancelada": cancelada.folio,
            "en_proceso": waiting.folio,
        }
        vigente_acuse = session.get_one(Document, vigente.acuse_id).folio
        cancel_acuses = (
            session.get_one(Document, cancelada.acuse_id).folio,
            session.get_one(Document, cancelada.cancellation_acuse_id).folio,
        )
        session.commit()

    result = CliRunner().invoke(sia, ["relationships", "list", "--nrp", NRP.lower()])
    assert result.exit_code == 0, result.output
    shown = json.loads(result.output)
    assert shown["patron"] == {"nrp": NRP, "rfc": PATRON_RFC, "razon_social": PATRON_NAME}
    rows = shown["relaciones"]
    assert [r["no_de_caso"] for r in rows] == [
        folios["en_proceso"],
        folios["cancelada"],
        folios["vigente"],
    ]
    assert rows[2] == {
        "no_de_caso": folios["vigente"],
        "rfc": "PME380607P35",
        "razon_social": "SAMA GROUP Ñ",
        "servicio": "Avisos",
        "vigencia_meses": 12,
        "inicio_vigencia": "2024-03-07",
        "fin_vigencia": "2025-03-07",
        "cancelacion_anticipada": None,
        "estatus": "Relación Vigente",
        "estatus_codigo": "vigente",
        "motivo": None,
        "acuse": vigente_acuse,
        "acuse_cancelacion": None,
        "cancelable": True,
    }
    cancelled = rows[1]
    assert (cancelled["estatus"], cancelled["estatus_codigo"]) == (
        "Relación cancelada por usuario",
        "cancelada",
    )
    assert cancelled["cancelacion_anticipada"] == "2024-03-08"
    assert (cancelled["acuse"], cancelled["acuse_cancelacion"]) == cancel_acuses
    assert cancelled["cancelable"] is False
    assert rows[0]["inicio_vigencia"] is None and rows[0]["acuse"] is None
    assert rows[0]["estatus_codigo"] == "en_proceso"
    assert "Ñ" in result.output  # not \u escapes


@ON_SQLITE
def test_a_patron_without_relationships_lists_none(settings, engine):
    with Session(engine) as session:
        make_patron(session)
        session.commit()
    result = CliRunner().invoke(sia, ["relationships", "list", "--nrp", NRP])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["relaciones"] == []


@ON_SQLITE
@pytest.mark.parametrize("nrp", ["Y5412345109", "no es un nrp"])
def test_an_unknown_nrp_says_so_in_spanish(settings, nrp):
    result = CliRunner().invoke(sia, ["relationships", "list", "--nrp", nrp])
    assert result.exit_code == 1, result.output
    assert result.output.startswith("Error: No hay un patrón registrado con el NRP «")


def test_the_nrp_is_required_in_spanish():
    result = CliRunner().invoke(sia, ["relationships", "list"])
    assert result.exit_code == 2
    assert "falta la opción --nrp" in result.output


def test_help_is_spanish():
    result = CliRunner().invoke(sia, ["relationships", "list", "--help"])
    assert result.exit_code == 0
    assert result.output.startswith("Uso: sia relationships list")
    assert "Número de Registro Patronal" in result.output and "obligatoria" in result.output
