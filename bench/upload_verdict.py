"""Upload → verdict visible through the API, on PostgreSQL + Redis with one worker process.

Starts `sia web` and `sia worker --concurrency 1` against a throwaway PostgreSQL database and
Redis database 12, prepares 20 certifications waiting for evidence, uploads a correct workbook
for each (one after another) and polls the reviewer API until the verdict shows.
Targets: p50 ≤ 3 s; one guarded child process per upload (the worker logs one line per child).
"""

from __future__ import annotations

import os
import shutil
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

import httpx
import redis

from bench.support import (
    REDIS,
    environment,
    free_port,
    running,
    staff_sign_in,
    throwaway_database,
    wait_healthy,
)

REDIS_DB = 12
UPLOADS = 20
TARGET_P50 = 3.0
STAFF_EMAIL, STAFF_PASSWORD = "bench@infonavit.example", "contraseña-de-bench-larga"


def _prepare(env: dict[str, str]) -> list[tuple[str, str, bytes]]:
    """Migrate, create staff and UPLOADS certifications; returns (folio, rfc, workbook) each."""
    os.environ.update(env)
    from sqlmodel import Session

    from core.clock import utcnow
    from core.db import get_engine
    from core.security import hash_password
    from rules.identities import fake_persona
    from rules.testsets.generate import GeneratedTestSet, SandboxPatron
    from schema import Organization, OrganizationKind, StaffRole, StaffUser
    from schema.migrate import upgrade
    from tests.evidence.checks.builder import evidence_spec
    from tests.evidence.fixtures.build import build_xlsx
    from workflow.state_machine import Event, open_certification, transition
    from workflow.testsets import create_test_set

    upgrade(env["SIA_DATABASE_URL"])
    import random

    rng = random.Random(2026)
    prepared = []
    with Session(get_engine(), expire_on_commit=False) as session:
        session.add(
            StaffUser(
                email=STAFF_EMAIL,
                full_name="Bench",
                role=StaffRole.REVISOR,
                password_hash=hash_password(STAFF_PASSWORD),
            )
        )
        hashed = hash_password("bench")
        for _ in range(UPLOADS):
            rfc = fake_persona(rng, born_from=date(1960, 1, 1), born_to=date(1995, 12, 31)).rfc
            vendor = Organization(
                kind=OrganizationKind.DESARROLLADOR,
                rfc=rfc,
                razon_social=f"Desarrollador {rfc}",
                email=f"{rfc.lower()}@bench.example",
                sia_password_hash=hashed,
            )
            session.add(vendor)
            session.flush()
            cert = open_certification(session, vendor, actor="bench")
            now = utcnow()
            issued = create_test_set(session, cert, vendor, 1, now)
            transition(session, cert, Event.TEST_SET_SENT, actor="bench")
            row = issued.test_set
            gen = GeneratedTestSet(
                row.document,
                row.answers,
                tuple(row.avisos_responses),
                SandboxPatron(row.patron_rfc, row.patron_nrp, ""),
            )
            prepared.append((cert.folio, rfc, build_xlsx(evidence_spec(gen))))
        session.commit()
    return prepared


def main() -> None:
    redis.Redis.from_url(f"{REDIS}/{REDIS_DB}").flushdb()
    work = Path(tempfile.mkdtemp(prefix="sia-bench-"))
    port = free_port()
    worker_log = work / "worker.log"
    try:
        with throwaway_database() as database:
            env = environment(work, database, port, REDIS_DB)
            prepared = _prepare(env)
            web = ["web", "--port", str(port)]
            worker = ["worker", "--concurrency", "1", "--loglevel", "INFO"]
            with running(env, web), running(env, worker, log=worker_log):
                base = f"http://127.0.0.1:{port}"
                wait_healthy(base)
                staff = httpx.Client(base_url=base, timeout=30)
                staff_sign_in(staff, STAFF_EMAIL, STAFF_PASSWORD)
                time.sleep(2)  # let the worker connect before the first measurement
                latencies = _upload_all(base, staff, prepared)
        children = worker_log.read_text(errors="replace").count("examined in a child process")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    p50 = statistics.median(latencies)
    p90 = statistics.quantiles(latencies, n=10)[-1]
    print(
        f"uploads: {UPLOADS} (workbook ~{len(prepared[0][2]) // 1024} KiB), "
        f"one worker process, {os.cpu_count()} cores"
    )
    print(f"upload → verdict: p50 {p50:.2f} s, p90 {p90:.2f} s, max {max(latencies):.2f} s")
    print(f"target p50 ≤ {TARGET_P50:.0f} s: {'met' if p50 <= TARGET_P50 else 'NOT met'}")
    print(
        f"guarded child processes: {children} for {UPLOADS} uploads "
        f"(target one per upload: {'met' if children == UPLOADS else 'NOT met'})"
    )
    if p50 > TARGET_P50 or children != UPLOADS:
        raise SystemExit(1)


def _upload_all(
    base: str, staff: httpx.Client, prepared: list[tuple[str, str, bytes]]
) -> list[float]:
    """Each workbook uploaded, then the reviewer API polled until its verdict shows."""
    latencies = []
    for folio, rfc, workbook in prepared:
        start = time.perf_counter()
        response = httpx.post(
            f"{base}/api/v1/certificaciones/{folio}/evidencias",
            files={"archivo": ("evidencias.xlsx", workbook)},
            auth=(rfc, "bench"),
            timeout=30,
        )
        assert response.status_code == 202, response.text
        url = f"/api/v1/revision/evidencias/{response.json()['id']}"
        while True:
            body = staff.get(url).json()
            if body["veredicto"]:
                break
            if time.perf_counter() - start > 60:
                raise SystemExit(f"no verdict after 60 s for {folio}: {body['estado']}")
            time.sleep(0.05)
        assert body["veredicto"] == "sin_inconsistencias", body["hallazgos"][:3]
        latencies.append(time.perf_counter() - start)
    return latencies


if __name__ == "__main__":
    main()
