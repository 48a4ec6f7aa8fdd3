"""`sia worker` gives each worker process a name of its own, so that several on one machine are
not taken for one by Flower and remote control."""

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.processes import worker
from core.config import get_settings
from workers.app import app


def _argv(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, *args: str) -> list[str]:
    seen: list[str] = []
    # `sia worker` migrates the embedded database first: keep it out of the working directory.
    monkeypatch.setenv("SIA_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("SIA_DATABASE_URL", raising=False)
    monkeypatch.setattr(app, "worker_main", seen.extend)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(worker, list(args))
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    return seen


def _hostname(argv: list[str]) -> str:
    return argv[argv.index("--hostname") + 1]


def test_each_worker_process_is_named_after_its_pid_on_its_machine(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    assert _hostname(_argv(monkeypatch, tmp_path)) == f"sia-{os.getpid()}@%h"


def test_a_name_given_is_used(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    argv = _argv(monkeypatch, tmp_path, "-n", "correo@%h", "-Q", "mail")
    assert _hostname(argv) == "correo@%h" and argv[argv.index("-Q") + 1] == "mail"
