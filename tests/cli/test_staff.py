"""`sia create-staff`: the password from --password, from the terminal (asked twice, hidden), or
from one line of a piped standard input."""

import pytest
from click.testing import CliRunner
from sqlmodel import Session, select

from cli import params
from cli.main import sia
from core.security import verify_password
from schema import StaffUser

pytestmark = [
    pytest.mark.usefixtures("settings"),
    pytest.mark.parametrize("db_url", ["sqlite"], indirect=True),
]

PASSWORD = "una-contraseña-larga"
ARGS = ["create-staff", "--email", "Revisora@Infonavit.example", "--nombre", "Ana Núñez"]


def _stored_hash(engine) -> str:
    with Session(engine) as session:
        user = session.exec(
            select(StaffUser).where(StaffUser.email == "revisora@infonavit.example")
        ).one()
        return user.password_hash


@pytest.fixture
def terminal(monkeypatch):
    monkeypatch.setattr(params, "stdin_is_terminal", lambda: True)


def test_password_option(engine):
    runner = CliRunner()
    ok = runner.invoke(sia, [*ARGS, "--rol", "administrador", "--password", PASSWORD])
    assert ok.exit_code == 0, ok.output
    assert "Usuario revisora@infonavit.example creado con el rol administrador." in ok.output
    assert verify_password(PASSWORD, _stored_hash(engine))
    again = runner.invoke(sia, [*ARGS, "--password", PASSWORD])
    assert again.exit_code == 1 and "Ya existe" in again.output
    audit = runner.invoke(sia, ["audit", "verify"])
    assert audit.exit_code == 0 and "verificados: 1" in audit.output


def test_short_password_option_is_refused_in_spanish(engine):
    short = CliRunner().invoke(sia, [*ARGS, "--password", "corta"])
    assert short.exit_code == 2
    assert short.output.startswith("Error: la contraseña (--password) debe tener al menos 12")
    assert "Traceback" not in short.output


def test_password_from_one_line_of_piped_stdin(engine):
    # As in `printf '%s\n' "$PW" | sia create-staff …`; spaces inside the line are kept.
    result = CliRunner().invoke(sia, ARGS, input=f"{PASSWORD} x\nsegunda línea\n")
    assert result.exit_code == 0, result.output
    assert "Contraseña" not in result.output  # nothing was asked
    assert verify_password(f"{PASSWORD} x", _stored_hash(engine))


def test_password_from_stdin_without_newline(engine):
    result = CliRunner().invoke(sia, ARGS, input=PASSWORD)
    assert result.exit_code == 0, result.output
    assert verify_password(PASSWORD, _stored_hash(engine))


@pytest.mark.parametrize("stdin", ["", "\n"])
def test_missing_password_is_refused_in_spanish(stdin):
    result = CliRunner().invoke(sia, ARGS, input=stdin)
    assert result.exit_code == 2
    assert result.output.startswith("Error: falta la contraseña: use --password")
    assert "Traceback" not in result.output


def test_short_password_from_stdin_is_refused(engine):
    result = CliRunner().invoke(sia, ARGS, input="corta\n")
    assert result.exit_code == 2
    assert "la contraseña (la entrada estándar) debe tener al menos 12" in result.output


@pytest.mark.usefixtures("terminal")
def test_terminal_asks_twice_without_echo(engine):
    result = CliRunner().invoke(sia, ARGS, input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert "Contraseña: " in result.output and "Repita la contraseña: " in result.output
    assert PASSWORD not in result.output
    assert verify_password(PASSWORD, _stored_hash(engine))


@pytest.mark.usefixtures("terminal")
def test_terminal_asks_again_after_a_mismatch_or_a_short_one(engine):
    answers = ["corta", f"{PASSWORD}", "otra-contraseña-larga", PASSWORD, PASSWORD]
    result = CliRunner().invoke(sia, ARGS, input="\n".join(answers) + "\n")
    assert result.exit_code == 0, result.output
    assert "al menos 12 caracteres" in result.output
    assert "Las contraseñas no coinciden." in result.output
    assert verify_password(PASSWORD, _stored_hash(engine))


@pytest.mark.usefixtures("terminal")
def test_terminal_gives_up_after_three_attempts(engine):
    result = CliRunner().invoke(sia, ARGS, input="corta\n" * 3)
    assert result.exit_code == 1
    assert "no se obtuvo una contraseña válida en 3 intentos" in result.output
    with Session(engine) as session:
        assert session.exec(select(StaffUser)).all() == []
