import json
import re
import subprocess
import sys
import textwrap

import click
import pytest
from click.testing import CliRunner

from cli.main import sia


def _all_commands(group: click.Group, prefix: tuple[str, ...] = ()):
    for name in group.list_commands(click.Context(group)):
        command = group.get_command(click.Context(group), name)
        yield (*prefix, name)
        if isinstance(command, click.Group):
            yield from _all_commands(command, (*prefix, name))


PATHS = list(_all_commands(sia))
# click's own words, which every help page and usage error must show in Spanish instead.
ENGLISH = (
    "Usage:",
    "Options:",
    "Commands:",
    "Show this message",
    "[default:",
    "[required]",
    "Try '",
    "Invalid value",
    "No such",
    "Missing",
    " the ",
)
ENGLISH_METAVAR = re.compile(r"\b(TEXT|INTEGER|FLOAT|PATH|FILENAME|DIRECTORY)\b")


def _assert_spanish(output: str) -> None:
    for word in ENGLISH:
        assert word not in output, (word, output)
    assert not ENGLISH_METAVAR.search(output), output


def test_the_documented_commands_exist():
    assert {
        ("run",),
        ("web",),
        ("worker",),
        ("beat",),
        ("migrate",),
        ("create-staff",),
        ("audit", "verify"),
        ("calendar", "add"),
        ("calendar", "list"),
        ("calendar", "add-day"),
        ("calendar", "remove-day"),
        ("certification", "request"),
        ("certification", "show"),
        ("deadlines", "scan"),
        ("efirma", "verify"),
        ("evidence", "read"),
        ("evidence", "check"),
        ("retention",),
        ("testset", "generate"),
    } <= set(PATHS)


@pytest.mark.parametrize("path", [(), *PATHS], ids=lambda p: " ".join(p) or "sia")
def test_help_is_in_spanish(path):
    result = CliRunner().invoke(sia, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Uso: sia")
    assert "Muestra esta ayuda y termina." in result.output
    _assert_spanish(result.output)


def test_every_option_is_explained():
    for path in PATHS:
        command: click.Command | None = sia
        for name in path:
            assert isinstance(command, click.Group)
            command = command.get_command(click.Context(command), name)
        assert command is not None and command.help, path
        for param in command.params:
            if isinstance(param, click.Option):
                assert param.help, (path, param.name)


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["nope"], "no existe el comando «nope»"),
        (["--nope"], "opción --nope"),
        (["run", "--port", "ocho"], "'--port': se esperaba un número entero"),
        (["create-staff", "--email", "a@b.mx"], "falta la opción --nombre"),
        (["create-staff", "--email", "a", "--nombre", "b", "--rol", "jefe"], "uno de: revisor"),
        (["evidence", "read", "no-existe.xlsx"], "no existe o no es un archivo"),
    ],
)
def test_usage_errors_are_in_spanish(args, fragment):
    result = CliRunner().invoke(sia, args)
    assert result.exit_code == 2, result.output
    assert result.output.startswith("Error: ")
    assert fragment in result.output
    _assert_spanish(result.output)


def test_sia_without_a_command_shows_its_help():
    result = CliRunner().invoke(sia, [])
    assert "Comandos:" in result.output and "create-staff" in result.output


# Loading any of these is what made `sia --help` take over a second.
HEAVY = (
    "alembic",
    "celery",
    "cryptography",
    "fastapi",
    "holidays",
    "httpx",
    "jinja2",
    "kombu",
    "lxml",
    "openpyxl",
    "PIL",
    "psycopg",
    "pydantic",
    "pydantic_settings",
    "python_calamine",
    "sqlalchemy",
    "sqlmodel",
    "starlette",
    "uvicorn",
)
PROJECT = (
    "core",
    "schema",
    "workflow",
    "workers",
    "review",
    "mailer",
    "rules",
    "evidence",
    "efirma",
)


def test_help_loads_no_heavy_module():
    # A fresh interpreter: this test process has loaded everything already.
    script = textwrap.dedent(
        f"""
        import contextlib, io, json, sys
        from cli.main import sia

        for path in [[], *{[list(p) for p in PATHS]!r}]:
            with contextlib.redirect_stdout(io.StringIO()):
                sia.main([*path, "--help"], prog_name="sia", standalone_mode=False)
        print(json.dumps(sorted(sys.modules)))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    loaded = {name.split(".")[0] for name in json.loads(done.stdout)}
    assert loaded.isdisjoint(HEAVY), sorted(loaded & set(HEAVY))
    assert loaded.isdisjoint(PROJECT), sorted(loaded & set(PROJECT))


def test_constants_written_out_for_speed_match_their_sources():
    from cli import evidence, processes, staff
    from evidence import guard
    from evidence.limits import MIB
    from schema import StaffRole
    from workers import queues

    assert tuple(role.value for role in StaffRole) == staff.ROLES
    assert processes.QUEUES == queues.ALL
    assert evidence.DEFAULT_TIMEOUT_S == guard.DEFAULT_TIMEOUT_S
    assert evidence.DEFAULT_MEMORY_MIB * MIB == guard.DEFAULT_MEMORY_BYTES
