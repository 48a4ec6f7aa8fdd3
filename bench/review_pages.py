"""Reviewer pages over HTTP at scale: ``python -m bench.review_pages [--rows N] [--requests N]``.

A throwaway PostgreSQL database is migrated (every index of production) and loaded server-side
with ``INSERT … SELECT … FROM generate_series``: 100,000 certifications by default, of about half
as many vendors, in every state with the clocks, test sets, uploads (verdicts, an earlier
refused upload for some) and automatic findings their state implies; then ``VACUUM ANALYZE``.
A few more certifications go through the real flow in this process (test set generated,
workbook uploaded and examined), so the certification page has real rounds to show.

Then `sia web` serves that database; the bench signs in as a reviewer the way a browser does
(the sign-in form's CSRF cookie, then the form) and measures, one request at a time over a
keep-alive connection to `sia web --workers 1` (one request at a time needs one process):

1. the queue (/panel): ≥ 1,000 requests over a mix of filters and sorts, each on its first
   page, on pages reached through «Siguiente» and on pages deep in the table (a cursor in the
   middle and near the end); goal p95 ≤ 100 ms overall and for every filter;
2. the certification page (/panel/certificaciones/{folio}) of the really examined ones; goal
   p95 ≤ 150 ms;

then requests per second of the same mix from eight concurrent clients on
`sia web --workers 2`, as production runs it, and the ``EXPLAIN (ANALYZE, BUFFERS)`` of every
query the queue sends, captured from the engine. On each server the sign-in form, which reads
no table, gives the baseline of any page.

Every figure is recorded with ``bench.report`` beside its goal (issue 12), named with the number
of certifications loaded. Exits 1 when a goal is missed. The database is dropped at the end,
whatever happens.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import statistics
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import psycopg

from bench.report import record
from bench.support import (
    free_port,
    libpq_url,
    running,
    sqlalchemy_url,
    staff_sign_in,
    throwaway_database,
    vendor_awaiting_evidence,
    wait_healthy,
)

ROWS = 100_000
REQUESTS = 1200  # to the queue; the certification page gets a quarter of that
CLIENTS = 8  # concurrent clients of the throughput run
NAGLE_MS = 30.0  # a page without queries slower than this waits on the network, not on us
QUEUE_GOAL_MS, CERTIFICATION_GOAL_MS = 100.0, 150.0
REAL_FLOW = 12  # certifications examined for real, for the certification page
REVIEWERS = 10
FOLIO_BASE = 7_000_000_000  # 10-digit folios, far from the ones the application issues
SPAN_DAYS = 720  # the requests spread over the last two years
STAFF_EMAIL, STAFF_PASSWORD = "bench@infonavit.example", "contraseña-de-bench-larga"
VENDOR_PASSWORD = "contraseña-sia-de-bench"
FOLIO_LINK = re.compile(r'href="/panel/certificaciones/(\d{10})"')
NEXT_LINK = re.compile(r'rel="next" href="([^"]+)"')
IN_LIST = re.compile(r"IN \((?:[^()]|\([^()]*\))*\)")  # the parameters it names, too

# What certification i is: its state by i % 100 (about 12 % waiting for evidence, 6 % in
# review, 44 % certified, 22 % expired …), its round by another residue (15 % in round 2, 5 %
# in round 3).
PLANNED = """
SELECT i, state, round, requested_at,
       LEAST(requested_at + make_interval(days => (i * 13) %% 40), %(now)s::timestamptz)
         AS state_changed_at,
       ((%(today)s::date + CASE state WHEN 'en_analisis' THEN (i * 3) %% 9 - 3
                                     ELSE (i * 11) %% 60 END)
        + time '23:59:59.999999') AT TIME ZONE 'America/Mexico_City' AS running_due,
       CASE WHEN state IN ('en_analisis', 'con_inconsistencias', 'aprobada_pendiente_de_firma',
                           'certificada') THEN 'reviewed'
            WHEN state = 'en_espera_de_documentos' AND i %% 5 = 0 THEN 'refused'
            ELSE 'none' END AS uploads,
       CASE WHEN (i * 17) %% 100 < 55 THEN 'sin_inconsistencias' ELSE 'con_inconsistencias' END
         AS verdict
FROM (SELECT i,
             CASE WHEN i %% 100 < 12 THEN 'en_espera_de_documentos'
                  WHEN i %% 100 < 18 THEN 'en_analisis'
                  WHEN i %% 100 < 20 THEN 'con_inconsistencias'
                  WHEN i %% 100 < 23 THEN 'aprobada_pendiente_de_firma'
                  WHEN i %% 100 < 63 OR i %% 100 > 95 THEN 'certificada'
                  WHEN i %% 100 < 85 THEN 'vencida'
                  WHEN i %% 100 < 95 THEN 'cancelada'
                  ELSE 'solicitada' END AS state,
             CASE WHEN i %% 100 = 95 THEN 1 WHEN (i * 37) %% 20 = 0 THEN 3
                  WHEN (i * 37) %% 5 = 0 THEN 2 ELSE 1 END AS round,
             %(now)s::timestamptz
               - make_interval(secs => (%(rows)s - i)::float8 * %(span)s / %(rows)s) AS requested_at
      FROM generate_series(1, %(rows)s::int) AS i) AS numbered
"""
STATEMENTS = (
    (
        "organizations",
        """
INSERT INTO organizations (id, kind, rfc, razon_social, email, created_at)
SELECT v, 'desarrollador', 'BNC' || lpad(v::text, 6, '0') || 'AB1',
       'Desarrolladora de Nómina ' || v || ', S.A. de C.V.', 'sistemas' || v || '@bench.example',
       %(now)s::timestamptz - interval '800 days'
FROM generate_series(1, %(vendors)s::int) AS v
""",
    ),
    (
        "certifications",
        """
INSERT INTO certifications
    (id, folio, vendor_id, state, round, version, requested_at, state_changed_at, reviewer_id)
SELECT i, (%(folio_base)s::bigint + i)::text, 1 + (i::bigint * 7919) %% %(vendors)s, state,
       round, 3, requested_at, state_changed_at,
       CASE WHEN uploads = 'reviewed' AND (state <> 'en_analisis' OR i %% 2 = 0)
            THEN 1 + i %% %(reviewers)s END
FROM ({planned}) AS p
""",
    ),
    (
        "clocks",
        """
INSERT INTO clocks
    (id, certification_id, round, kind, state, started_at, term_days, due_at, next_at,
     stopped_at)
SELECT i, i, round, 'evidencia',
       CASE state WHEN 'en_espera_de_documentos' THEN 'corriendo' WHEN 'vencida' THEN 'vencido'
                  ELSE 'detenido' END,
       state_changed_at, CASE round WHEN 1 THEN 45 ELSE 10 END,
       CASE state WHEN 'en_espera_de_documentos' THEN running_due
                  ELSE state_changed_at + interval '30 days' END,
       CASE state WHEN 'en_espera_de_documentos' THEN running_due END,
       CASE WHEN state NOT IN ('en_espera_de_documentos', 'vencida') THEN state_changed_at END
FROM ({planned}) AS p WHERE state <> 'solicitada'
UNION ALL
SELECT %(rows)s + i, i, round, 'revision',
       CASE state WHEN 'en_analisis' THEN 'corriendo' ELSE 'detenido' END,
       state_changed_at, 5,
       CASE state WHEN 'en_analisis' THEN running_due
                  ELSE state_changed_at + interval '7 days' END,
       CASE WHEN state = 'en_analisis' AND running_due > %(now)s::timestamptz
            THEN running_due END,
       CASE WHEN state <> 'en_analisis' THEN state_changed_at END
FROM ({planned}) AS p WHERE uploads = 'reviewed'
""",
    ),
    (
        "test_sets",
        """
INSERT INTO test_sets
    (id, certification_id, round, folio, seed, emitted_at, patron_rfc, patron_nrp,
     sandbox_password_hash, document, answers, avisos_responses, created_at)
SELECT i, i, round, (%(folio_base)s::bigint + %(rows)s + i)::text, 'bench', state_changed_at,
       'EMP850101AB1', 'Y' || lpad(i::text, 10, '0'), '-', '{{}}', '{{}}', '[]', state_changed_at
FROM ({planned}) AS p WHERE uploads <> 'none'
""",
    ),
    (
        "evidence_submissions",
        """
INSERT INTO evidence_submissions
    (id, certification_id, test_set_id, round, uploaded_by, uploaded_at, size_bytes, sha256,
     original_name, status, verdict, checked_at)
SELECT 2 * i - 1, i, i, round, 'bench', state_changed_at - interval '2 days', 180000,
       md5((2 * i - 1)::text), 'evidencias.xlsx', 'ilegible', 'ilegible',
       state_changed_at - interval '2 days'
FROM ({planned}) AS p WHERE uploads = 'refused' OR (uploads = 'reviewed' AND i %% 10 = 0)
UNION ALL
SELECT 2 * i, i, i, round, 'bench', state_changed_at, 200000, md5((2 * i)::text),
       'evidencias.xlsx', CASE state WHEN 'en_analisis' THEN 'aceptada' ELSE 'revisada' END,
       verdict, state_changed_at
FROM ({planned}) AS p WHERE uploads = 'reviewed'
""",
    ),
    (
        "findings",
        """
INSERT INTO findings
    (submission_id, source, code, severity, tab, "case", message, expected, actual, created_at)
SELECT s.id, 'automatico',
       CASE WHEN s.verdict = 'ilegible' THEN 'WB-FORMAT' ELSE 'T2-TOTAL-MISMATCH' END,
       CASE WHEN s.verdict = 'sin_inconsistencias' THEN 'warning' ELSE 'error' END,
       CASE WHEN s.verdict = 'ilegible' THEN NULL ELSE 2 END,
       CASE WHEN s.verdict = 'ilegible' THEN NULL ELSE 'E' || lpad(n::text, 2, '0') END,
       'Hallazgo de bench', '1540.42', '1541.42', s.checked_at
FROM evidence_submissions AS s, generate_series(1, 6) AS n
WHERE (s.verdict = 'con_inconsistencias' AND n <= 1 + s.id %% 6)
   OR (s.verdict = 'ilegible' AND n = 1)
   OR (s.verdict = 'sin_inconsistencias' AND n = 1 AND s.id %% 3 = 0)
""",
    ),
)
INSERT_REVIEWERS = """
INSERT INTO staff_users (id, email, full_name, role, password_hash, is_active, created_at)
SELECT r, 'revisora' || r || '@bench.example', 'Revisora de bench ' || r, 'revisor', 'sin-acceso',
       true, %(now)s::timestamptz - interval '800 days'
FROM generate_series(1, %(reviewers)s::int) AS r
"""


def _load(database: str, rows: int, now: datetime, today: date) -> None:
    vendors = max(rows // 2, 1)
    params = {
        "now": now,
        "today": today,
        "rows": rows,
        "span": SPAN_DAYS * 86400,
        "vendors": vendors,
        "reviewers": REVIEWERS,
        "folio_base": FOLIO_BASE,
    }
    started = time.perf_counter()
    with psycopg.connect(libpq_url(database), autocommit=True) as conn:
        conn.execute(INSERT_REVIEWERS, params)
        for table, sql in STATEMENTS:
            table_started = time.perf_counter()
            inserted = conn.execute(sql.format(planned=PLANNED), params).rowcount
            print(
                f"  {table}: {inserted:,} rows in {time.perf_counter() - table_started:.1f} s",
                flush=True,
            )
        for table in (
            "organizations",
            "certifications",
            "clocks",
            "test_sets",
            "evidence_submissions",
            "findings",
            "staff_users",
        ):
            conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(id)) FROM {table}"
            )
    print(f"  loaded in {time.perf_counter() - started:.1f} s", flush=True)


def _real_flow(database: str) -> list[str]:
    """REAL_FLOW certifications brought to review the way vendors do it: test set generated,
    workbook uploaded and examined (a third of them with wrong totals). Their folios."""
    from functools import partial

    from sqlmodel import Session, select

    from core.db import make_engine, session_scope
    from core.security import hash_password
    from rules.identities import fake_persona
    from schema import Organization, StaffRole, StaffUser
    from tests.review.reviewing import evaluation_cases, round_of, workbook
    from workflow.evidence import examine_submission, receive_evidence

    engine = make_engine(sqlalchemy_url(database))
    rng = random.Random(2026)
    hashed = hash_password(VENDOR_PASSWORD)
    folios = []
    started = time.perf_counter()
    with Session(engine, expire_on_commit=False) as session:
        session.add(
            StaffUser(
                email=STAFF_EMAIL,
                full_name="Revisora de bench",
                role=StaffRole.REVISOR,
                password_hash=hash_password(STAFF_PASSWORD),
            )
        )
        session.commit()
    for n in range(REAL_FLOW):
        rfc = fake_persona(rng, born_from=date(1960, 1, 1), born_to=date(1995, 12, 31)).rfc
        with Session(engine, expire_on_commit=False) as session:
            folio, _ = vendor_awaiting_evidence(
                session, rfc, hashed, "bench.example", f"Nóminas de bench {n} <b>S.A.</b>"
            )
            session.commit()
        generated = round_of(engine, folio)
        wrong = evaluation_cases(generated)[: 2 if n % 3 == 0 else 0]
        with Session(engine, expire_on_commit=False) as session:
            vendor = session.exec(select(Organization).where(Organization.rfc == rfc)).one()
            received = receive_evidence(
                session,
                vendor,
                folio,
                filename="evidencias.xlsx",
                data=workbook(generated, wrong),
            )
            session.commit()
        assert received.submission.id is not None
        examined = examine_submission(partial(session_scope, engine), received.submission.id)
        assert examined is not None and examined.verdict is not None, folio
        folios.append(folio)
    engine.dispose()
    print(
        f"  {REAL_FLOW} certifications examined for real in {time.perf_counter() - started:.1f} s",
        flush=True,
    )
    return folios


def _queue_variants() -> list[tuple[str, str]]:
    """(name, query string) of the filters and sorts measured."""
    return [
        ("sin filtros", ""),
        ("estatus en análisis", "estado=en_analisis"),
        ("estatus solicitada (1 %)", "estado=solicitada"),
        ("ronda 3", "ronda=3"),
        ("RFC (parte)", "desarrollador=BNC0012"),
        ("razón social (parte)", "desarrollador=N%C3%B3mina+4242"),
        ("texto sin coincidencias", "desarrollador=zzz"),
        ("veredicto con inconsistencias", "veredicto=con_inconsistencias"),
        ("veredicto ilegible", "veredicto=ilegible"),
        ("vence en 3 días hábiles", "vence_en=3"),
        ("revisión fuera de plazo", "vencidas=1"),
        ("orden por plazo", "orden=plazo"),
        ("orden por cambio de estatus", "orden=cambio"),
        (
            "en análisis, sin inconsistencias, por plazo",
            "estado=en_analisis&veredicto=sin_inconsistencias&orden=plazo",
        ),
        ("en análisis e ilegible (vacío)", "estado=en_analisis&veredicto=ilegible"),
        ("en espera, ronda 2, vence en 10", "estado=en_espera_de_documentos&ronda=2&vence_en=10"),
    ]


def _deep_cursors(database: str) -> list[tuple[str, str]]:
    """Pages in the middle and near the end of the queue, in each order, by their cursors."""
    from workflow.queue import Cursor

    keyed = (
        (
            "solicitud",
            "",
            "SELECT requested_at, id FROM certifications ORDER BY requested_at DESC, id DESC",
        ),
        (
            "cambio",
            "orden=cambio&",
            "SELECT state_changed_at, id FROM certifications"
            " ORDER BY state_changed_at DESC, id DESC",
        ),
        (
            "plazo",
            "orden=plazo&",
            "SELECT due_at, certification_id FROM clocks"
            " WHERE state = 'corriendo' ORDER BY due_at, certification_id",
        ),
    )
    deep = []
    with psycopg.connect(libpq_url(database)) as conn:
        for name, order, listing in keyed:
            count = conn.execute(f"SELECT count(*) FROM ({listing}) AS listed").fetchone()
            assert count is not None
            for label, at in (("a la mitad", count[0] // 2), ("cerca del final", count[0] - 60)):
                found = conn.execute(f"{listing} OFFSET %s LIMIT 1", (at,)).fetchone()
                assert found is not None
                cursor = Cursor(found[0].astimezone(UTC), found[1]).encode()
                deep.append((f"página {label} ({name})", f"{order}despues={cursor}"))
    return deep


def _sign_in(base: str) -> httpx.Client:
    wait_healthy(base)
    client = httpx.Client(base_url=base, timeout=30)
    staff_sign_in(client, STAFF_EMAIL, STAFF_PASSWORD)
    if client.get("/panel").status_code != 200:
        raise SystemExit("signed in, but /panel does not answer")
    return client


def _crawl(client: httpx.Client, variants: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Each variant's first page and up to three more reached through «Siguiente»."""
    urls = []
    for name, query in variants:
        url = f"/panel?{query}" if query else "/panel"
        for depth in range(4):
            response = client.get(url)
            if response.status_code != 200:
                raise SystemExit(f"{url} answered {response.status_code}: {response.text[:300]}")
            urls.append((name, url))
            following = NEXT_LINK.search(response.text)
            if following is None:
                break
            url = following.group(1).replace("&amp;", "&")
            name = f"{name.split(' · ')[0]} · página {depth + 2}"
    return urls


def _percentile(samples: list[float], q: int) -> float:
    if len(samples) < 2:
        return samples[0]
    return statistics.quantiles(samples, n=100, method="inclusive")[q - 1]


def _measure(
    client: httpx.Client, urls: list[tuple[str, str]], total: int
) -> tuple[dict[str, list[float]], dict[int, int]]:
    """Milliseconds per variant (its name before « · ») and how many of each status code."""
    timings: dict[str, list[float]] = defaultdict(list)
    statuses: dict[int, int] = defaultdict(int)
    for n in range(total):
        name, url = urls[n % len(urls)]
        started = time.perf_counter()
        response = client.get(url)
        elapsed = (time.perf_counter() - started) * 1000
        statuses[response.status_code] += 1
        timings[name.split(" · ")[0]].append(elapsed)
    return timings, statuses


def _throughput(base: str, cookies: httpx.Cookies, urls: list[str], total: int) -> float:
    """Requests per second of ``urls`` (round robin) from CLIENTS concurrent clients."""
    share = total // CLIENTS
    failures: list[str] = []

    def run(offset: int) -> None:
        with httpx.Client(base_url=base, timeout=30, cookies=cookies) as client:
            for n in range(share):
                response = client.get(urls[(offset + n) % len(urls)])
                if response.status_code >= 500:
                    failures.append(f"{response.status_code} {urls[(offset + n) % len(urls)]}")

    threads = [threading.Thread(target=run, args=(k * 7,)) for k in range(CLIENTS)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if failures:
        raise SystemExit(f"server errors under load: {failures[:5]}")
    return share * CLIENTS / elapsed


def _plans(database: str, variants: list[tuple[str, str]]) -> None:
    """EXPLAIN (ANALYZE, BUFFERS) of every statement the queue sends for each variant."""
    from urllib.parse import parse_qsl

    from sqlalchemy import event
    from sqlmodel import Session

    from core.clock import utcnow
    from core.db import make_engine
    from review.pages.queue import parse
    from workflow.calendar import load_calendar
    from workflow.queue import fetch_page, state_counts

    engine = make_engine(sqlalchemy_url(database))
    sent: list[tuple[str, Any]] = []

    def capture(
        conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool
    ) -> None:
        sent.append((statement, parameters))

    with Session(engine) as session:
        calendar = load_calendar(session)
    shown: set[str] = set()
    for index, (name, query) in enumerate(variants):
        wanted = parse(dict(parse_qsl(query)))
        sent.clear()
        event.listen(engine, "before_cursor_execute", capture)
        try:
            with Session(engine) as session:
                if index == 0:
                    state_counts(session)
                fetch_page(session, wanted.filter, utcnow(), calendar, after=wanted.after)
        finally:
            event.remove(engine, "before_cursor_execute", capture)
        with engine.connect() as conn:
            for statement, parameters in sent:
                if "set_config(" in statement:
                    conn.exec_driver_sql(statement)  # the planner settings of the page, too
                    continue
                # Each statement once: the page's own loads differ only in the ids they name.
                shape = IN_LIST.sub("IN (…)", statement)
                if shape in shown:
                    continue
                shown.add(shape)
                plan = "\n".join(
                    row[0]
                    for row in conn.exec_driver_sql(
                        "EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters
                    )
                )
                took = re.search(r"Execution Time: ([\d.]+) ms", plan)
                print(
                    f"  [{name}] {' '.join(shape.split())[:150]}… — "
                    f"{took.group(1) if took else '?'} ms"
                )
                print("    " + plan.replace("\n", "\n    "))
            conn.rollback()
    engine.dispose()


def _report(
    what: str, timings: dict[str, list[float]], goal: float, failures: list[str], each: bool
) -> None:
    every = [ms for samples in timings.values() for ms in samples]
    p95 = _percentile(every, 95)
    print(f"{what}: {len(every):,} requests, max {max(every):.1f} ms")
    record(f"review_pages: {what}, p50", statistics.median(every), "ms")
    if not record(f"review_pages: {what}, p95", p95, "ms", f"≤ {goal:.0f} ms", p95 <= goal):
        failures.append(f"{what} p95 {p95:.1f} ms")
    if each:
        for name, samples in timings.items():
            p95_each = _percentile(samples, 95)
            figure = f"review_pages: {what} «{name}», p95"
            if not record(figure, p95_each, "ms", f"≤ {goal:.0f} ms", p95_each <= goal):
                failures.append(f"{what} «{name}» p95 {p95_each:.1f} ms")


@contextmanager
def _server(env: dict[str, str], workers: int, work: Path) -> Iterator[str]:
    """`sia web` on a free port, with ``workers`` processes; its base URL."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    command = ["web", "--port", str(port), "--workers", str(workers)]
    with running({**env, "SIA_BASE_URL": base}, command, log=work / f"web-{workers}.log"):
        yield base


def _baseline(client: httpx.Client, workers: int) -> None:
    """What any page costs on this server: the sign-in form, which reads no table."""
    timings, _ = _measure(client, [("formulario", "/ingresar")], 60)
    p50 = statistics.median(timings["formulario"])
    record(f"review_pages: baseline, sign-in form on `sia web --workers {workers}`, p50", p50, "ms")
    if p50 > NAGLE_MS:
        print(
            "  every response waits for the client's delayed ACK: uvicorn's --workers N "
            "leaves TCP_NODELAY off on accepted sockets (Kludex/uvicorn#3149)"
        )


def _certification_page(
    client: httpx.Client, folios: list[str], total: int, failures: list[str], scale: str
) -> None:
    pages = [("certificación", f"/panel/certificaciones/{folio}") for folio in folios]
    _measure(client, pages, len(pages))  # warm-up
    timings, statuses = _measure(client, pages, total)
    what = f"certification page /panel/certificaciones/{{folio}}, {scale}"
    if set(statuses) != {200}:
        failures.append(f"certification page answered {dict(statuses)}")
        print(f"{what} answered {dict(statuses)}")
    else:
        _report(what, timings, CERTIFICATION_GOAL_MS, failures, each=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=ROWS, help="certifications loaded")
    parser.add_argument("--requests", type=int, default=REQUESTS, help="requests to the queue")
    args = parser.parse_args()
    if args.rows < 1000 or args.requests < 100:
        parser.error("at least 1,000 rows and 100 requests")
    work = Path(tempfile.mkdtemp(prefix="sia-bench-"))
    try:
        with throwaway_database() as database:
            failures = _bench(args, database, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if failures:
        print("NOT met: " + "; ".join(failures))
        raise SystemExit(1)


def _bench(args: argparse.Namespace, database: str, work: Path) -> list[str]:
    """Load, measure and print; the goals missed."""
    env = {
        "SIA_VAR_DIR": str(work / "var"),
        "SIA_DATABASE_URL": sqlalchemy_url(database),
        "SIA_MAIL_URL": f"file://{work / 'mail'}",
    }
    os.environ.update(env)

    from core.config import get_settings
    from core.enqueue import install_sender
    from schema.migrate import upgrade

    install_sender(lambda task, args: None)  # no broker: what commits queue goes nowhere
    failures: list[str] = []
    started = time.perf_counter()
    print(f"review pages: {os.cpu_count()} cores")
    scale = f"{args.rows:,} certifications"
    upgrade(sqlalchemy_url(database))
    now = datetime.now(UTC)
    print(f"loading {args.rows:,} certifications …", flush=True)
    _load(database, args.rows, now, now.astimezone(get_settings().tz).date())
    folios = _real_flow(database)
    with psycopg.connect(libpq_url(database), autocommit=True) as conn:
        vacuum_started = time.perf_counter()
        conn.execute("VACUUM ANALYZE")
        print(f"  VACUUM ANALYZE {time.perf_counter() - vacuum_started:.1f} s")
    variants = _queue_variants() + _deep_cursors(database)
    # One request at a time needs one server process: the pages' latency is measured on
    # `--workers 1`, the throughput of both cores on `--workers 2`.
    with _server(env, 1, work) as base:
        client = _sign_in(base)
        _baseline(client, 1)
        urls = _crawl(client, variants)
        print(
            f"queue: {len(variants)} filters and sorts, {len(urls)} distinct pages "
            f"(first pages, «Siguiente» up to page 4, deep cursors)",
            flush=True,
        )
        _measure(client, urls, len(urls))  # warm-up: each page once
        timings, statuses = _measure(client, urls, max(args.requests, len(urls)))
        if set(statuses) != {200}:
            failures.append(f"queue answered {dict(statuses)}")
        _report(f"queue /panel, {scale}", timings, QUEUE_GOAL_MS, failures, each=True)
        total = max(args.requests // 4, len(folios))
        _certification_page(client, folios, total, failures, scale)
        client.close()
    with _server(env, 2, work) as base:
        client = _sign_in(base)
        _baseline(client, 2)
        rate = _throughput(base, client.cookies, [url for _, url in urls], args.requests)
        record(
            f"review_pages: queue throughput on `sia web --workers 2`, {CLIENTS} clients, {scale}",
            rate,
            "requests/s",
        )
        print(f"  {os.cpu_count()} cores shared by server, database and clients")
        client.close()
    print("query plans of the queue (EXPLAIN (ANALYZE, BUFFERS), statements as sent):")
    _plans(database, variants)
    print(f"bench wall time: {time.perf_counter() - started:.0f} s")
    return failures


if __name__ == "__main__":
    main()
