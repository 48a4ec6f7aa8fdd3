"""The README's run command on the embedded default: up, healthy, a task through the embedded
broker, a certification request that ends as an .eml file, and a clean stop on SIGTERM."""

import os
import signal
import socket
import subprocess
import sys
import time
from email import policy
from email.parser import BytesParser
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_embedded_system_runs_and_stops_cleanly(tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIA_")}
    port = _free_port()
    sia = [sys.executable, "-m", "cli.main"]
    proc = subprocess.Popen(
        [*sia, "run", "--port", str(port), "--concurrency", "1"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
                if health.status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "web never became healthy"
            time.sleep(0.5)
        assert health.json()["status"] == "ok"
        assert (tmp_path / "var" / "sia.sqlite3").exists()

        ping = subprocess.run(
            [*sia, "ping", "--timeout", "45"],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert ping.returncode == 0, ping.stdout + ping.stderr
        assert "Respuesta de" in ping.stdout

        request = subprocess.run(
            [*sia, "certification", "request", "--rfc", "CAC840428RH1", "--email", "a@b.example"],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert request.returncode == 0, request.stdout + request.stderr
        mail_dir = tmp_path / "var" / "mail"
        deadline = time.monotonic() + 60
        while not list(mail_dir.glob("*.eml")):
            assert time.monotonic() < deadline, "the test-set email was never written"
            time.sleep(0.5)
        [eml] = mail_dir.glob("*.eml")
        message = BytesParser(policy=policy.default).parsebytes(eml.read_bytes())
        plain = message.get_body(("plain",))
        assert plain is not None
        text = plain.get_content()
        assert f"http://127.0.0.1:{port}/api/v1" in text  # the sandbox this server runs
        assert {p.get_filename() for p in message.iter_attachments()} >= {"set-de-pruebas.json"}
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            output, _ = proc.communicate(timeout=45)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    assert proc.returncode == 0, output
    assert f"http://127.0.0.1:{port}" in output and "sia create-staff" in output
    assert "Deteniendo" in output
