"""Evidence throughput with 1 and then 2 worker processes, each as if on a machine of its own.

``python -m bench.scale_out [--uploads N]``. Against a throwaway PostgreSQL database and Redis
database 15, starts `sia web` and prepares certifications waiting for evidence, each with the
realistic workbook of its own round (``bench.workbooks.realistic_workbook``: ~5 MiB, 200 signed
responses, ~7,000 tab-2 rows, eight screenshots). Then, for 1 and then 2
`sia worker --concurrency 1` processes: one upload per worker warms them (untimed). The bench
then pauses the workers: Celery remote control from the bench, ``cancel_consumer`` of each queue
they consume from (the examination's and the others, so that none is left waiting on a queue in
a BRPOP of up to a second when they resume), until none lists a queue and none waits in a BRPOP.
It uploads N workbooks through the vendor API, four at a time, and waits until every upload has
had its 202 and the examination queue holds all N tasks (so the web has queued them all and no
worker took one). Then ``add_consumer`` resumes every worker at once, the examination queue
first. Timed: from that resume to the last verdict (``checked_at``). The runs go 1, 2, 2, 1
workers, so that a drift in what else loads the machine weighs on both alike; throughput is
uploads over time, summed per number of workers. Every verdict must be the planted one.

What is timed is the workers draining one batch, which is what issue 17's goal is about. The
web's work on each upload (parsing 5 MiB of multipart, storing the blob) and the uploader's are
done before the timed window: on a machine with few cores they would otherwise take cores from
the workers and weigh on the ratio as much as the workers' scaling. Within the window the web is
idle and the bench only polls for verdicts; what the workers share is PostgreSQL and Redis.

Every process has a var dir (storage dir, mail) of its own: they share only PostgreSQL and Redis,
plus what an operator gives every machine (``SIA_SECRET_KEY`` and a copy of the avisos key), and
the bench counts the stored files left on those disks (goal: none).

Goal (issue 17): 2 worker processes ≥ 1.8 × the throughput of 1. Each examination is CPU-bound,
so the goal needs two cores free for the workers besides what PostgreSQL uses.
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
from typing import TYPE_CHECKING, Any, cast

import httpx
import redis
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from kombu.exceptions import ChannelError
from kombu.transport.virtual import Channel

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

if TYPE_CHECKING:
    from celery import Celery

REDIS_DB = 15  # not the suite's (1-2, 5-6, 9-10, 13-14) nor another bench's
UPLOADS = 8
RUNS = (1, 2, 2, 1)  # worker processes of each run
UPLOADERS = 4
GOAL_RATIO = 1.8
VENDOR_PASSWORD = "bench"
STORED_AREAS = {"evidencias", "capturas", "miniaturas", "cfdi", "acuses", "adjuntos"}
VERDICT_TIMEOUT_S = 600
CONTROL_TIMEOUT_S = 10


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
    from sqlmodel import Session, col, func, select

    from bench.workbooks import only_planted
    from core.db import get_engine
    from schema import EvidenceSubmission, Finding, SubmissionStatus

    ours = col(EvidenceSubmission.id).in_(ids)
    deadline = time.monotonic() + VERDICT_TIMEOUT_S
    with Session(get_engine()) as session:
        # Counted, not loaded: an examined row holds its whole reading, and loading those ten
        # times a second costs PostgreSQL and the bench about half a core the workers would miss.
        waiting = (
            select(func.count())
            .select_from(EvidenceSubmission)
            .where(ours, EvidenceSubmission.status == SubmissionStatus.RECIBIDA)
        )
        while session.exec(waiting).one():
            if time.monotonic() > deadline:
                raise SystemExit(f"no verdict for every upload in {VERDICT_TIMEOUT_S} s")
            session.rollback()  # a fresh snapshot on the next look
            time.sleep(0.1)
        verdicts = session.exec(
            select(
                EvidenceSubmission.id, EvidenceSubmission.status, EvidenceSubmission.checked_at
            ).where(ours)
        ).all()
        for submission, status, _ in verdicts:
            codes = session.exec(
                select(Finding.code).where(Finding.submission_id == submission)
            ).all()
            if status is not SubmissionStatus.ACEPTADA or not only_planted(codes):
                raise SystemExit(f"submission {submission}: {status}, {sorted(set(codes))}")
        return max(checked_at.timestamp() for _, _, checked_at in verdicts if checked_at)


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


def _answers(app: Celery, command: str, count: int, **arguments: Any) -> list[Any]:
    """What each of the ``count`` workers answered to the control ``command``."""
    # One reply per worker, counted: a worker that did not answer must stop the bench.
    replies = app.control.broadcast(
        command, arguments, reply=True, limit=count, timeout=CONTROL_TIMEOUT_S
    )
    if len(replies or []) != count:
        raise SystemExit(f"{command}: {len(replies or [])} of {count} workers answered")
    return [answer for reply in replies or [] for answer in reply.values()]


def _consumers(app: Celery, queues: list[str], count: int, command: str) -> None:
    """``add_consumer`` or ``cancel_consumer`` of each of ``queues``, in that order, on all
    ``count`` workers."""
    for queue in queues:
        refused = [a for a in _answers(app, command, count, queue=queue) if "ok" not in a]
        if refused:
            raise SystemExit(f"{command} {queue}: {refused}")


def _consumed(app: Celery, count: int) -> set[str]:
    """The queues any of the ``count`` workers takes tasks from."""
    return {q["name"] for queues in _answers(app, "active_queues", count) for q in queues}


def _blocked_in_brpop(client: redis.Redis) -> bool:
    return any(
        c["db"] == str(REDIS_DB) and c["cmd"] == "brpop" and "b" in c["flags"]
        for c in client.client_list()
    )


def _paused(app: Celery, count: int) -> list[str]:
    """Stop all ``count`` workers taking tasks; the queues they took them from."""
    # Every queue, not only the examination's: a worker left consuming from another waits on it
    # in a BRPOP of up to a second, and would start examining that much after the resume.
    queues = sorted(_consumed(app, count))
    _consumers(app, queues, count, "cancel_consumer")
    # A worker answers before it cancels (on its event loop's next turn), and a BRPOP it sent
    # before then can still pop a task (which it puts back): wait until neither is left.
    deadline = time.monotonic() + CONTROL_TIMEOUT_S
    with redis.Redis.from_url(f"{REDIS}/{REDIS_DB}") as client:
        while _consumed(app, count) or _blocked_in_brpop(client):
            if time.monotonic() > deadline:
                raise SystemExit("the workers still take tasks after cancel_consumer")
            time.sleep(0.1)
    return queues


def _all_waiting(app: Celery, queue: str, expected: int) -> None:
    """Wait until ``queue`` holds ``expected`` tasks: every upload's task sent, none taken."""
    deadline = time.monotonic() + CONTROL_TIMEOUT_S
    with app.connection_for_read() as connection:
        # Redis is one of kombu's virtual transports; a passive declare only counts.
        channel = cast(Channel, connection.default_channel)
        while True:
            try:
                declared = channel.queue_declare(queue=queue, passive=True)
                waiting = int(declared.message_count)
            except ChannelError:  # Redis drops an empty list: nothing is waiting
                waiting = 0
            if waiting == expected:
                return
            if waiting > expected or time.monotonic() > deadline:
                raise SystemExit(f"{waiting} tasks in {queue} while paused, not {expected}")
            time.sleep(0.1)


def _timed(base: str, machines: _Machines, run: int, count: int, batch: list[_Upload]) -> float:
    """Seconds ``count`` worker processes take to drain ``batch`` but its first ``count``
    uploads (one per worker process, which warm them), all uploaded before they resume."""
    from workers.app import app
    from workflow.evidence import EXAMINE_TASK

    queue = app.amqp.router.route({}, EXAMINE_TASK)["queue"].name
    warm, timed = batch[:count], batch[count:]
    with _workers(machines, run, count), ThreadPoolExecutor(UPLOADERS) as pool:
        _examined(list(pool.map(lambda u: _upload(base, u), warm)))
        queues = _paused(app, count)
        ids = list(pool.map(lambda u: _upload(base, u), timed))
        _all_waiting(app, queue, len(timed))
        start = time.time()
        # The examinations' queue first: each worker then waits on it alone and takes a task at
        # once, rather than after a BRPOP on the others has timed out.
        _consumers(app, sorted(queues, key=lambda q: q != queue), count, "add_consumer")
        finished = _examined(ids)
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
                    took = _timed(base, machines, run, count, batch)
                    print(f"run {run}, {count} × worker: {took:.1f} s", flush=True)
                    seconds[count] += took
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
