"""Every response carries the security headers; only /docs may run an inline script; HSTS only
when the site is served over HTTPS."""

import pytest
from fastapi.testclient import TestClient

from core import config
from review.app import create_app
from review.headers import DOCS_POLICY, HSTS, PAGE_POLICY

PATHS = [
    "/",
    "/portal/evidencias",
    "/portal/certificacion",
    "/ingresar",
    "/healthz",
    "/api/v1/llave-publica",
    "/api/v1/evidencias/1",
    "/no-existe",
    "/api/v1/no-existe",
    "/openapi.json",
]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_every_response_carries_the_security_headers(settings):
    client = TestClient(create_app())
    for path in [*PATHS, "/docs"]:
        response = client.get(path)
        policy = DOCS_POLICY if path == "/docs" else PAGE_POLICY
        assert response.headers["content-security-policy"] == policy, path
        assert response.headers["x-content-type-options"] == "nosniff", path
        assert response.headers["x-frame-options"] == "DENY", path
        assert response.headers["referrer-policy"] == "same-origin", path
        assert "strict-transport-security" not in response.headers, path
    assert "'unsafe-inline'" not in PAGE_POLICY.split("script-src")[1].split(";")[0]
    assert "frame-ancestors 'none'" in PAGE_POLICY


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_hsts_once_served_over_https(settings, monkeypatch):
    monkeypatch.setenv("SIA_BASE_URL", "https://sia.infonavit.example")
    config.get_settings.cache_clear()
    response = TestClient(create_app()).get("/")
    assert response.headers["strict-transport-security"] == HSTS
