from pathlib import Path

import pytest
from pydantic import ValidationError

from core.config import Settings


@pytest.fixture(autouse=True)
def _no_sia_env(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for key in list(os.environ):
        if key.startswith("SIA_") and not key.startswith("SIA_TEST_"):
            monkeypatch.delenv(key)


def test_defaults_are_embedded_under_var_of_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    s = Settings()
    assert s.var_dir == tmp_path / "var"
    assert s.database_url == f"sqlite:///{tmp_path / 'var' / 'sia.sqlite3'}"
    assert s.broker_url == "filesystem://"
    assert s.is_embedded_broker
    assert s.result_backend.startswith("db+sqlite:///") and str(tmp_path) in s.result_backend
    assert s.mail_url == f"file://{tmp_path / 'var' / 'mail'}"
    assert s.storage == tmp_path / "var" / "storage"
    assert s.timezone == "America/Mexico_City"


def test_every_setting_is_overridable_by_sia_environment_variables(tmp_path, monkeypatch):
    monkeypatch.setenv("SIA_DATABASE_URL", "postgresql+psycopg://u@db/sia")
    monkeypatch.setenv("SIA_BROKER_URL", "redis://redis:6379/0")
    monkeypatch.setenv("SIA_RESULT_BACKEND", "redis://redis:6379/1")
    monkeypatch.setenv("SIA_MAIL_URL", "smtp://mail:25")
    monkeypatch.setenv("SIA_STORAGE_DIR", str(tmp_path / "files"))
    monkeypatch.setenv("SIA_SECRET_KEY", "s3cr3t")
    monkeypatch.setenv("SIA_TIMEZONE", "America/Cancun")
    s = Settings()
    assert s.database_url == "postgresql+psycopg://u@db/sia"
    assert s.broker_url == "redis://redis:6379/0" and not s.is_embedded_broker
    assert s.result_backend == "redis://redis:6379/1"
    assert s.mail_url == "smtp://mail:25"
    assert s.storage == tmp_path / "files"
    assert s.secret() == "s3cr3t"
    assert s.timezone == "America/Cancun"


def test_unknown_timezone_is_rejected_at_start_up(monkeypatch):
    monkeypatch.setenv("SIA_TIMEZONE", "Mars/Olympus")
    with pytest.raises(ValidationError):
        Settings()


def test_embedded_secret_is_generated_once_and_private(tmp_path: Path):
    s = Settings(var_dir=tmp_path)
    first = s.secret()
    assert len(first) >= 32
    assert Settings(var_dir=tmp_path).secret() == first
    assert (tmp_path / "secret-key").stat().st_mode & 0o077 == 0


def _secret_of(var_dir: str) -> str:
    return Settings(var_dir=Path(var_dir)).secret()


def test_processes_starting_together_agree_on_the_embedded_secret(tmp_path: Path):
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(4) as pool:
        secrets = set(pool.map(_secret_of, [str(tmp_path)] * 16))
    assert len(secrets) == 1
    assert [p.name for p in tmp_path.iterdir()] == ["secret-key"]  # no drafts left behind


@pytest.mark.parametrize("value", ["*", "10.0.0.1, *", "proxy.example"])
def test_trusted_proxies_must_be_named_by_address(monkeypatch, value):
    monkeypatch.setenv("SIA_FORWARDED_ALLOW_IPS", value)
    with pytest.raises(ValidationError, match="nunca «\\*»"):
        Settings()


def test_trusted_proxies_may_be_networks(monkeypatch):
    monkeypatch.setenv("SIA_FORWARDED_ALLOW_IPS", "10.0.0.0/8, 192.0.2.7, ::1")
    assert Settings().forwarded_allow_ips == "10.0.0.0/8, 192.0.2.7, ::1"
