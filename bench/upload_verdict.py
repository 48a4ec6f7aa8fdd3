"""Upload → verdict visible through the API, on PostgreSQL + Redis with one worker process.

``python -m bench.upload_verdict [--uploads N]``. Starts `sia web` and
`sia worker --concurrency 1` against a throwaway PostgreSQL database and Redis database 12 and
prepares 2 × N certifications waiting for evidence, each with its own test set signed by the
deployment's key. Half get the small correct workbook of their round (a few KiB,
``bench.workbooks.small_workbook``), half the realistic one near the 5 MiB limit
(``bench.workbooks.realistic_workbook``: 200 responses signed with that key, ~7,000 tab-2 rows,
eight screenshots). They are uploaded one after another, small and large in turn, each through
the vendor's evidence API, and the reviewer API is polled until the verdict shows, which must be
the expected one: no findings for the small workbook, exactly the planted ones for the large.

Goals: p50 ≤ 2 s for the 5 MiB workbook (issue 17; the small one's p50 is informational); one
guarded examination per upload (issue 10: the worker logs one line per examination, with its
duration, recorded too so that the examination can be told from the rest of the path). Exits 1
when one is missed.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import statistics
import tempfile
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import httpx
import redis

from bench.report import record
from bench.support import (
    REDIS,
    environment,
    free_port,
    running,
    staff_sign_in,
    throwaway_database,
    vendor_awaiting_evidence,
    wait_healthy,
)

REDIS_DB = 12
UPLOADS = 20  # of each size
TARGET_P50_S = 2.0
POLL_S = 0.05
STAFF_EMAIL, STAFF_PASSWORD = "bench@infonavit.example", "contraseña-de-bench-larga"
SMALL, LARGE = "small workbook", "5 MiB workbook"
# Named apart so that the worker's log line of each examination tells the sizes apart.
FILENAMES = {SMALL: "evidencias.xlsx", LARGE: "evidencias-5mib.xlsx"}
EXAMINED = re.compile(r"(\S+) examined in a child process in ([\d.]+) s")


@dataclass(frozen=True)
class _Upload:
    folio: str
    rfc: str
    size: str  # SMALL or LARGE
    workbook: bytes


def _prepare(env: dict[str, str], uploads: int) -> list[_Upload]:
    """Migrate, create staff and 2 × ``uploads`` certifications with their workbooks."""
    os.environ.update(env)
    from sqlmodel import Session

    from bench.workbooks import realistic_workbook, small_workbook
    from core.db import get_engine
    from core.keys import avisos_keypair
    from core.security import hash_password
    from rules.identities import fake_persona
    from schema import StaffRole, StaffUser
    from schema.migrate import upgrade

    upgrade(env["SIA_DATABASE_URL"])
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
        private_key, _ = avisos_keypair()
        for n in range(2 * uploads):
            rfc = fake_persona(rng, born_from=date(1960, 1, 1), born_to=date(1995, 12, 31)).rfc
            folio, gen = vendor_awaiting_evidence(session, rfc, hashed, "bench.example")
            if n % 2:
                prepared.append(_Upload(folio, rfc, LARGE, realistic_workbook(gen, private_key)))
            else:
                prepared.append(_Upload(folio, rfc, SMALL, small_workbook(gen)))
        session.commit()
    return prepared


def _verdict_ok(upload: _Upload, body: dict[str, object]) -> bool:
    from bench.workbooks import only_planted

    findings = body["hallazgos"]
    assert isinstance(findings, list)
    if upload.size == SMALL:
        return body["veredicto"] == "sin_inconsistencias" and not findings
    return only_planted([str(f["codigo"]) for f in findings])


def _upload_all(base: str, staff: httpx.Client, prepared: list[_Upload]) -> dict[str, list[float]]:
    """Each workbook uploaded, then the reviewer API polled until its verdict shows."""
    latencies: dict[str, list[float]] = {SMALL: [], LARGE: []}
    for upload in prepared:
        start = time.perf_counter()
        response = httpx.post(
            f"{base}/api/v1/certificaciones/{upload.folio}/evidencias",
            files={"archivo": (FILENAMES[upload.size], upload.workbook)},
            auth=(upload.rfc, "bench"),
            timeout=30,
        )
        assert response.status_code == 202, response.text
        url = f"/api/v1/revision/evidencias/{response.json()['id']}"
        while True:
            body = staff.get(url).json()
            if body["veredicto"]:
                break
            if time.perf_counter() - start > 60:
                raise SystemExit(f"no verdict after 60 s for {upload.folio}: {body['estado']}")
            time.sleep(POLL_S)
        latencies[upload.size].append(time.perf_counter() - start)
        if not _verdict_ok(upload, body):
            codes = sorted({f["codigo"] for f in body["hallazgos"]})
            raise SystemExit(f"{upload.size} {upload.folio}: {body['veredicto']}, {codes}")
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--uploads", type=int, default=UPLOADS, help="uploads of each size")
    args = parser.parse_args()
    redis.Redis.from_url(f"{REDIS}/{REDIS_DB}").flushdb()
    work = Path(tempfile.mkdtemp(prefix="sia-bench-"))
    port = free_port()
    worker_log = work / "worker.log"
    try:
        with throwaway_database() as database:
            env = environment(work, database, port, REDIS_DB)
            prepared = _prepare(env, args.uploads)
            web = ["web", "--port", str(port)]
            worker = ["worker", "--concurrency", "1", "--loglevel", "INFO"]
            web_log = work / "web.log"
            with running(env, web, log=web_log), running(env, worker, log=worker_log):
                base = f"http://127.0.0.1:{port}"
                try:
                    wait_healthy(base)
                except SystemExit:
                    print(web_log.read_text(errors="replace")[-3000:])
                    raise
                staff = httpx.Client(base_url=base, timeout=30)
                staff_sign_in(staff, STAFF_EMAIL, STAFF_PASSWORD)
                time.sleep(2)  # let the worker connect before the first measurement
                latencies = _upload_all(base, staff, prepared)
        examined = EXAMINED.findall(worker_log.read_text(errors="replace"))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    sizes = {u.size: len(u.workbook) for u in prepared}
    print(
        f"uploads: {args.uploads} of each size ({sizes[SMALL] / 1024:.0f} KiB and "
        f"{sizes[LARGE] / 1024 / 1024:.2f} MiB) in turn, one worker process, "
        f"{os.cpu_count()} cores"
    )
    ok = True
    for size, samples in latencies.items():
        p50 = statistics.median(samples)
        goal, met = (
            (f"≤ {TARGET_P50_S:.0f} s", p50 <= TARGET_P50_S) if size == LARGE else ("", None)
        )
        ok &= record(f"upload_verdict: {size}, upload → verdict p50", p50, "s", goal, met)
        if len(samples) > 1:
            p90 = statistics.quantiles(samples, n=10, method="inclusive")[-1]
            record(f"upload_verdict: {size}, upload → verdict p90", p90, "s")
        record(f"upload_verdict: {size}, upload → verdict max", max(samples), "s")
        in_worker = [float(seconds) for name, seconds in examined if name == FILENAMES[size]]
        if in_worker:
            what = f"upload_verdict: {size}, guarded examination in the worker (its log), p50"
            record(what, statistics.median(in_worker), "s")
    uploads = 2 * args.uploads
    ok &= record(
        "upload_verdict: guarded examinations",
        len(examined) / uploads,
        "per upload",
        "1 per upload (one parse each)",
        len(examined) == uploads,
    )
    if not ok:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
