"""No Docker engine runs here, so the production files are checked for what can break silently:
every command is a real `sia` subcommand and every SIA_ variable is a real setting."""

import shlex
from pathlib import Path

import click
import pytest
import yaml

from cli.main import sia
from core.config import Settings

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SIA_SERVICES = {
    name: svc
    for name, svc in COMPOSE["services"].items()
    if "command" in svc and svc["command"][0] == "sia"
}


def _check_sia_command(argv: list[str]) -> None:
    assert argv[0] == "sia"
    command: click.Command = sia
    args = argv[1:]
    while isinstance(command, click.Group):
        sub = command.get_command(click.Context(command), args[0])
        assert sub is not None, f"unknown sia subcommand {args[0]!r} in {argv}"
        command, args = sub, args[1:]
    # Parsing the arguments rejects unknown options and wrong types, without running anything.
    command.make_context(command.name, args)


def test_compose_services_present():
    assert {
        "postgres",
        "redis",
        "web",
        "worker",
        "beat",
        "flower",
        "mailcatcher",
        "migrate",
    } <= set(COMPOSE["services"])


@pytest.mark.parametrize("name", sorted(SIA_SERVICES))
def test_compose_commands_are_real_sia_subcommands(name):
    _check_sia_command(SIA_SERVICES[name]["command"])


def test_compose_sia_variables_are_real_settings():
    fields = {f"SIA_{name.upper()}" for name in Settings.model_fields}
    for name, service in SIA_SERVICES.items():
        env = service.get("environment", {})
        assert env, f"{name} has no environment"
        unknown = {key for key in env if key.startswith("SIA_")} - fields
        assert not unknown, f"{name} sets unknown settings {unknown}"


def test_one_beat_and_durable_redis():
    assert COMPOSE["services"]["beat"]["deploy"]["replicas"] == 1
    assert "--appendonly" in COMPOSE["services"]["redis"]["command"]
    worker = COMPOSE["services"]["worker"]
    assert "ports" not in worker and "container_name" not in worker  # so --scale worker=N works


def test_procfile_commands_are_real_sia_subcommands():
    lines = [line for line in (ROOT / "Procfile").read_text().splitlines() if line.strip()]
    kinds = {}
    for line in lines:
        kind, command = line.split(":", 1)
        kinds[kind] = command
        argv = [a.replace("$PORT", "8000") for a in shlex.split(command)]
        _check_sia_command(argv)
    assert {"web", "worker", "beat", "flower"} <= set(kinds)
