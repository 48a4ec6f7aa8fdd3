"""`sia run` without its processes: what it starts them with and what it prints
(tests/test_smoke.py runs the real thing)."""

import signal

import pytest
from click.testing import CliRunner

from cli import run as run_module
from cli.main import sia

pytestmark = [
    pytest.mark.usefixtures("settings"),
    pytest.mark.parametrize("db_url", ["sqlite"], indirect=True),
]


class _ExitedChild:
    """A child process that has already exited: `sia run` stops at once."""

    def poll(self) -> int:
        return 0

    def send_signal(self, _signum: int) -> None:
        pass

    def wait(self, timeout: float | None = None) -> int:
        return 0

    def kill(self) -> None:
        pass


@pytest.fixture
def spawned(monkeypatch: pytest.MonkeyPatch) -> dict[str, tuple[list[str], dict[str, str]]]:
    started: dict[str, tuple[list[str], dict[str, str]]] = {}

    def spawn(args: list[str], env: dict[str, str]) -> _ExitedChild:
        started[args[0]] = (args, env)
        return _ExitedChild()

    monkeypatch.setattr(run_module, "_spawn", spawn)
    monkeypatch.setattr(signal, "signal", lambda *_args: None)  # keep pytest's Ctrl-C
    monkeypatch.delenv("SIA_BASE_URL", raising=False)
    return started


def test_port_reaches_the_web_server_and_the_links_in_emails(spawned):
    result = CliRunner().invoke(sia, ["run", "--port", "8123"])
    assert set(spawned) == {"web", "worker", "beat"}
    assert spawned["web"][0] == ["web", "--host", "127.0.0.1", "--port", "8123"]
    for _args, env in spawned.values():
        assert env["SIA_BASE_URL"] == "http://127.0.0.1:8123"
    assert "SIA Certificación en http://127.0.0.1:8123 " in result.output
    assert "Portal de empresas: http://127.0.0.1:8123/portal (registro: " in result.output
    assert "create-staff --email" in result.output
    assert "inesperadamente" in result.output and result.exit_code == 1  # the fake children


def test_all_interfaces_are_shown_as_the_loopback_address(spawned):
    result = CliRunner().invoke(sia, ["run", "--host", "0.0.0.0", "--port", "8124"])
    assert spawned["web"][0][1:] == ["--host", "0.0.0.0", "--port", "8124"]
    assert spawned["web"][1]["SIA_BASE_URL"] == "http://127.0.0.1:8124"
    assert "http://127.0.0.1:8124/portal" in result.output


def test_an_ipv6_address_is_bracketed_in_urls(spawned):
    result = CliRunner().invoke(sia, ["run", "--host", "::1", "--port", "8126"])
    assert spawned["beat"][1]["SIA_BASE_URL"] == "http://[::1]:8126"
    assert "http://[::1]:8126/portal" in result.output


def test_a_configured_public_url_is_kept(spawned, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("SIA_BASE_URL", "https://sia.example.mx")
    result = CliRunner().invoke(sia, ["run", "--port", "8125"])
    assert spawned["worker"][1]["SIA_BASE_URL"] == "https://sia.example.mx"
    assert "http://127.0.0.1:8125/portal" in result.output


def test_sign_in_hint_once_there_is_staff(spawned):
    created = CliRunner().invoke(
        sia, ["create-staff", "--email", "a@b.example", "--nombre", "A"], input="x" * 12 + "\n"
    )
    assert created.exit_code == 0, created.output
    result = CliRunner().invoke(sia, ["run"])
    assert "Personal: ingrese en http://127.0.0.1:8000/ingresar con su correo" in result.output
