"""`sia avisos synth` and `sia avisos import`: synthetic JSON Lines in, a JSON report out, and the
exit status telling a clean import (0), rejected lines (1) and an unreadable file (2)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlmodel import Session, func, select

from cli.main import sia
from schema import Aviso

ON_SQLITE = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
KEYS = [
    "leidas",
    "importadas",
    "repetidas",
    "errores",
    "errores_total",
    "segundos",
    "avisos_por_segundo",
]


def _run(*args: str, input: bytes | None = None) -> Result:
    return CliRunner().invoke(sia, list(args), input=input)


def _synth(tmp_path: Path, name: str, avisos: int = 200, seed: str = "cli") -> Path:
    out = tmp_path / name
    result = _run(
        "avisos", "synth", "--patrones", "5", "--avisos", str(avisos), "--semilla", seed,
        "--salida", str(out),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert f"{avisos} avisos de 5 patrones" in result.stderr
    return out


def _report(result: Result) -> dict[str, object]:
    report: dict[str, object] = json.loads(result.stdout)
    assert list(report) == KEYS
    return report


def _count(engine) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(Aviso)).one()


@ON_SQLITE
def test_synthetic_avisos_import_and_import_again(settings, engine, tmp_path):
    path = _synth(tmp_path, "avisos.jsonl")
    first = _run("avisos", "import", str(path))
    assert first.exit_code == 0, first.output
    report = _report(first)
    assert {k: report[k] for k in KEYS[:5]} == {
        "leidas": 200,
        "importadas": 200,
        "repetidas": 0,
        "errores": [],
        "errores_total": 0,
    }
    again = _run("avisos", "import", str(path), "--lote", "7")
    assert again.exit_code == 0, again.output
    assert _report(again)["repetidas"] == 200
    assert _count(engine) == 200


@ON_SQLITE
def test_rejected_lines_are_listed_and_exit_with_1(settings, engine, tmp_path):
    lines = _synth(tmp_path, "avisos.jsonl", avisos=5).read_text(encoding="utf-8").splitlines()
    bad = json.loads(lines[1]) | {"nss": "12345678901"}
    lines[1] = json.dumps(bad, ensure_ascii=False)
    lines.insert(3, "esto no es JSON")
    path = tmp_path / "con-errores.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = _run("avisos", "import", str(path))
    assert result.exit_code == 1, result.output
    report = _report(result)
    assert (report["leidas"], report["importadas"], report["errores_total"]) == (6, 4, 2)
    assert report["errores"] == [
        {
            "linea": 2,
            "mensaje": "«nss» no es un NSS válido (11 dígitos, el último el verificador del "
            "IMSS): «12345678901».",
        },
        {"linea": 4, "mensaje": "La línea no es JSON válido."},
    ]
    assert _count(engine) == 4


@ON_SQLITE
def test_standard_input_and_gzip_by_content(settings, engine, tmp_path):
    plain = _synth(tmp_path, "avisos.jsonl", avisos=30).read_bytes()
    compressed = _synth(tmp_path, "avisos.jsonl.gz", avisos=30)
    assert gzip.decompress(compressed.read_bytes()) == plain
    # A gzip file named otherwise is still read as gzip.
    renamed = tmp_path / "avisos.txt"
    renamed.write_bytes(compressed.read_bytes())
    from_stdin = _run("avisos", "import", "-", input=plain)
    assert from_stdin.exit_code == 0, from_stdin.output
    assert _report(from_stdin)["importadas"] == 30
    gz_stdin = _run("avisos", "import", "-", input=compressed.read_bytes())
    assert gz_stdin.exit_code == 0 and _report(gz_stdin)["repetidas"] == 30
    gz_file = _run("avisos", "import", str(renamed))
    assert gz_file.exit_code == 0 and _report(gz_file)["repetidas"] == 30


@ON_SQLITE
def test_an_unreadable_file_exits_with_2_in_spanish(settings, engine, tmp_path):
    missing = _run("avisos", "import", str(tmp_path / "no-hay.jsonl"))
    assert missing.exit_code == 2
    assert "no se pudo leer: no existe" in missing.stderr and missing.stdout == ""
    folder = _run("avisos", "import", str(tmp_path))
    assert folder.exit_code == 2 and "es una carpeta" in folder.stderr


@ON_SQLITE
def test_a_truncated_gzip_reports_what_it_read_and_exits_with_2(settings, engine, tmp_path):
    data = _synth(tmp_path, "avisos.jsonl.gz", avisos=2000).read_bytes()
    cut = tmp_path / "cortado.jsonl.gz"
    cut.write_bytes(data[: len(data) // 2])
    result = _run("avisos", "import", str(cut), "--lote", "100")
    assert result.exit_code == 2
    assert "no se pudo leer completo: no es un gzip válido o está truncado" in result.stderr
    report = _report(result)
    assert 0 < int(str(report["importadas"])) < 2000
    assert _count(engine) == report["importadas"]


def test_synth_is_deterministic_and_goes_to_standard_output(tmp_path):
    args = ["avisos", "synth", "--patrones", "3", "--avisos", "50", "--semilla", "s"]
    first, second = _run(*args), _run(*args)
    assert first.exit_code == 0 and first.stdout == second.stdout
    lines = first.stdout.splitlines()
    assert len(lines) == 50 and len({json.loads(line)["folio"] for line in lines}) == 50
    other = _run("avisos", "synth", "--patrones", "3", "--avisos", "50", "--semilla", "t")
    assert other.stdout != first.stdout


def test_synth_refuses_impossible_loads_in_spanish():
    result = _run("avisos", "synth", "--patrones", "3", "--avisos", "2")
    assert result.exit_code == 2
    assert "Cada patrón necesita al menos un aviso" in result.stderr
    zero = _run("avisos", "synth", "--patrones", "0", "--avisos", "2")
    assert zero.exit_code == 2 and "mayor que cero" in zero.stderr


def test_the_help_says_what_the_exit_status_means():
    result = _run("avisos", "import", "--help")
    assert result.exit_code == 0
    text = " ".join(result.output.split())
    assert "0 si no hubo errores" in text and "1 si se rechazaron líneas" in text
    assert "2 si el archivo no se pudo leer" in text
    assert "«-» lee la entrada estándar" in text
