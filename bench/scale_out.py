"""Evidence throughput with 1 and then 2 worker processes, each as if on a machine of its own.

``python -m bench.scale_out [--uploads N]``. Against a throwaway PostgreSQL database and Redis
database 15, starts `sia web` and prepares certifications waiting for evidence, each with the
realistic workbook of its own round (``bench.workbooks.realistic_workbook``: ~5 MiB, 200 signed
responses, ~7,000 tab-2 rows, eight screenshots). Then, for 1 and then 2
`sia worker --concurrency 1` processes: one upload per worker warms them (untimed), then N
workbooks are uploaded through the vendor API, four at a time, and timed from the first upload
to the last verdict. The runs go 1, 2, 2, 1 workers, so that a drift in what else loads the
machine weighs on both alike; throughput is uploads over time, summed per number of workers.
Every verdict must be the planted one.

Every process has a var dir (storage dir, mail) of its own: they share only PostgreSQL and Redis,
plus what an operator gives every machine (``SIA_SECRET_KEY`` and a copy of the avisos key), and
the bench counts the stored files left on those disks (goal: none).

Goal (issue 17): 2 worker processes ≥ 1.8 × the throughput of 1. Each examination is CPU-bound,
so the goal needs two cores free for the workers besides what the web and PostgreSQL use.
Exits 1 when a goal is missed.
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import shutil
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import date
from itertools import islice
from pathlib import Path

import httpx
import redis
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from bench.report import record
from bench.support import (
    REDIS,
    environment,
    free_port,
    running,
    throwaway_database,
    vendor_awaiting_evidence,
    wait_healthy,
)

REDIS_DB = 15  # not the suite's (1-2, 5-6, 9-10, 13-14) nor another bench's
UPLOADS = 8
RUNS = (1, 2, 2, 1)  # worker processes of each run
UPLOADERS = 4
GOAL_RATIO = 1.8
VENDOR_PASSWORD = "bench"
STORED_AREAS = {"evidencias", "capturas", "miniaturas", "cfdi", "acuses", "adjuntos"}
VERDICT_TIMEOUT_S = 600


@dataclass(frozen=True)
class _Upload:
    folio: str
    rfc: str
    workbook: bytes


class _Machines:
    """The environment of each process, each under a directory of its own as on its own host."""

    def __init__(self, work: Path, database: str, port: int) -> None:
        self.work, self.database, self.port = work, database, port
        self.secret = secrets.token_urlsafe(48)
        self.avisos_key = Ed25519PrivateKey.generate().private_bytes(
            Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()
        )

    def env(self, name: str) -> dict[str, str]:
        root = self.work / name
        root.mkdir()
        key = root / "avisos.pem"
        key.write_bytes(self.avisos_key)
        return environment(root, self.database, self.port, REDIS_DB) | {
            "SIA_SECRET_KEY": self.secret,
            "SIA_AVISOS_KEY_FILE": str(key),
        }

    def stored_files(self) -> int:
        """Stored files found on any machine's disk (evidence, screenshots, acuses, …)."""
        return sum(
            1
            for area in self.work.rglob("*")
            if area.is_dir() and area.name in STORED_AREAS
            for item in area.rglob("*")
            if item.is_file()
        )


def _prepare(env: dict[str, str], count: int) -> list[_Upload]:
    """Migrate and create ``count`` certifications waiting for evidence, with their workbooks."""
    os.environ.update(env)
    from sqlmodel import Session

    from bench.workbooks import realistic_workbook
    from core.db import get_engine
    from core.keys import avisos_keypair
    from core.security import hash_password
    from rules.identities import fake_persona
    from schema.migrate import upgrade

    upgrade(env["SIA_DATABASE_URL"])
    rng = random.Random(17)
    private_key, _ = avisos_keypair()
    hashed = hash_password(VENDOR_PASSWORD)
    prepared = []
    with Session(get_engine(), expire_on_commit=False) as session:
        for _ in range(count):
            rfc = fake_persona(rng, born_from=date(1960, 1, 1), born_to=date(1995, 12, 31)).rfc
            folio, gen = vendor_awaiting_evidence(session, rfc, hashed, "bench.example")
            prepared.append(_Upload(folio, rfc, realistic_workbook(gen, private_key)))
        session.commit()
    return prepared


def _upload(base: str, upload: _Upload) -> int:
    response = httpx.post(
        f"{base}/api/v1/certificaciones/{upload.folio}/evidencias",
        files={"archivo": ("evidencias.xlsx", upload.workbook)},
        auth=(upload.rfc, VENDOR_PASSWORD),
        timeout=60,
    )
    if response.status_code != 202:
        raise SystemExit(f"upload of {upload.folio}: {response.status_code} {response.text}")
    return int(response.json()["id"])


def _examined(ids: list[int]) -> float:
    """Wait until every submission in ``ids`` has its verdict, check each is the planted one;
    the moment (epoch seconds) the last was checked."""
    from sqlmodel import Session, col, select

    from bench.workbooks import only_planted
    from core.db import get_engine
    from schema import EvidenceSubmission, Finding, SubmissionStatus

    deadline = time.monotonic() + VERDICT_TIMEOUT_S
    with Session(get_engine()) as session:
        query = select(EvidenceSubmission).where(col(EvidenceSubmission.id).in_(ids))
        while True:
            submissions = session.exec(query).all()
            if all(s.status is not SubmissionStatus.RECIBIDA for s in submissions):
                break
            if time.monotonic() > deadline:
                raise SystemExit(f"no verdict for every upload in {VERDICT_TIMEOUT_S} s")
            session.rollback()  # a fresh snapshot on the next look
            time.sleep(0.1)
        for submission in submissions:
            codes = session.exec(
                select(Finding.code).where(Finding.submission_id == submission.id)
            ).all()
            if submission.status is not SubmissionStatus.ACEPTADA or not only_planted(codes):
                raise SystemExit(
                    f"submission {submission.id}: {submission.status}, {sorted(set(codes))}"
                )
        return max(s.checked_at.timestamp() for s in submissions if s.checked_at)


@contextmanager
def _workers(machines: _Machines, run: int, count: int) -> Iterator[None]:
    """``count`` `sia worker --concurrency 1` processes, each on its own "machine", ready."""
    with ExitStack() as stack:
        logs = []
        for n in range(count):
            env = machines.env(f"run-{run}-worker-{n + 1}")
            logs.append(Path(env["SIA_VAR_DIR"]).parent / "worker.log")
            command = ["worker", "--concurrency", "1", "--loglevel", "INFO"]
            stack.enter_context(running(env, command, log=logs[-1]))
        deadline = time.monotonic() + 120
        while not all(" ready." in log.read_text(errors="replace") for log in logs):
            if time.monotonic() > deadline:
                raise SystemExit(f"workers not ready in 120 s; logs under {machines.work}")
            time.sleep(0.2)
        yield


def _timed(base: str, machines: _Machines, run: int, count: int, batch: list[_Upload]) -> float:
    """Seconds to examine ``batch`` but its first ``count`` uploads (one per worker process,
    which warm them) through ``count`` worker processes."""
    warm, timed = batch[:count], batch[count:]
    with _workers(machines, run, count), ThreadPoolExecutor(UPLOADERS) as pool:
        _examined(list(pool.map(lambda u: _upload(base, u), warm)))
        start = time.time()
        finished = _examined(list(pool.map(lambda u: _upload(base, u), timed)))
    return finished - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--uploads", type=int, default=UPLOADS, help="timed uploads per run")
    args = parser.parse_args()
    redis.Redis.from_url(f"{REDIS}/{REDIS_DB}").flushdb()
    work = Path(tempfile.mkdtemp(prefix="sia-bench-scale-"))
    port = free_port()
    try:
        with throwaway_database() as database:
            machines = _Machines(work, database, port)
            web = machines.env("web")
            prepared = _prepare(web, sum(RUNS) + len(RUNS) * args.uploads)
            size = len(prepared[0].workbook) / 1024 / 1024
            print(
                f"runs of {', '.join(map(str, RUNS))} worker processes, each {args.uploads} timed "
                f"uploads of a {size:.2f} MiB workbook, {UPLOADERS} at a time; "
                f"{os.cpu_count()} cores"
            )
            base = f"http://127.0.0.1:{port}"
            seconds = dict.fromkeys(RUNS, 0.0)
            with running(web, ["web", "--port", str(port)], log=work / "web" / "web.log"):
                wait_healthy(base)
                waiting = iter(prepared)
                for run, count in enumerate(RUNS, start=1):
                    batch = list(islice(waiting, count + args.uploads))
                    seconds[count] += _timed(base, machines, run, count, batch)
            left_on_disk = machines.stored_files()
            load = os.getloadavg()[2]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    single, double = (RUNS.count(n) * args.uploads / seconds[n] for n in (1, 2))
    # What else ran meanwhile: with more runnable processes than cores, the ratio says little.
    record("scale_out: load average over the last 15 min", load, f"on {os.cpu_count()} cores")
    record("scale_out: evidence throughput, 1 worker process", single, "uploads/s")
    record("scale_out: evidence throughput, 2 worker processes", double, "uploads/s")
    ratio = double / single
    ok = record(
        "scale_out: throughput, 2 worker processes vs 1",
        ratio,
        "×",
        f"≥ {GOAL_RATIO}×",
        ratio >= GOAL_RATIO,
    )
    ok &= record(
        "scale_out: stored files on the machines' own disks",
        left_on_disk,
        "files",
        "0 (only PostgreSQL and Redis shared)",
        left_on_disk == 0,
    )
    if not ok:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
