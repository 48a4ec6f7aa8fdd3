"""What the benches that run the real system share: a throwaway PostgreSQL database, the
processes of `sia` against it, and a staff member signed in over HTTP as a browser would."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import psycopg

if TYPE_CHECKING:
    from sqlmodel import Session

    from rules.testsets.generate import GeneratedTestSet

PG_ADMIN = os.environ.get("SIA_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS = os.environ.get("SIA_TEST_REDIS", "redis://127.0.0.1:6379")
_CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def libpq_url(database: str) -> str:
    return f"{PG_ADMIN.rsplit('/', 1)[0]}/{database}"


def sqlalchemy_url(database: str) -> str:
    return libpq_url(database).replace("postgresql://", "postgresql+psycopg://", 1)


@contextmanager
def throwaway_database(prefix: str = "sia_bench") -> Iterator[str]:
    """A new empty PostgreSQL database; its name. Dropped afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def environment(work: Path, database: str, port: int, redis_db: int) -> dict[str, str]:
    """The settings of every process of one bench run."""
    return {
        "SIA_VAR_DIR": str(work / "var"),
        "SIA_DATABASE_URL": sqlalchemy_url(database),
        "SIA_BROKER_URL": f"{REDIS}/{redis_db}",
        "SIA_RESULT_BACKEND": f"{REDIS}/{redis_db}",
        "SIA_MAIL_URL": f"file://{work / 'mail'}",
        "SIA_BASE_URL": f"http://127.0.0.1:{port}",
    }


@contextmanager
def running(env: dict[str, str], *commands: list[str], log: Path | None = None) -> Iterator[None]:
    """`sia <command>` processes with ``env`` until the block ends."""
    child_env = {**os.environ, **env}
    processes = []
    with (log or Path(os.devnull)).open("ab") as out:
        try:
            for command in commands:
                processes.append(
                    subprocess.Popen(
                        [sys.executable, "-m", "cli.main", *command],
                        env=child_env,
                        stdout=out,
                        stderr=subprocess.STDOUT,
                    )
                )
            yield
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                try:
                    process.wait(30)
                except subprocess.TimeoutExpired:  # still draining requests: enough
                    process.kill()
                    process.wait()


def wait_healthy(base: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{base} did not become healthy in {seconds:.0f} s")


def staff_sign_in(client: httpx.Client, email: str, password: str) -> None:
    """GET the form (its CSRF cookie and field), then POST it; the client keeps the session."""
    form = client.get("/ingresar")
    token = _CSRF_FIELD.search(form.text)
    assert token, "the sign-in form carries no CSRF field"
    data = {"email": email, "password": password, "csrf_token": token.group(1)}
    response = client.post("/ingresar", data=data)
    if response.status_code != 303:
        raise SystemExit(f"staff sign-in failed: {response.status_code} {response.text[:200]}")


def vendor_awaiting_evidence(
    session: Session, rfc: str, password_hash: str, domain: str, razon_social: str | None = None
) -> tuple[str, GeneratedTestSet]:
    """A vendor (with that SIA password hash) whose certification has its round-1 test set
    sent and waits for evidence: the certification's folio and the test set as generated."""
    from core.clock import utcnow
    from rules.testsets.generate import GeneratedTestSet, SandboxPatron
    from schema import Organization, OrganizationKind
    from workflow.state_machine import Event, open_certification, transition
    from workflow.testsets import create_test_set

    vendor = Organization(
        kind=OrganizationKind.DESARROLLADOR,
        rfc=rfc,
        razon_social=razon_social or f"Desarrollador {rfc}",
        email=f"{rfc.lower()}@{domain}",
        sia_password_hash=password_hash,
    )
    session.add(vendor)
    session.flush()
    certification = open_certification(session, vendor, actor="bench")
    row = create_test_set(session, certification, vendor, 1, utcnow()).test_set
    transition(session, certification, Event.TEST_SET_SENT, actor="bench")
    generated = GeneratedTestSet(
        row.document,
        row.answers,
        tuple(row.avisos_responses),
        SandboxPatron(row.patron_rfc, row.patron_nrp, ""),
    )
    return certification.folio, generated
