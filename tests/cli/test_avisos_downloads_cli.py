"""`sia avisos descargas`: every download of avisos for operators, as JSON Lines or an .xlsx,
over every patrón or one, one desarrollador or all, within local days."""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from sqlmodel import Session

from cli.avisos_downloads import descargas
from cli.main import sia
from tests.workflow.avisos.download_rows import (
    NRP_OTHER,
    PATRON_OTHER_NAME,
    VENDOR_B_NAME,
    VENDOR_B_RFC,
    World,
    make_world,
)
from tests.workflow.relationships.helpers import (
    NRP,
    PATRON_NAME,
    PATRON_RFC,
    VENDOR_NAME,
    VENDOR_RFC,
)
from workflow.avisos.downloads import FIRST_DATA_ROW, HEADER_ROW, HEADERS, PATRON_HEADERS

ON_SQLITE = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
EVERY = ["newest", "other", "next", "late", "early"]  # newest first


@pytest.fixture
def world(settings, engine) -> World:
    with Session(engine, expire_on_commit=False) as session:
        built = make_world(session)
        session.commit()
    return built


def _run(*args: str):
    return CliRunner().invoke(descargas, list(args))


def _lines(output: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in output.splitlines()]


@ON_SQLITE
def test_json_lines_of_every_download_newest_first(world):
    result = _run()
    assert result.exit_code == 0, result.output
    lines = _lines(result.output)
    assert [line["folio_consulta"] for line in lines] == [world.downloads[n] for n in EVERY]
    assert lines[3] == {
        "fecha_hora": "2026-03-01T23:30:00-06:00",
        "nrp_patron": NRP,
        "razon_social_patron": PATRON_NAME,
        "rfc_desarrollador": VENDOR_B_RFC,
        "razon_social_desarrollador": VENDOR_B_NAME,
        "folio_consulta": world.downloads["late"],
        "avisos_descargados": 1,
        "folios": ["0501423525"],
        "consulta": {"desde": None, "hasta": None, "nss": "12345678901", "clase": "RETENCION"},
    }
    assert lines[1]["nrp_patron"] == NRP_OTHER
    assert lines[1]["razon_social_patron"] == PATRON_OTHER_NAME
    assert "Ñ" in result.output  # not \u escapes


@ON_SQLITE
@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--nrp", NRP.lower()], ["newest", "next", "late", "early"]),
        (["--nrp", NRP_OTHER], ["other"]),
        (["--rfc", VENDOR_RFC.lower()], ["other", "next", "early"]),
        (["--rfc", VENDOR_RFC, "--nrp", NRP], ["next", "early"]),
        (["--desde", "2026-03-02"], ["newest", "other", "next"]),
        (["--hasta", "2026-03-01"], ["late", "early"]),
        (["--desde", "2026-03-02", "--hasta", "2026-03-02"], ["other", "next"]),
        (["--desde", "2026-04-01"], []),
    ],
)
def test_filters(world, args, expected):
    result = _run(*args)
    assert result.exit_code == 0, result.output
    found = [line["folio_consulta"] for line in _lines(result.output)]
    assert found == [world.downloads[n] for n in expected]


@ON_SQLITE
def test_json_lines_to_a_file(world, tmp_path: Path):
    target = tmp_path / "descargas.jsonl"
    result = _run("--nrp", NRP_OTHER, "--salida", str(target))
    assert result.exit_code == 0, result.output
    assert "1 descargas escritas en" in result.output  # on stderr; the runner mixes them
    assert [line["folio_consulta"] for line in _lines(target.read_text("utf-8"))] == [
        world.downloads["other"]
    ]


@ON_SQLITE
def test_an_xlsx_of_every_patron(world, tmp_path: Path):
    target = tmp_path / "descargas.xlsx"
    result = _run("--formato", "xlsx", "--salida", str(target), "--desde", "2026-03-02")
    assert result.exit_code == 0, result.output
    assert "3 descargas escritas en" in result.output
    sheet = load_workbook(target).active
    assert sheet is not None
    assert "todos los patrones" in sheet["A1"].value and "desde el 02/mar/2026" in sheet["A2"].value
    assert [c.value for c in sheet[HEADER_ROW]] == [*HEADERS, *PATRON_HEADERS]
    body = list(sheet.iter_rows(min_row=FIRST_DATA_ROW, values_only=True))
    assert [row[3] for row in body] == [world.downloads[n] for n in ("newest", "other", "next")]
    assert body[1][1:3] == (VENDOR_RFC, VENDOR_NAME)
    assert body[1][7:] == (NRP_OTHER, PATRON_OTHER_NAME)


@ON_SQLITE
def test_an_xlsx_of_one_patron_has_no_patron_columns(world, tmp_path: Path):
    target = tmp_path / "patron.xlsx"
    result = _run("--formato", "xlsx", "--salida", str(target), "--nrp", NRP)
    assert result.exit_code == 0, result.output
    sheet = load_workbook(target).active
    assert sheet is not None
    assert f"NRP {NRP}" in sheet["A1"].value
    assert [c.value for c in sheet[HEADER_ROW]] == list(HEADERS)


@ON_SQLITE
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--nrp", "Y5412345109"], "No hay un patrón registrado con el NRP «Y5412345109»."),
        (["--nrp", "no es un nrp"], "No hay un patrón registrado con el NRP «NOESUNNRP»."),
        (["--rfc", "XAXX010101000"], "No hay un desarrollador con el RFC «XAXX010101000»."),
        # A patrón's RFC is no desarrollador's.
        (["--rfc", PATRON_RFC], f"No hay un desarrollador con el RFC «{PATRON_RFC}»."),
    ],
)
def test_an_unknown_patron_or_vendor_says_so_in_spanish(world, args, message):
    result = _run(*args)
    assert result.exit_code == 1, result.output
    assert result.output.startswith(f"Error: {message}")


@ON_SQLITE
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--desde", "2026-02-30"], "no es una fecha AAAA-MM-DD"),
        (["--desde", "2026-03-05", "--hasta", "2026-03-01"], "«Hasta» es anterior"),
        (["--rfc", "XYZ"], "12 caracteres"),
        (["--formato", "xlsx"], "--salida"),
        (["--formato", "csv"], "json, xlsx"),
    ],
)
def test_usage_errors_are_spanish(settings, args, message):
    result = _run(*args)
    assert result.exit_code == 2, result.output
    assert message in result.output


def test_help_is_spanish():
    result = CliRunner().invoke(descargas, ["--help"])
    assert result.exit_code == 0
    for option in ("--nrp", "--rfc", "--desde", "--hasta", "--formato", "--salida"):
        assert option in result.output
    assert "Uso:" in result.output and "Usage" not in result.output
    assert "RFC_DESARROLLADOR" in result.output and "[json|xlsx]" in result.output


def test_it_is_registered_as_sia_avisos_descargas():
    module = importlib.import_module("cli.avisos")
    groups = [g for g in vars(module).values() if isinstance(g, click.Group) and g.name == "avisos"]
    assert len(groups) == 1, "cli/avisos.py has no `avisos` group"
    assert groups[0].get_command(click.Context(groups[0]), "descargas") is descargas
    result = CliRunner().invoke(sia, ["avisos", "descargas", "--help"])
    assert result.exit_code == 0 and result.output.startswith("Uso: sia avisos descargas")
