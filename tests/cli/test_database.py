"""Commands that use the database prepare it first: the embedded SQLite is created and migrated on
the spot (as `sia run` does); a PostgreSQL database is migrated by its operators, and a command
run against one without its tables says so in Spanish."""

import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from alembic.script import ScriptDirectory
from click.testing import CliRunner

from cli.database import NOT_MIGRATED
from cli.main import sia
from core import config, db
from schema.migrate import alembic_config, upgrade
from tests.conftest import pg_url_of, throwaway_postgres


@pytest.mark.slow
def test_a_fresh_directory_just_works(tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIA_")}

    def sia_in_tmp(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "cli.main", *args],
            cwd=tmp_path,
            env=env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=120,
        )

    assert not (tmp_path / "var").exists()
    add = sia_in_tmp("calendar", "add", "2026-01-09", "45")
    assert (add.returncode, add.stdout, add.stderr) == (0, "2026-03-17\n", "")
    assert (tmp_path / "var" / "sia.sqlite3").is_file()

    staff = sia_in_tmp(
        "create-staff", "--email", "a@b.example", "--nombre", "A", "--rol", "administrador",
        stdin="una-contraseña-larga\n",
    )  # fmt: skip
    assert staff.returncode == 0, staff.stdout + staff.stderr

    verify = sia_in_tmp("audit", "verify")
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert "eventos verificados: 1" in verify.stdout


@pytest.fixture
def server_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    for key in list(os.environ):
        if key.startswith("SIA_") and not key.startswith("SIA_TEST_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("SIA_VAR_DIR", str(tmp_path / "var"))
    config.get_settings.cache_clear()
    db.get_engine.cache_clear()
    yield
    db.get_engine().dispose()
    config.get_settings.cache_clear()
    db.get_engine.cache_clear()


@pytest.fixture
def empty_postgres(server_settings, monkeypatch: pytest.MonkeyPatch):
    """Settings pointed at a PostgreSQL database with no tables at all."""
    with throwaway_postgres("sia_empty") as name:
        url = pg_url_of(name)
        monkeypatch.setenv("SIA_DATABASE_URL", url)
        yield url
        db.get_engine().dispose()


def _tables(url: str) -> set[str]:
    dsn = url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(dsn) as conn:
        rows = conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        return {row[0] for row in rows}


@pytest.mark.postgres
@pytest.mark.parametrize(
    "args", [["calendar", "add", "2026-01-09", "45"], ["audit", "verify"]], ids=" ".join
)
def test_postgresql_is_not_migrated_behind_the_operators_back(empty_postgres: str, args):
    result = CliRunner().invoke(sia, args)
    assert result.exit_code == 1, result.output
    assert result.output == f"Error: {NOT_MIGRATED}\n"
    assert _tables(empty_postgres) == set()


@pytest.mark.postgres
def test_postgresql_behind_the_code_is_refused_too(empty_postgres: str):
    first = list(ScriptDirectory.from_config(alembic_config(empty_postgres)).walk_revisions())[-1]
    upgrade(empty_postgres, first.revision)
    result = CliRunner().invoke(sia, ["audit", "verify"])
    assert result.exit_code == 1 and NOT_MIGRATED in result.output
    upgrade(empty_postgres)
    result = CliRunner().invoke(sia, ["audit", "verify"])
    assert result.exit_code == 0, result.output


@pytest.mark.usefixtures("server_settings")
def test_postgresql_out_of_reach_is_said_in_spanish(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("SIA_DATABASE_URL", "postgresql+psycopg://sia:secreta@127.0.0.1:1/sia")
    result = CliRunner().invoke(sia, ["audit", "verify"])
    assert result.exit_code == 1
    assert result.output.startswith("Error: No se pudo conectar con la base de datos ")
    assert "secreta" not in result.output and "Traceback" not in result.output
