"""The production avisos service at scale (issue 16): import rate, the plan of a page at 1/10 of
the size and at full size, and authenticated page requests over HTTP under concurrency.

``python -m bench.avisos_service [--avisos 10000000] [--patrones 1000000] [--clientes 50]
[--segundos 30] [--pares 200] [--rapido]``; ``--rapido`` is 100,000 avisos across 10,000
patrones and 10 s of load (what is not given explicitly).

1. **Import.** A throwaway PostgreSQL database, migrated. ``rules.synthetic`` streams the avisos
   (skewed: a few patrones with up to 100,000 avisos, most with a handful) in two steps, first
   1/10 of the total, then the rest. Each step is written to a JSON Lines file first (not timed)
   and then imported from it with ``workflow.avisos.imports.import_lines`` over
   ``read_lines`` — what `sia avisos import ARCHIVO` does — so the rate is the import's own, not
   the generator's (both are single-threaded Python on a 2-core machine). Memory stays bounded:
   one generator, one file on disk, the import's few batches. Goal ≥ 50,000 avisos/s.
2. **Plans.** After each step, ``VACUUM (ANALYZE) avisos``, then ``EXPLAIN (ANALYZE, BUFFERS)``
   of the page statement of ``workflow.avisos.service.avisos_page`` without filters (the same
   SQLAlchemy select, compiled for psycopg: ``WHERE (patron_nrp, id) > ($1, $2) AND patron_nrp
   <= $3 ORDER BY patron_nrp, id LIMIT $4`` with 101 = a page of 100 and one more to know
   «hayMas»), prepared once and run with a custom plan (the values known, psycopg's first
   executions) and with the generic plan (what PostgreSQL may settle on once psycopg prepares the
   statement), for: the heaviest patrón of the first step (its first page and a page from the
   middle of its avisos) and one of the lightest. The same three at full size: the goal is that
   every plan reads only an index that starts with the patrón (no primary-key walk, no
   sequential scan) and does the same work (shared buffers touched within ±2: one more level of
   the B-tree); the planner's cost is compared too (same: within 25 %), but it moves with the
   statistics ANALYZE samples, so it is shown, not judged.
3. **Load.** ``--pares`` certified vendors (a certification taken to Certificada through the
   state machine), each with a patrón of its own and a vigente relationship; a quarter of the
   patrones are the heaviest, the rest a random spread drawn as a random aviso's patrón (so in
   proportion to their avisos). One SIA password for all, hashed once (argon2 is slow on
   purpose). `sia web --workers 2` with Redis as the rate-limit store and
   ``SIA_AVISOS_PAGES_PER_MINUTE`` set far above what the bench can ask, so the service is
   measured rather than its limit. ``--clientes`` asyncio clients, each on a random pair: a
   session (outside the figures), then pages of 100 following «siguiente» while «hayMas» and
   starting over with no cursor, re-opening the session on 401, for ``--segundos``. Every page
   request counts, with its whole latency: one still running when the time is up is waited for
   (the client's timeout, 90 s, exceeds the web's database pool timeout), and requests/s is
   over the time until the last one ended (those answered before the time was up are shown
   too). Goals p99 ≤ 50 ms, ≥ 1,000 requests/s and no errors. The clients share the 2 cores
   with the web workers and PostgreSQL, so each sends its page requests over a keep-alive
   connection of its own, written and read by hand on asyncio streams (sessions go over httpx):
   httpx spent ~2.5 ms of CPU a request, more than the 2 cores at the goal's rate. The clients'
   CPU per page request is shown.

Exits 1 when a goal is missed. The database is dropped at the end, whatever happens.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import random
import re
import secrets
import shutil
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx
import psycopg
import redis
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from psycopg import sql
from sqlalchemy.dialects.postgresql import psycopg as psycopg_dialect
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bench.report import record
from bench.support import (
    REDIS,
    environment,
    free_port,
    libpq_url,
    running,
    throwaway_database,
    wait_healthy,
)
from core.clock import utcnow
from core.db import make_engine
from core.security import hash_password
from rules.identities import fake_persona
from rules.synthetic import synthetic_lines
from schema import (
    Organization,
    OrganizationKind,
)
from schema.migrate import upgrade
from tests.workflow.relationships.helpers import make_relationship
from workflow.avisos.imports import import_lines, read_lines
from workflow.avisos.service import AvisosQuery, page_select
from workflow.state_machine import Event, open_certification, transition

REDIS_DB = 13
SESSIONS_PATH = "/api/v1/produccion/sesiones"
AVISOS_PATH = "/api/v1/produccion/avisos"
PAGE = 100
INDEX = "ix_avisos_patron_nrp_id"
# Indexes that start with the patrón: a plan through either reads only that patrón's avisos (the
# (patrón, NSS, id) one, with a sort, is the planner's pick for a patrón with a handful).
PATRON_INDEXES = frozenset({INDEX, "ix_avisos_patron_nrp_nss_id"})
IMPORT_GOAL = 50_000.0  # avisos/s
P99_GOAL_MS = 50.0
RPS_GOAL = 1000.0
BUFFER_SLACK = 2  # one more B-tree level, and the heap page a page may straddle
COST_SLACK = 1.25
PAGES_PER_MINUTE = 1_000_000_000  # far above anything 2 cores can ask: the service is measured
CLIENT_TIMEOUT = 90.0  # beyond the web's database pool timeout (30 s): its errors show
WRITE_CHUNK = 5000  # lines per write of the generated file
SIA_PASSWORD = "contraseña-sia-del-banco-de-pruebas"
CERTIFIED = (Event.TEST_SET_SENT, Event.EVIDENCE_ACCEPTED, Event.APPROVED, Event.TERMS_SIGNED)
RAPIDO = {"avisos": 100_000, "patrones": 10_000, "segundos": 10.0}
DEFAULTS = {"avisos": 10_000_000, "patrones": 1_000_000, "segundos": 30.0}

_PARAM = re.compile(r"%\((\w+)\)s")
_NEXT = re.compile(rb'"siguiente"\s*:\s*"([^"]*)"')
_MORE = re.compile(rb'"hayMas"\s*:\s*(true|false)')
_AVISO = re.compile(rb'"folio"\s*:')
# A page request that got no answer: timed out (TimeoutError is an OSError), refused or reset,
# cut short (IncompleteReadError is an EOFError), a head beyond the reader's limit, or not HTTP.
_BROKEN = (OSError, EOFError, asyncio.LimitOverrunError, ValueError)


# ---------------------------------------------------------------------------- import and plans


def _n(value: float) -> str:
    return f"{value:,.0f}"


def _write(lines: Iterator[str], count: int, path: Path) -> tuple[int, float]:
    """The next ``count`` lines of the stream into ``path``; how many and how long."""
    started = time.perf_counter()
    written = 0
    with path.open("wb") as out:
        while written < count:
            chunk = list(itertools.islice(lines, min(WRITE_CHUNK, count - written)))
            if not chunk:
                break
            out.write("".join(chunk).encode("utf-8"))
            written += len(chunk)
    return written, time.perf_counter() - started


def _import(engine: Engine, lines: Iterator[str], count: int, path: Path, step: str) -> bool:
    written, generated = _write(lines, count, path)
    size = path.stat().st_size
    with path.open("rb") as stream:
        report = import_lines(engine, read_lines(stream))
    path.unlink()
    if report.errores_total or report.importadas != written:
        raise SystemExit(
            f"import {step}: {report.importadas} of {written} imported, "
            f"{report.errores_total} refused: {report.errores[:3]}"
        )
    rate = report.avisos_por_segundo
    print(
        f"import {step}: {_n(written)} avisos ({size / 2**20:,.0f} MiB of JSON Lines, generated "
        f"beforehand in {generated:.1f} s, not counted) in {report.segundos:.1f} s"
    )
    return record(f"avisos service: import {step}", rate, "avisos/s", f"≥ {_n(IMPORT_GOAL)}/s",
                  rate >= IMPORT_GOAL)  # fmt: skip


def _page_statement() -> tuple[str, list[str]]:
    """The page statement of ``avisos_page`` (no filters) as psycopg gets it, with $n
    placeholders for PREPARE; and the names of its parameters in that order."""
    statement = page_select(AvisosQuery(limite=PAGE))
    compiled = statement.compile(dialect=psycopg_dialect.dialect())
    names: list[str] = []

    def number(match: re.Match[str]) -> str:
        names.append(match.group(1))
        return f"${len(names)}"

    return _PARAM.sub(number, compiled.string), names


@dataclass(frozen=True)
class Case:
    label: str
    nrp: str
    after: int


@dataclass(frozen=True)
class Plan:
    text: list[str]
    indexes: frozenset[str]
    seq_scan: bool
    cost: float
    buffers: int  # shared blocks hit + read by the execution
    ms: float
    rows: int

    def summary(self) -> str:
        used = ", ".join(sorted(self.indexes)) or "no index"
        return (
            f"{used}{' + Seq Scan' if self.seq_scan else ''}; cost {self.cost:.2f}; "
            f"{self.buffers} buffers; {self.rows} rows in {self.ms:.3f} ms"
        )


def _walk(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield node
    for child in node.get("Plans", []):
        yield from _walk(child)


def _explain(conn: psycopg.Connection[Any], case: Case, mode: str, names: list[str]) -> Plan:
    conn.execute(sql.SQL("SET plan_cache_mode = {}").format(sql.Identifier(mode)))
    values = {"nrp": case.nrp, "after": case.after, "limit": PAGE + 1}
    execute = sql.SQL("EXECUTE pagina({})").format(
        sql.SQL(", ").join(sql.Literal(values[name]) for name in names)
    )
    as_json = sql.SQL("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {}").format(execute)
    conn.execute(as_json)  # warm: the figures are of a page whose blocks are cached
    row = conn.execute(as_json).fetchone()
    assert row is not None
    document = row[0] if isinstance(row[0], list) else json.loads(row[0])
    top = document[0]["Plan"]
    nodes = list(_walk(top))
    text = [
        str(r[0]) for r in conn.execute(sql.SQL("EXPLAIN (ANALYZE, BUFFERS) {}").format(execute))
    ]
    return Plan(
        text=text,
        indexes=frozenset(n["Index Name"] for n in nodes if "Index Name" in n),
        seq_scan=any(n["Node Type"] == "Seq Scan" for n in nodes),
        cost=float(top["Total Cost"]),
        buffers=int(top.get("Shared Hit Blocks", 0)) + int(top.get("Shared Read Blocks", 0)),
        ms=float(document[0]["Execution Time"]),
        rows=int(top["Actual Rows"]),
    )


def _cases(conn: psycopg.Connection[Any]) -> list[Case]:
    """The heaviest patrón (first page, and a page from the middle) and one of the lightest."""
    heavy = conn.execute(
        "SELECT patron_nrp, count(*) FROM avisos GROUP BY patron_nrp "
        "ORDER BY count(*) DESC, patron_nrp LIMIT 1"
    ).fetchone()
    light = conn.execute(
        "SELECT patron_nrp, count(*) FROM avisos GROUP BY patron_nrp "
        "ORDER BY count(*), patron_nrp LIMIT 1"
    ).fetchone()
    assert heavy is not None and light is not None
    middle = conn.execute(
        "SELECT id FROM avisos WHERE patron_nrp = %s ORDER BY id OFFSET %s LIMIT 1",
        (heavy[0], max(0, int(heavy[1]) // 2 - PAGE)),
    ).fetchone()
    assert middle is not None
    return [
        Case(f"heavy {heavy[0]} ({_n(heavy[1])} avisos), first page", heavy[0], 0),
        Case(f"heavy {heavy[0]}, page after id {middle[0]}", heavy[0], int(middle[0])),
        Case(f"light {light[0]} ({_n(light[1])} avisos), first page", light[0], 0),
    ]


Plans = dict[tuple[str, str], Plan]  # (case label, plan mode) → plan


def _plans(database: str, cases: list[Case], size: str) -> Plans:
    statement, names = _page_statement()
    plans: Plans = {}
    with psycopg.connect(libpq_url(database), autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE) avisos")
        sizes = conn.execute(
            "SELECT count(*), count(DISTINCT patron_nrp), pg_size_pretty(pg_table_size('avisos')), "
            f"pg_size_pretty(pg_relation_size('{INDEX}')) FROM avisos"
        ).fetchone()
        estimate = conn.execute(
            "SELECT n_distinct FROM pg_stats WHERE tablename = 'avisos' AND attname = 'patron_nrp'"
        ).fetchone()
        assert sizes is not None and estimate is not None
        # A generic plan's row estimate for patron_nrp = $1 is the rows over this estimate.
        shown = estimate[0] if estimate[0] >= 0 else -estimate[0] * sizes[0]
        print(
            f"plans at {size} ({_n(sizes[0])} avisos of {_n(sizes[1])} patrones, which ANALYZE "
            f"estimates at {_n(shown)}; table {sizes[2]}, {INDEX} {sizes[3]}; after VACUUM "
            "(ANALYZE))"
        )
        conn.execute(sql.SQL("PREPARE pagina AS {}").format(sql.SQL(statement)))
        for case in cases:
            for mode in ("force_custom_plan", "force_generic_plan"):
                plan = _explain(conn, case, mode, names)
                plans[(case.label, mode)] = plan
                print(f"  {case.label}, {mode.split('_')[1]} plan: {plan.summary()}")
                if mode == "force_custom_plan":
                    for line in plan.text:
                        print(f"      {line}")
    print(f"  statement ({', '.join(names)}): {' '.join(statement.split())}")
    return plans


def _compare(small: Plans, large: Plans, small_size: str, large_size: str) -> bool:
    """The goal is judged on the work done (the index, the buffers touched); the planner's cost
    estimate is shown beside it, but it moves with ANALYZE's sampled statistics."""
    print(f"plans, {small_size} → {large_size}:")
    misses = 0
    for key, before in small.items():
        after = large[key]
        indexed = all(
            p.indexes and p.indexes <= PATRON_INDEXES and not p.seq_scan for p in (before, after)
        )
        same_buffers = abs(after.buffers - before.buffers) <= BUFFER_SLACK
        same_cost = before.cost / COST_SLACK <= after.cost <= before.cost * COST_SLACK
        misses += not (indexed and same_buffers)
        print(
            f"  {key[0]}, {key[1].split('_')[1]}: buffers {before.buffers} → {after.buffers} "
            f"(same: {'yes' if same_buffers else 'NO'}), planner cost {before.cost:.2f} → "
            f"{after.cost:.2f} (same: {'yes' if same_cost else 'no'}), "
            f"{before.ms:.3f} → {after.ms:.3f} ms; an index on the patrón at both: "
            f"{'yes' if indexed else 'NO'}"
        )
    goal = (
        "every page plan reads an index on the patrón (no other) and does the same work at "
        f"{small_size} and {large_size} "
        f"(buffers within ±{BUFFER_SLACK})"
    )
    record("avisos pages: plans that miss the goal", misses, "plans", goal, misses == 0)
    return misses == 0


# ---------------------------------------------------------------------------- vendors and patrones


def _choose_patrones(database: str, pares: int) -> list[tuple[str, int]]:
    """A quarter the heaviest patrones, the rest a random aviso's patrón; (NRP, avisos)."""
    rng = random.Random(16)
    with psycopg.connect(libpq_url(database), autocommit=True) as conn:
        heavy = conn.execute(
            "SELECT patron_nrp FROM avisos GROUP BY patron_nrp "
            "ORDER BY count(*) DESC, patron_nrp LIMIT %s",
            (max(1, pares // 4),),
        ).fetchall()
        chosen = [str(nrp) for (nrp,) in heavy]
        seen = set(chosen)
        last = conn.execute("SELECT max(id) FROM avisos").fetchone()
        assert last is not None
        for _ in range(50 * pares):
            if len(chosen) >= pares:
                break
            found = conn.execute(
                "SELECT patron_nrp FROM avisos WHERE id >= %s ORDER BY id LIMIT 1",
                (rng.randint(1, int(last[0])),),
            ).fetchone()
            if found is not None and found[0] not in seen:
                seen.add(found[0])
                chosen.append(str(found[0]))
        counts: dict[str, int] = dict(
            conn.execute(
                "SELECT patron_nrp, count(*) FROM avisos WHERE patron_nrp = ANY(%s) "
                "GROUP BY patron_nrp",
                (chosen,),
            ).fetchall()
        )
    return [(nrp, int(counts[nrp])) for nrp in chosen]


@dataclass(frozen=True)
class Pareja:
    rfc: str
    nrp: str
    avisos: int


def _make_pairs(engine: Engine, patrones: list[tuple[str, int]]) -> list[Pareja]:
    """A certified vendor per patrón, the patrón with its portal account and a vigente
    relationship between them; every SIA password the same (hashed once)."""
    hashed = hash_password(SIA_PASSWORD)
    rng = random.Random(16)
    rfcs: set[str] = set()
    while len(rfcs) < 2 * len(patrones):
        persona = fake_persona(rng, born_from=date(1960, 1, 1), born_to=date(1995, 12, 31))
        rfcs.add(persona.rfc)
    ordered = sorted(rfcs)
    now = utcnow()
    pairs = []
    with Session(engine, expire_on_commit=False) as session:
        for i, (nrp, avisos) in enumerate(patrones):
            vendor = Organization(
                kind=OrganizationKind.DESARROLLADOR,
                rfc=ordered[2 * i],
                razon_social=f"Nóminas {ordered[2 * i]}",
                email=f"{ordered[2 * i].lower()}@banco.example",
                sia_password_hash=hashed,
            )
            patron = Organization(
                kind=OrganizationKind.PATRON,
                rfc=ordered[2 * i + 1],
                razon_social=f"Patrón {nrp}",
                nrp=nrp,
                email=f"{nrp.lower()}@banco.example",
                sia_password_hash=hashed,
            )
            session.add_all([vendor, patron])
            session.flush()
            assert vendor.id is not None and patron.id is not None
            certification = open_certification(session, vendor, actor="bench")
            for event in CERTIFIED:
                transition(session, certification, event, actor="bench")
            # Registered today for a year, its acuse a row (as the relationship tests make it).
            relationship = make_relationship(session, patron, vendor, starts_on=now.date())
            relationship.expires_at = now + timedelta(days=365)
            session.add(relationship)
            pairs.append(Pareja(vendor.rfc, nrp, avisos))
        session.commit()
    return pairs


# ---------------------------------------------------------------------------- load over HTTP


@dataclass
class Tally:
    pages: list[float] = field(default_factory=list)  # seconds, every page request
    statuses: Counter[int] = field(default_factory=Counter)
    failures: Counter[str] = field(default_factory=Counter)  # no answer at all
    sessions: list[float] = field(default_factory=list)
    session_statuses: Counter[int] = field(default_factory=Counter)
    reopened: int = 0
    avisos: int = 0
    full_pages: int = 0
    wrapped: int = 0  # pages with «hayMas» false: the client started over
    elapsed: float = 0.0  # from the first page request to the end of the last
    in_time: int = 0  # pages answered 200 before the time was up
    client_cpu: float = 0.0  # seconds of this process's CPU over the same span as ``elapsed``


class PageConnection:
    """A client's keep-alive HTTP/1.1 connection for its page requests, each written and read
    by hand: the bench's own CPU is taken from the cores the service is measured on."""

    def __init__(self, host: str, port: int) -> None:
        self._host, self._port = host, port
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def connect(self) -> None:
        self._reader, self._writer = await asyncio.open_connection(self._host, self._port)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        self._reader = self._writer = None

    async def get(self, target: str, token: str) -> tuple[int, bytes]:
        """The status and body of ``GET target`` with the bearer ``token``."""
        # Closed by the server while idle (its keep-alive timeout can pass while the client
        # re-opens its session): a new connection, not a failed request.
        if self._reader is None or self._reader.at_eof():
            self.close()
            await self.connect()
        assert self._reader is not None and self._writer is not None
        reader = self._reader
        # A few hundred bytes, sent at once: no drain to wait for; a broken connection shows in
        # the read.
        self._writer.write(
            f"GET {target} HTTP/1.1\r\nHost: {self._host}:{self._port}\r\n"
            f"Authorization: Bearer {token}\r\n\r\n".encode("ascii")
        )
        lines = (await reader.readuntil(b"\r\n\r\n")).split(b"\r\n")
        status = int(lines[0][9:12])  # after "HTTP/1.1 "
        headers = {}
        for line in lines[1:-2]:  # the head ends in an empty line, the split in two
            name, _, value = line.partition(b":")
            headers[name.strip().lower()] = value.strip().lower()
        if headers.get(b"transfer-encoding") == b"chunked":
            body = await _chunked(reader)
        elif b"content-length" in headers:
            body = await reader.readexactly(int(headers[b"content-length"]))
        elif status in (204, 304):  # never a body, so no length either
            body = b""
        else:  # no length given: the body ends with the connection
            body = await reader.read()
        if reader.at_eof() or headers.get(b"connection") == b"close":
            self.close()
        return status, body


async def _chunked(reader: asyncio.StreamReader) -> bytes:
    parts = []
    while size := int((await reader.readuntil(b"\r\n")).split(b";", 1)[0], 16):
        parts.append((await reader.readexactly(size + 2))[:-2])
    while await reader.readuntil(b"\r\n") != b"\r\n":  # trailer fields, unused
        pass
    return b"".join(parts)


def _page_facts(body: bytes) -> tuple[str | None, bool, int]:
    """«siguiente», «hayMas» and how many avisos, without parsing 50 KB of JSON per page in
    the client that shares the cores with the server (parsed in full only if not found)."""
    following, more = _NEXT.search(body), _MORE.search(body)
    if following is None or more is None:
        document = json.loads(body)
        return document.get("siguiente"), bool(document.get("hayMas")), len(document["avisos"])
    return following.group(1).decode(), more.group(1) == b"true", len(_AVISO.findall(body))


async def _open_session(client: httpx.AsyncClient, pair: Pareja, tally: Tally) -> str | None:
    body = {
        "desarrollador": {"rfc": pair.rfc, "password": SIA_PASSWORD},
        "patron": {"nrp": pair.nrp, "password": SIA_PASSWORD},
    }
    started = time.perf_counter()
    try:
        response = await client.post(SESSIONS_PATH, json=body)
    except httpx.HTTPError as exc:
        tally.failures[f"sesión {type(exc).__name__}"] += 1
        return None
    tally.sessions.append(time.perf_counter() - started)
    tally.session_statuses[response.status_code] += 1
    if response.status_code != 200:
        return None
    token: str = response.json()["token"]
    return token


async def _client(
    sessions: httpx.AsyncClient,
    pages: PageConnection,
    pair: Pareja,
    token: str,
    until: float,
    tally: Tally,
) -> None:
    cursor: str | None = None
    current: str | None = token
    while time.perf_counter() < until:
        if current is None:
            await asyncio.sleep(0.05)
            current = await _open_session(sessions, pair, tally)
            continue
        params = {"limite": str(PAGE)}
        if cursor:
            params["cursor"] = cursor
        target = f"{AVISOS_PATH}?{urlencode(params)}"
        began = time.perf_counter()
        try:
            status, body = await asyncio.wait_for(pages.get(target, current), CLIENT_TIMEOUT)
        except _BROKEN as exc:
            tally.pages.append(time.perf_counter() - began)
            tally.failures[type(exc).__name__] += 1
            pages.close()  # whatever is left of the answer must not be read as the next one's
            continue
        # Every request counts, however long it took: one still running when the time is up is
        # waited for (the client's timeout exceeds the server's pool timeout) and weighs in.
        ended = time.perf_counter()
        tally.pages.append(ended - began)
        tally.statuses[status] += 1
        tally.in_time += status == 200 and ended <= until
        if status == 401:  # the token expired: a new session
            tally.reopened += 1
            current = await _open_session(sessions, pair, tally)
            continue
        if status != 200:
            continue
        following, more, count = _page_facts(body)
        tally.avisos += count
        tally.full_pages += count == PAGE
        tally.wrapped += not more
        cursor = following if more else None


async def _load(base: str, pairs: list[Pareja], clients: int, seconds: float) -> Tally:
    tally = Tally()
    rng = random.Random()
    chosen = [rng.choice(pairs) for _ in range(clients)]
    address = urlsplit(base)
    assert address.hostname is not None and address.port is not None
    connections = [PageConnection(address.hostname, address.port) for _ in chosen]
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    sessions = httpx.AsyncClient(base_url=base, timeout=CLIENT_TIMEOUT, limits=limits)
    try:
        tokens = await asyncio.gather(*(_open_session(sessions, pair, tally) for pair in chosen))
        if any(token is None for token in tokens):
            raise SystemExit(f"sessions refused: {dict(tally.session_statuses)} {tally.failures}")
        opened = len(tally.sessions)
        await asyncio.gather(*(c.connect() for c in connections))
        started, cpu = time.perf_counter(), time.process_time()
        until = started + seconds
        await asyncio.gather(
            *(
                _client(sessions, c, pair, token, until, tally)
                for c, pair, token in zip(connections, chosen, tokens, strict=True)
                if token is not None
            )
        )
        tally.elapsed = time.perf_counter() - started
        tally.client_cpu = time.process_time() - cpu
        print(
            f"{opened} sessions opened before the clock started (two argon2 checks each): "
            f"p50 {_ms(tally.sessions[:opened], 50):.0f} ms, "
            f"max {1000 * max(tally.sessions[:opened]):.0f} ms"
        )
    finally:
        for connection in connections:
            connection.close()
        await sessions.aclose()
    return tally


def _ms(samples: list[float], q: int) -> float:
    ordered = sorted(samples)
    return 1000 * ordered[min(len(ordered) - 1, len(ordered) * q // 100)] if ordered else 0.0


def _report(tally: Tally, clients: int, seconds: float, pairs: list[Pareja]) -> bool:
    answered = tally.statuses[200]
    errors = sum(n for code, n in tally.statuses.items() if code not in (200, 401))
    errors += sum(tally.failures.values())
    rate = answered / tally.elapsed if tally.elapsed else 0.0
    p99 = _ms(tally.pages, 99)
    used = sorted({p.avisos for p in pairs})
    print(
        f"{clients} clients for {seconds:.0f} s (the last request ended after "
        f"{tally.elapsed:.1f} s) on "
        f"{os.cpu_count()} cores shared by the clients, `sia web --workers 2` and PostgreSQL; "
        f"SIA_AVISOS_PAGES_PER_MINUTE={PAGES_PER_MINUTE} (the per-vendor limit set out of the "
        "way: the bench measures the service, not its limit), counted in Redis"
    )
    print(
        f"pairs: {len(pairs)} (patrones with {_n(used[0])} to {_n(used[-1])} avisos, median "
        f"{_n(statistics.median(p.avisos for p in pairs))})"
    )
    print(
        f"page requests answered 200: {_n(answered)} ({rate:,.0f}/s); statuses "
        f"{dict(sorted(tally.statuses.items()))}; no answer {dict(tally.failures)}; sessions "
        f"re-opened on 401: {tally.reopened}; answered 200 before the {seconds:g} s were up: "
        f"{_n(tally.in_time)} ({tally.in_time / seconds:,.0f}/s)"
    )
    if answered:
        print(
            f"avisos served: {_n(tally.avisos)} ({tally.avisos / answered:.1f} a page; "
            f"{_n(tally.full_pages)} full pages of {PAGE}; {_n(tally.wrapped)} last pages, "
            "after which the client started over)"
        )
    print(
        f"page latency: p50 {_ms(tally.pages, 50):.1f} ms, p90 {_ms(tally.pages, 90):.1f} ms, "
        f"p99 {p99:.1f} ms, max {_ms(tally.pages, 100):.1f} ms ({_n(len(tally.pages))} requests)"
    )
    if tally.pages:
        print(
            f"client CPU per request: {1000 * tally.client_cpu / len(tally.pages):.2f} ms "
            f"({tally.client_cpu / tally.elapsed:.2f} of a core, taken from the service's)"
        )
    print(f"errors (neither 200 nor 401, or no answer): {errors}")
    record("avisos pages: p50", _ms(tally.pages, 50), "ms")
    met = [
        record("avisos pages: p99", p99, "ms", f"≤ {P99_GOAL_MS:.0f} ms",
               p99 <= P99_GOAL_MS and answered > 0),
        record("avisos pages: rate", rate, "requests/s", f"≥ {_n(RPS_GOAL)}/s", rate >= RPS_GOAL),
        record("avisos pages: errors", errors, "requests", "0", errors == 0),
    ]  # fmt: skip
    return all(met)


def _log_problems(log: Path) -> None:
    """The web's log lines other than uvicorn's INFO, by how often they came."""
    lines = log.read_text(errors="replace").splitlines()
    problems = Counter(line for line in lines if line.strip() and not line.startswith("INFO:"))
    if problems:
        print("web log, other than INFO lines (count × line):")
        for line, count in problems.most_common(8):
            print(f"  {count} × {line[:300]}")


# ---------------------------------------------------------------------------- main


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--avisos", type=int, default=None)
    parser.add_argument("--patrones", type=int, default=None)
    parser.add_argument("--clientes", type=int, default=50)
    parser.add_argument("--segundos", type=float, default=None)
    parser.add_argument("--pares", type=int, default=200)
    parser.add_argument("--rapido", action="store_true", help="100k avisos, 10k patrones, 10 s")
    args = parser.parse_args()
    sizes = RAPIDO if args.rapido else DEFAULTS
    for name, value in sizes.items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    if args.avisos < args.patrones or args.patrones < 1 or args.pares < 1 or args.clientes < 1:
        parser.error("se necesitan avisos ≥ patrones ≥ 1, pares ≥ 1 y clientes ≥ 1")
    return args


def _size(count: int) -> str:
    return f"{count / 1_000_000:g}M" if count >= 1_000_000 else f"{count / 1000:g}k"


def main() -> None:
    args = _arguments()
    total, first = args.avisos, max(1, args.avisos // 10)
    redis.Redis.from_url(f"{REDIS}/{REDIS_DB}").flushdb()
    work = Path(tempfile.mkdtemp(prefix="sia-avisos-"))
    port = free_port()
    goals: list[bool] = []
    began = time.monotonic()
    print(
        f"avisos service: {_n(total)} avisos across {_n(args.patrones)} patrones "
        f"(rules.synthetic), {args.pares} pairs, {args.clientes} clients, {args.segundos:g} s"
    )
    try:
        with throwaway_database("sia_avisos") as database:
            env = environment(work, database, port, REDIS_DB)
            env["SIA_AVISOS_PAGES_PER_MINUTE"] = str(PAGES_PER_MINUTE)
            env["SIA_RATE_LIMIT_URL"] = f"{REDIS}/{REDIS_DB}"
            # Given, not made under ``work`` by whichever process needs them first: a web worker
            # that outlives its supervisor (killed after 30 s of draining stuck requests) would
            # otherwise write them again after ``work`` is removed.
            env["SIA_SECRET_KEY"] = secrets.token_urlsafe(48)
            key_file = work / "llave-avisos.pem"
            key_file.write_bytes(
                Ed25519PrivateKey.generate().private_bytes(
                    Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()
                )
            )
            env["SIA_AVISOS_KEY_FILE"] = str(key_file)
            os.environ.update(env)
            upgrade(env["SIA_DATABASE_URL"])
            engine = make_engine(env["SIA_DATABASE_URL"])
            lines = synthetic_lines(patrones=args.patrones, avisos=total)
            data = work / "avisos.jsonl"
            goals.append(_import(engine, lines, first, data, f"1/10 (1–{_n(first)})"))
            with psycopg.connect(libpq_url(database), autocommit=True) as conn:
                conn.execute("ANALYZE avisos")
                cases = _cases(conn)
            small = _plans(database, cases, _size(first))
            goals.append(
                _import(engine, lines, total - first, data, f"rest ({_n(first + 1)}–{_n(total)})")
            )
            large = _plans(database, cases, _size(total))
            goals.append(_compare(small, large, _size(first), _size(total)))

            patrones = _choose_patrones(database, args.pares)
            pairs = _make_pairs(engine, patrones)
            engine.dispose()
            log = work / "web.log"
            with running(env, ["web", "--port", str(port), "--workers", "2"], log=log):
                base = f"http://127.0.0.1:{port}"
                wait_healthy(base)
                tally = asyncio.run(_load(base, pairs, args.clientes, args.segundos))
            goals.append(_report(tally, args.clientes, args.segundos, pairs))
            _log_problems(log)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"bench took {time.monotonic() - began:.0f} s")
    if not all(goals):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
