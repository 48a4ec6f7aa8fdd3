import pytest
from fastapi.testclient import TestClient

from core import config, db
from review.app import create_app


def _client() -> TestClient:
    return TestClient(create_app())


def test_healthz_ok_on_embedded_default(settings):
    response = _client().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": {"ok": True}, "broker": {"ok": True}}


def test_healthz_503_when_database_is_down(settings, monkeypatch):
    monkeypatch.setenv("SIA_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:1/nada")
    config.get_settings.cache_clear()
    db.get_engine.cache_clear()
    response = _client().get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert (
        body["status"] == "error" and body["database"]["ok"] is False and body["database"]["error"]
    )
    assert body["broker"] == {"ok": True}


@pytest.mark.redis
def test_healthz_on_redis_broker_and_when_it_is_down(settings, monkeypatch, redis_urls):
    monkeypatch.setenv("SIA_BROKER_URL", redis_urls[0])
    config.get_settings.cache_clear()
    assert _client().get("/healthz").status_code == 200
    monkeypatch.setenv("SIA_BROKER_URL", "redis://127.0.0.1:1/0")
    config.get_settings.cache_clear()
    response = _client().get("/healthz")
    assert response.status_code == 503
    assert response.json()["broker"]["ok"] is False


def test_home_page_is_spanish(settings):
    response = _client().get("/")
    assert response.status_code == 200
    assert 'lang="es-MX"' in response.text and "Certificación" in response.text


def test_public_key_is_served_and_verifies_signed_documents(settings):
    from core.keys import avisos_keypair
    from rules.signing import load_public_key_pem, sign_document, verify_document

    response = _client().get("/api/v1/llave-publica")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/x-pem-file")
    public_key = load_public_key_pem(response.content)
    private_key, _ = avisos_keypair()
    signed = sign_document({"version": "1.0", "avisos": []}, private_key)
    assert verify_document(signed, public_key)
    assert _client().get("/api/v1/llave-publica").content == response.content  # one stable key


def test_configured_key_file_is_used_in_production(settings, monkeypatch, tmp_path):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from core import config
    from rules.signing import public_key_pem

    key = Ed25519PrivateKey.generate()
    path = tmp_path / "avisos.pem"
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    monkeypatch.setenv("SIA_AVISOS_KEY_FILE", str(path))
    config.get_settings.cache_clear()
    assert _client().get("/api/v1/llave-publica").content == public_key_pem(key.public_key())
