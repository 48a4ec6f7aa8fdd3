"""The catch-all 500 (Spanish, JSON or a page, with a request id, keep-alive intact) and the body
limit as a real server and a raw socket see them (issue 18)."""

import logging
import re
import socket
from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient

from review.app import create_app
from review.limits import BODY_LIMIT, BodyLimit
from tests.review.servers import serving

REFERENCE = re.compile(r"referencia ([0-9a-f]{12})")


def _with_test_routes() -> FastAPI:
    """The app with two routes that exist only here: one fails, one says which connection."""
    app = create_app()

    def fail() -> None:
        raise RuntimeError("falla provocada por la prueba")

    async def port(request: Request) -> dict[str, int]:
        assert request.client is not None
        return {"puerto": request.client.port}

    app.add_api_route("/api/v1/prueba/falla", fail)
    app.add_api_route("/prueba/falla", fail)
    app.add_api_route("/api/v1/prueba/puerto", port)
    return app


@pytest.fixture
def server_port(settings) -> Iterator[int]:
    with serving(_with_test_routes()) as port:
        yield port


def test_an_api_failure_is_a_spanish_json_500_with_its_request_id(settings, caplog):
    client = TestClient(_with_test_routes())
    with caplog.at_level(logging.ERROR, logger="review.errors"):
        response = client.get("/api/v1/prueba/falla")
    assert response.status_code == 500
    ref = response.headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{12}", ref)
    assert response.json() == {
        "detail": f"Error interno; se registró con la referencia {ref} para su atención. "
        "Intente de nuevo."
    }
    [record] = [r for r in caplog.records if r.name == "review.errors"]
    assert ref in record.getMessage() and "/api/v1/prueba/falla" in record.getMessage()
    assert record.exc_info is not None and "falla provocada" in str(record.exc_info[1])


def test_a_page_failure_is_a_spanish_page_with_its_request_id(settings):
    response = TestClient(_with_test_routes()).get("/prueba/falla")
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("text/html")
    ref = response.headers["x-request-id"]
    assert 'lang="es-MX"' in response.text and "Error interno" in response.text
    assert f"<code>{ref}</code>" in response.text
    assert "falla provocada" not in response.text  # nothing of the exception is shown


def test_every_response_names_its_own_request(settings):
    client = TestClient(create_app())
    ids = {
        client.get(path, follow_redirects=False).headers["x-request-id"]
        for path in ("/healthz", "/", "/panel", "/api/v1/no-existe", "/no-existe")
    }
    assert len(ids) == 5


@pytest.mark.slow
def test_the_connection_stays_usable_after_a_500(server_port):
    with httpx.Client(base_url=f"http://127.0.0.1:{server_port}", timeout=10) as client:
        before = client.get("/api/v1/prueba/puerto").json()["puerto"]
        failed = client.get("/api/v1/prueba/falla")
        assert failed.status_code == 500 and failed.headers.get("connection") != "close"
        assert REFERENCE.search(failed.json()["detail"])
        page = client.get("/prueba/falla")
        assert page.status_code == 500 and "Error interno" in page.text
        after = client.get("/api/v1/prueba/puerto").json()["puerto"]
    assert after == before  # the same keep-alive connection served all four


def _exchange(port: int, head: str, body: bytes = b"") -> tuple[int, dict[str, str], bytes]:
    """Send ``head`` and ``body`` (possibly less than it announces) and read one response."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(head.replace("\n", "\r\n").encode() + b"\r\n" + body)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            assert chunk, f"connection closed without a response: {data!r}"
            data += chunk
        raw_head, rest = data.split(b"\r\n\r\n", 1)
        status_line, *lines = raw_head.decode("latin-1").split("\r\n")
        headers = {k.lower(): v.strip() for k, v in (line.split(":", 1) for line in lines)}
        while len(rest) < int(headers.get("content-length", "0")):
            chunk = sock.recv(65536)
            assert chunk, "connection closed mid-response"
            rest += chunk
        return int(status_line.split()[1]), headers, rest


@pytest.mark.slow
def test_a_declared_30_mib_json_body_is_refused_before_it_is_sent(server_port):
    # Only the head goes out: an application that waited for the body would never answer.
    status, headers, body = _exchange(
        server_port,
        "POST /api/v1/sesiones HTTP/1.1\nHost: sia\nContent-Type: application/json\n"
        f"Content-Length: {30 * 1024 * 1024}\n",
    )
    assert status == 413 and headers["connection"] == "close" and headers["x-request-id"]
    assert body.decode() == '{"detail":"El cuerpo de la solicitud excede el máximo de 64 KiB."}'


@pytest.mark.slow
def test_a_chunked_body_is_cut_off_at_the_limit(server_port):
    # No Content-Length and no last chunk: the answer comes once the limit has streamed past.
    chunk = b"4000\r\n" + b" " * 0x4000 + b"\r\n"
    sent = chunk * (BODY_LIMIT // 0x4000 + 1)
    status, headers, body = _exchange(
        server_port,
        "POST /api/v1/sesiones HTTP/1.1\nHost: sia\nContent-Type: application/json\n"
        "Transfer-Encoding: chunked\n",
        sent,
    )
    assert status == 413 and headers["connection"] == "close"
    assert "64 KiB" in body.decode()
    # A page's form is cut off the same way, and answered with a page.
    status, headers, body = _exchange(
        server_port,
        "POST /ingresar HTTP/1.1\nHost: sia\nContent-Type: application/x-www-form-urlencoded\n"
        "Transfer-Encoding: chunked\n",
        sent,
    )
    assert status == 413 and headers["content-type"].startswith("text/html")
    assert "excede el máximo de 64 KiB" in body.decode()


def test_the_limit_holds_for_an_app_that_reads_the_body_on_its_own(settings):
    # An ASGI app that does not go through FastAPI's parsing (nor its exception handlers).
    async def reader(scope, receive, send):
        while (await receive()).get("more_body"):
            pass
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    client = TestClient(BodyLimit(reader, limit=10))
    assert client.post("/api/x", content=iter([b"12345", b"678"])).status_code == 204
    refused = client.post("/api/x", content=iter([b"12345", b"678", b"901"]))
    assert refused.status_code == 413 and "excede el máximo" in refused.json()["detail"]


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_an_unreachable_database_is_a_spanish_503_then_recovers(settings, reviewer):
    from core.db import make_engine
    from tests.mailer.smtp import free_port
    from tests.review.staff import sign_in

    client = TestClient(create_app())
    gone = make_engine(f"postgresql+psycopg://127.0.0.1:{free_port()}/x")
    # The database goes away (a restart): every request now fails to connect.
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("review.deps.get_engine", lambda: gone)
        bearer = {"Authorization": "Bearer sia_x"}
        down = client.get("/api/v1/revision/evidencias/1", headers=bearer)
        assert down.status_code == 503 and down.headers["Retry-After"] == "5"
        assert down.json() == {
            "detail": "El servicio no está disponible por el momento. "
            "Intente de nuevo en unos segundos."
        }
        page = sign_in(client)
        assert page.status_code == 503 and "no está disponible" in page.text
    # It comes back: the same app answers again, no restart.
    assert sign_in(client).status_code == 200
