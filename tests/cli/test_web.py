"""`sia web` hands uvicorn the proxies it may trust to name the client."""

from pathlib import Path
from typing import Any

import pytest
import uvicorn
from click.testing import CliRunner

from cli.processes import web
from core.config import get_settings


@pytest.mark.parametrize(
    ("env", "expected"), [(None, "127.0.0.1"), ("10.0.0.2,10.0.0.3", "10.0.0.2,10.0.0.3")]
)
def test_forwarded_allow_ips_follows_the_setting(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, env: str | None, expected: str
) -> None:
    seen: dict[str, Any] = {}
    # `sia web` migrates the embedded database first: keep it out of the working directory.
    monkeypatch.setenv("SIA_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("SIA_DATABASE_URL", raising=False)
    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: seen.update(kwargs))
    if env is None:
        monkeypatch.delenv("SIA_FORWARDED_ALLOW_IPS", raising=False)
    else:
        monkeypatch.setenv("SIA_FORWARDED_ALLOW_IPS", env)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(web, ["--port", "8123"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert seen["proxy_headers"] is True and seen["forwarded_allow_ips"] == expected
