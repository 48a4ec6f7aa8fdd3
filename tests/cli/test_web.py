"""`sia web` hands uvicorn the proxies it may trust to name the client."""

import socket
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


def test_several_web_workers_share_a_socket_that_asyncio_sets_no_delay_on() -> None:
    """Nagle's algorithm off on every accepted connection (asyncio does it for IPPROTO_TCP)."""
    import asyncio

    from cli.processes import tcp_socket

    listening = tcp_socket("127.0.0.1", 0)
    assert listening.proto == socket.IPPROTO_TCP and listening.get_inheritable()
    port = listening.getsockname()[1]
    delays: list[int] = []

    async def serve() -> None:
        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            sock = writer.get_extra_info("socket")
            delays.append(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            writer.close()

        server = await asyncio.start_server(handle, sock=listening)
        async with server:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            for _ in range(100):
                if delays:
                    break
                await asyncio.sleep(0.01)
            writer.close()

    asyncio.run(serve())
    assert delays and delays[0] != 0
