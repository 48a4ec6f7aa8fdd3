"""Load: 200 concurrent clients for 60 s against `sia web --workers 2` on PostgreSQL + Redis,
mixing staff sign-ins, vendors polling their upload's status (HTTP Basic, an argon2 check each)
and uploads, while a probe asks /healthz ten times a second.

Goals (issue 18): no server error at all, and /healthz p99 ≤ 200 ms throughout.
`python -m bench.load [--clients N] [--seconds S] [--vendors V]`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import shutil
import statistics
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
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
    throwaway_database,
    vendor_awaiting_evidence,
    wait_healthy,
)

REDIS_DB = 11
HEALTH_P99_MS = 200.0
STAFF_EMAIL, STAFF_PASSWORD = "carga@infonavit.example", "contraseña-de-carga-larga"
VENDOR_PASSWORD = "contraseña-sia-de-carga"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass(frozen=True)
class Vendor:
    rfc: str
    folio: str
    workbook: bytes


@dataclass
class Tally:
    statuses: Counter[str] = field(default_factory=Counter)
    failures: Counter[str] = field(default_factory=Counter)  # no answer at all
    latencies: dict[str, list[float]] = field(default_factory=dict)
    health: list[float] = field(default_factory=list)
    health_statuses: Counter[int] = field(default_factory=Counter)

    def record(self, kind: str, status: int, seconds: float) -> None:
        self.statuses[f"{kind} {status}"] += 1
        self.latencies.setdefault(kind, []).append(seconds)


def _prepare(env: dict[str, str], vendors: int) -> list[Vendor]:
    """Migrate; one staff member; ``vendors`` certifications waiting for evidence."""
    os.environ.update(env)
    from sqlmodel import Session

    from core.db import get_engine
    from core.security import hash_password
    from rules.identities import fake_persona
    from schema import StaffRole, StaffUser
    from schema.migrate import upgrade
    from tests.evidence.checks.builder import evidence_spec
    from tests.evidence.fixtures.build import build_xlsx

    upgrade(env["SIA_DATABASE_URL"])
    rng = random.Random(18)
    prepared = []
    hashed = hash_password(VENDOR_PASSWORD)
    with Session(get_engine(), expire_on_commit=False) as session:
        session.add(
            StaffUser(
                email=STAFF_EMAIL,
                full_name="Carga",
                role=StaffRole.REVISOR,
                password_hash=hash_password(STAFF_PASSWORD),
            )
        )
        rfcs = {
            fake_persona(rng, born_from=date(1960, 1, 1), born_to=date(1995, 12, 31)).rfc
            for _ in range(vendors * 2)
        }
        for rfc in sorted(rfcs)[:vendors]:
            folio, gen = vendor_awaiting_evidence(session, rfc, hashed, "carga.example")
            prepared.append(Vendor(rfc, folio, build_xlsx(evidence_spec(gen))))
        session.commit()
    return prepared


async def _upload(client: httpx.AsyncClient, vendor: Vendor) -> httpx.Response:
    return await client.post(
        f"/api/v1/certificaciones/{vendor.folio}/evidencias",
        files={"archivo": ("evidencias.xlsx", vendor.workbook)},
        auth=(vendor.rfc, VENDOR_PASSWORD),
    )


async def _sign_in(client: httpx.AsyncClient) -> httpx.Response:
    form = await client.get("/ingresar")
    found = CSRF.search(form.text)
    token = found.group(1) if found else ""
    data = {"email": STAFF_EMAIL, "password": STAFF_PASSWORD, "csrf_token": token}
    return await client.post("/ingresar", data=data)


async def _client(
    base: str, vendors: list[Vendor], uploads: dict[str, int], until: float, tally: Tally
) -> None:
    rng = random.Random()
    async with httpx.AsyncClient(base_url=base, timeout=120) as client:
        while time.monotonic() < until:
            roll = rng.random()
            vendor = rng.choice(vendors)
            start = time.monotonic()
            try:
                if roll < 0.10:
                    kind, response = "inicio de sesión", await _sign_in(client)
                    client.cookies.clear()
                elif roll < 0.85:
                    kind = "consulta de estado"
                    response = await client.get(
                        f"/api/v1/evidencias/{uploads[vendor.folio]}",
                        auth=(vendor.rfc, VENDOR_PASSWORD),
                    )
                else:
                    kind, response = "carga", await _upload(client, vendor)
            except httpx.HTTPError as exc:
                tally.failures[type(exc).__name__] += 1
                continue
            tally.record(kind, response.status_code, time.monotonic() - start)


async def _probe(base: str, until: float, tally: Tally) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        while time.monotonic() < until:
            start = time.monotonic()
            try:
                response = await client.get("/healthz")
                tally.health_statuses[response.status_code] += 1
            except httpx.HTTPError as exc:
                tally.failures[f"healthz {type(exc).__name__}"] += 1
            tally.health.append(time.monotonic() - start)
            await asyncio.sleep(0.1)


async def _run(base: str, vendors: list[Vendor], clients: int, seconds: float) -> Tally:
    tally = Tally()
    async with httpx.AsyncClient(base_url=base, timeout=120) as client:
        uploads = {}
        for vendor in vendors:
            response = await _upload(client, vendor)
            assert response.status_code == 202, response.text
            uploads[vendor.folio] = int(response.json()["id"])
    until = time.monotonic() + seconds
    await asyncio.gather(
        _probe(base, until, tally),
        *(_client(base, vendors, uploads, until, tally) for _ in range(clients)),
    )
    return tally


def _ms(samples: list[float], q: int) -> float:
    ordered = sorted(samples)
    return 1000 * ordered[min(len(ordered) - 1, len(ordered) * q // 100)]


def _report(tally: Tally, clients: int, seconds: float) -> bool:
    total = sum(tally.statuses.values())
    errors = sum(n for key, n in tally.statuses.items() if key.rsplit(" ", 1)[1].startswith("5"))
    errors += sum(n for code, n in tally.health_statuses.items() if code >= 500)
    print(f"clients: {clients} for {seconds:.0f} s on {os.cpu_count()} cores, sia web --workers 2")
    print(f"requests answered: {total} ({total / seconds:.0f}/s)")
    for key, count in sorted(tally.statuses.items()):
        print(f"  {key}: {count}")
    for kind, samples in sorted(tally.latencies.items()):
        print(
            f"  {kind}: p50 {_ms(samples, 50):.0f} ms, p99 {_ms(samples, 99):.0f} ms "
            f"(median of {len(samples)}: {statistics.median(samples):.2f} s)"
        )
    if tally.failures:
        print(f"no answer: {dict(tally.failures)}")
    p99 = _ms(tally.health, 99)
    print(f"/healthz: {len(tally.health)} probes, {dict(tally.health_statuses)}")
    record("load: requests answered", total / seconds, "requests/s")
    record("load: /healthz p50", _ms(tally.health, 50), "ms")
    met = [
        record("load: server errors", errors, "responses", "0", errors == 0),
        record("load: requests without an answer", sum(tally.failures.values()), "requests",
               "0", not tally.failures),
        record("load: /healthz p99", p99, "ms", f"≤ {HEALTH_P99_MS:.0f} ms", p99 <= HEALTH_P99_MS),
    ]  # fmt: skip
    return all(met)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--vendors", type=int, default=40)
    args = parser.parse_args()
    redis.Redis.from_url(f"{REDIS}/{REDIS_DB}").flushdb()
    work = Path(tempfile.mkdtemp(prefix="sia-load-"))
    port = free_port()
    try:
        with throwaway_database("sia_load") as database:
            env = environment(work, database, port, REDIS_DB)
            vendors = _prepare(env, args.vendors)
            with running(env, ["web", "--port", str(port), "--workers", "2"]):
                base = f"http://127.0.0.1:{port}"
                wait_healthy(base)
                tally = asyncio.run(_run(base, vendors, args.clients, args.seconds))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if not _report(tally, args.clients, args.seconds):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
