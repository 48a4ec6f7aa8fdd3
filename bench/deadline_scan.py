"""Deadline scan at scale: ``python -m bench.deadline_scan [--rows N ...]``.

For each size (1,000,000 and 10,000,000 certifications, each with one running clock) a throwaway
PostgreSQL database is migrated — so the clocks table carries every index and foreign key of
production, including ``ix_clocks_kind_next_at`` — and loaded server-side with
``INSERT … SELECT … FROM generate_series``; then ``ANALYZE``. Exactly 1,000 clocks are due at
the scan's moment, spread over the whole table: 250 evidence terms that are over (their
reminders already sent), 250 evidence terms whose 10-days-left reminder is due, and 500 review
SLAs that are breached. Every other clock's next moment lies ahead (evidence: up to 50 days,
review: up to 7 days).

Measured:

1. the finding query, ``workflow.deadlines.due_clock_ids`` through a SQLAlchemy session, per
   kind: median of warm runs, goal ≤ 200 ms at both sizes, and it must return exactly the
   planted due clocks; ``EXPLAIN (ANALYZE, BUFFERS)`` of the very statement it sent (captured
   from the engine) must use ``ix_clocks_kind_next_at`` and no sequential scan of clocks;
2. on the smaller database, the full ``workflow.deadlines.scan`` acting on the 1,000 due items
   (expiries, reminders and the SLA alert through the outbox, one transaction per evidence
   clock): wall time and items per second, informational; then a second scan at the same
   moment must do nothing.

Every figure is recorded with ``bench.report`` beside its goal (issue 11). Exits 1 when a goal
is missed. The databases are dropped at the end, whatever happens.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from functools import partial
from pathlib import Path
from typing import Any

import psycopg

from bench.report import record

PG_ADMIN = os.environ.get("SIA_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
SIZES = (1_000_000, 10_000_000)
DUE = 1000  # due clocks planted at every size
VENDORS = 5000  # organizations shared by the certifications
CHUNK = 1_000_000  # rows per INSERT … SELECT (one transaction each)
GOAL_MS = 200.0
WARMUP, RUNS = 3, 15
INDEX = "ix_clocks_kind_next_at"
FOLIO_BASE = 7_000_000_000  # 10-digit folios, far from the ones the application issues
SCAN_HOUR = clock_time(10, 0)  # the scan runs at 10:00 local: the 09:00 reminders are due
PLAN_USES_INDEX = re.compile(
    rf"(?:Index Scan|Index Only Scan) using {INDEX}\b|Bitmap Index Scan on {INDEX}\b"
)
BUFFERS = re.compile(r"Buffers: shared(?: hit=(\d+))?(?: read=(\d+))?")

# What certification i plants (i = 1..N, step = N // DUE): every step-th is due, in four
# kinds of due; of the rest one in five is under review, the others wait for evidence.
CATEGORY = """CASE WHEN i %% {step} = 0
                   THEN (ARRAY['expire', 'remind', 'sla', 'sla'])[(i / {step}) %% 4 + 1]
                   WHEN i %% 5 = 0 THEN 'review' ELSE 'evidence' END"""
PLANNED = """
SELECT i, cat,
       CASE WHEN cat IN ('sla', 'review') THEN 'revision' ELSE 'evidencia' END AS kind,
       CASE WHEN cat IN ('sla', 'review') THEN 5 ELSE 45 END AS term_days,
       CASE cat WHEN 'expire' THEN %(expire_started)s WHEN 'remind' THEN %(remind_started)s
                WHEN 'sla' THEN %(sla_started)s WHEN 'review' THEN ahead - interval '7 days'
                ELSE ahead - interval '51 days' END AS started_at,
       CASE cat WHEN 'expire' THEN %(expire_due)s WHEN 'remind' THEN %(remind_due)s
                WHEN 'sla' THEN %(sla_due)s WHEN 'review' THEN ahead - interval '1 microsecond'
                ELSE ahead + interval '14 days' END AS due_at,
       CASE cat WHEN 'expire' THEN %(expire_next)s WHEN 'remind' THEN %(remind_next)s
                WHEN 'sla' THEN %(sla_next)s ELSE ahead END AS next_at
FROM (SELECT i, cat,
             %(now)s::timestamptz + interval '1 hour' + interval '1 minute'
               * ((i::bigint * 7919) %% CASE cat WHEN 'review' THEN 10080 ELSE 72000 END) AS ahead
      FROM (SELECT i, {category} AS cat
            FROM generate_series(%(lo)s::int, %(hi)s::int) AS i) AS numbered) AS planned
"""
INSERT_CERTIFICATIONS = """
INSERT INTO certifications
    (id, folio, vendor_id, state, round, version, requested_at, state_changed_at)
SELECT i, (%(folio_base)s::bigint + i)::text, 1 + i %% %(vendors)s,
       CASE kind WHEN 'revision' THEN 'en_analisis' ELSE 'en_espera_de_documentos' END,
       1, CASE kind WHEN 'revision' THEN 3 ELSE 2 END, started_at - interval '3 days', started_at
FROM ({planned}) AS p
"""
INSERT_CLOCKS = """
INSERT INTO clocks
    (id, certification_id, round, kind, state, started_at, term_days, due_at, next_at)
SELECT i, i, 1, kind, 'corriendo', started_at, term_days, due_at, next_at FROM ({planned}) AS p
"""
INSERT_VENDORS = """
INSERT INTO organizations (id, kind, rfc, razon_social, email, created_at)
SELECT v, 'desarrollador', 'BNC' || lpad(v::text, 6, '0') || 'AB1',
       'Desarrolladora de Nómina ' || v || ', S.A. de C.V.', 'sistemas' || v || '@bench.example',
       %(now)s::timestamptz - interval '400 days'
FROM generate_series(1, %(vendors)s::int) AS v
"""
# The evidence terms that are over had their three reminders sent on time.
INSERT_SENT_REMINDERS = """
INSERT INTO clock_actions
    (clock_id, certification_id, round, kind, threshold, outcome, meant_for, acted_at)
SELECT i, i, 1, 'recordatorio', sent.threshold, 'hecho', sent.at, sent.at
FROM generate_series(%(step)s::int, %(rows)s::int, %(step)s::int) AS i,
     unnest(%(thresholds)s::int[], %(moments)s::timestamptz[]) AS sent(threshold, at)
WHERE {category} = 'expire'
"""
INSERT_SUPERVISOR = """
INSERT INTO staff_users (email, full_name, role, password_hash, is_active, created_at)
VALUES ('supervision@bench.example', 'Supervisora de bench', 'supervisor', 'sin-acceso', true,
        %(now)s::timestamptz - interval '400 days')
"""


def category(i: int, step: int) -> str:
    """Python twin of ``CATEGORY``."""
    if i % step == 0:
        return ("expire", "remind", "sla", "sla")[(i // step) % 4]
    return "review" if i % 5 == 0 else "evidence"


def _libpq(database: str) -> str:
    return f"{PG_ADMIN.rsplit('/', 1)[0]}/{database}"


def _sqlalchemy(database: str) -> str:
    return _libpq(database).replace("postgresql://", "postgresql+psycopg://", 1)


@contextmanager
def _admin() -> Iterator[psycopg.Connection[Any]]:
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        yield conn


def _scan_moment(calendar: Any, tz: Any) -> datetime:
    """10:00 local of the latest business day whose 10:00 has passed."""
    real_now = datetime.now(UTC)
    day = real_now.astimezone(tz).date()
    while True:
        moment = datetime.combine(day, SCAN_HOUR, tzinfo=tz).astimezone(UTC)
        if calendar.is_business_day(day) and moment <= real_now:
            return moment
        day -= timedelta(days=1)


def _due_timings(calendar: Any, tz: Any, now: datetime) -> dict[str, Any]:
    """Start, deadline and next moment of each kind of due clock, computed the way the
    application computes them, so the scan finds consistent clocks."""
    from rules.calendar import add_business_days
    from schema import Clock, ClockKind, ClockState, DeadlineAction
    from workflow.clocks import moments, term_days
    from workflow.deadlines import STALE_AFTER

    def clock(kind: ClockKind, started: datetime) -> Clock:
        term = term_days(kind, 1)
        due = add_business_days(started, term, calendar, tz)
        return Clock(
            certification_id=0,
            round=1,
            kind=kind,
            state=ClockState.CORRIENDO,
            started_at=started,
            term_days=term,
            due_at=due,
        )

    sla = clock(ClockKind.REVISION, now - timedelta(days=10))
    (breach,) = moments(sla, calendar, tz)
    expire = clock(ClockKind.EVIDENCIA, now - timedelta(days=100))
    *sent, end = moments(expire, calendar, tz)
    assert breach.at <= now and end.at <= now
    assert all(m.action is DeadlineAction.RECORDATORIO for m in sent)
    for days in range(1, 120):
        remind = clock(ClockKind.EVIDENCIA, now - timedelta(days=days))
        first = next(iter(moments(remind, calendar, tz)))
        if (
            first.action is DeadlineAction.RECORDATORIO
            and now - STALE_AFTER < first.at <= now
            and now < remind.due_at
        ):
            break
    else:
        raise SystemExit("no start date gives a reminder due at the scan's moment")
    return {
        "now": now,
        "sla_started": sla.started_at,
        "sla_due": sla.due_at,
        "sla_next": breach.at,
        "expire_started": expire.started_at,
        "expire_due": expire.due_at,
        "expire_next": end.at,
        "remind_started": remind.started_at,
        "remind_due": remind.due_at,
        "remind_next": first.at,
        "reminder": first.threshold,
        "thresholds": [m.threshold for m in sent],
        "moments": [m.at for m in sent],
    }


def _load(database: str, rows: int, timings: dict[str, Any]) -> None:
    step = rows // DUE
    planned = PLANNED.format(category=CATEGORY.format(step=step))
    common = {**timings, "vendors": VENDORS, "folio_base": FOLIO_BASE, "rows": rows, "step": step}
    started = time.perf_counter()
    with psycopg.connect(_libpq(database), autocommit=True) as conn:
        conn.execute(INSERT_VENDORS, common)
        conn.execute(INSERT_SUPERVISOR, common)
        for table, sql in (
            ("certifications", INSERT_CERTIFICATIONS),
            ("clocks", INSERT_CLOCKS),
        ):
            table_started = time.perf_counter()
            statement = sql.format(planned=planned)
            for lo in range(1, rows + 1, CHUNK):
                chunk = {**common, "lo": lo, "hi": min(lo + CHUNK - 1, rows)}
                conn.execute(statement, chunk)
            print(
                f"  {table}: {rows:,} rows in {time.perf_counter() - table_started:.1f} s",
                flush=True,
            )
        conn.execute(INSERT_SENT_REMINDERS.format(category=CATEGORY.format(step=step)), common)
        for table, last in (("organizations", VENDORS), ("certifications", rows), ("clocks", rows)):
            conn.execute("SELECT setval(pg_get_serial_sequence(%s, 'id'), %s)", (table, last))
        loaded = time.perf_counter()
        conn.execute("ANALYZE")
        analyzed = time.perf_counter()
        sizes = conn.execute(
            "SELECT pg_size_pretty(pg_total_relation_size('clocks')),"
            " pg_size_pretty(pg_relation_size(%s::regclass))",
            (INDEX,),
        ).fetchone()
        assert sizes is not None
    print(
        f"  loaded in {loaded - started:.1f} s, ANALYZE {analyzed - loaded:.1f} s; "
        f"clocks table with its indexes {sizes[0]}, {INDEX} {sizes[1]}",
        flush=True,
    )


def _expected(rows: int) -> dict[str, set[int]]:
    """The clock ids (= certification ids) due per kind, as planted."""
    step = rows // DUE
    due: dict[str, set[int]] = {"evidencia": set(), "revision": set()}
    for i in range(step, rows + 1, step):
        due["revision" if category(i, step) == "sla" else "evidencia"].add(i)
    return due


def _plan_ok(what: str, plan: str, failures: list[str]) -> int:
    """Print ``plan``, record whether it reads the index, and return the buffers it touched."""
    uses_index = PLAN_USES_INDEX.search(plan) is not None
    seq_scan = "Seq Scan on clocks" in plan
    print("    " + plan.replace("\n", "\n    "))
    print(
        f"  uses {INDEX}: {'yes' if uses_index else 'NO'}; sequential scan of clocks: "
        f"{'YES' if seq_scan else 'no'}"
    )
    buffers = BUFFERS.search(plan)
    touched = sum(int(n) for n in buffers.groups() if n) if buffers else 0
    goal = f"reads {INDEX}, no sequential scan of clocks"
    if not record(
        f"deadline_scan: {what}, shared buffers",
        touched,
        "buffers",
        goal,
        uses_index and not seq_scan,
    ):
        failures.append(what)
    return touched


def _autovacuum_workers(engine: Any) -> int:
    with engine.connect() as conn:
        return int(
            conn.exec_driver_sql(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE backend_type = 'autovacuum worker' AND datname = current_database()"
            ).scalar_one()
        )


def _finding(
    engine: Any, rows: int, now: datetime, failures: list[str]
) -> dict[str, tuple[float, int]]:
    """Per kind: median milliseconds of ``due_clock_ids``, warm, and the buffers its plan
    touched; prints its plans (as sent, and generic as a prepared statement may turn)."""
    from sqlalchemy import event

    from core.db import session_scope
    from schema import ClockKind
    from workflow.deadlines import BATCH, due_clock_ids

    factory = partial(session_scope, engine)
    expected = _expected(rows)
    figures = {}
    for kind in (ClockKind.EVIDENCIA, ClockKind.REVISION):
        for _ in range(WARMUP):
            with factory() as session:
                due_clock_ids(session, kind, now, BATCH)
        vacuuming = _autovacuum_workers(engine)
        samples: list[float] = []
        found: list[int] = []
        for _ in range(RUNS):
            with factory() as session:
                started = time.perf_counter()
                found = due_clock_ids(session, kind, now, BATCH)
                samples.append((time.perf_counter() - started) * 1000)
        vacuuming = max(vacuuming, _autovacuum_workers(engine))
        median = statistics.median(samples)
        exact = len(found) == len(expected[kind.value]) and set(found) == expected[kind.value]
        print(
            f"clocks: {rows:,} ({DUE:,} due) — finding due ({kind.value}): min "
            f"{min(samples):.1f} ms, max {max(samples):.1f} ms, {RUNS} warm runs, each a session "
            f"of its own; autovacuum workers busy on this database: {vacuuming}; "
            f"{len(found)} found, {len(expected[kind.value])} planted"
            f"{'' if exact else ' — NOT the planted ones'}"
        )
        what = f"finding due ({kind.value}) at {rows:,} clocks"
        goal = f"≤ {GOAL_MS:.0f} ms, exactly the planted clocks"
        if not record(
            f"deadline_scan: {what}, median", median, "ms", goal, median <= GOAL_MS and exact
        ):
            failures.append(what)

        sent: list[tuple[str, Any]] = []

        def capture(
            conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool
        ) -> None:
            if "FROM clocks" in statement:
                sent.append((statement, parameters))  # noqa: B023

        event.listen(engine, "before_cursor_execute", capture)
        try:
            with factory() as session:
                due_clock_ids(session, kind, now, BATCH)
        finally:
            event.remove(engine, "before_cursor_execute", capture)
        statement, parameters = sent[-1]
        print(f"  statement sent by due_clock_ids: {' '.join(statement.split())}")
        print(f"  parameters: {parameters}")
        names = re.findall(r"%\((\w+)\)s", statement)
        numbered = statement
        for n, name in enumerate(names, 1):
            numbered = numbered.replace(f"%({name})s", f"${n}")
        values = ", ".join(
            f"'{value.isoformat()}'" if isinstance(value, datetime) else repr(value)
            for value in (parameters[name] for name in names)
        )
        with engine.connect() as conn:
            plan = "\n".join(
                row[0]
                for row in conn.exec_driver_sql(
                    "EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters
                )
            )
            # psycopg prepares a statement on its 5th run, and PostgreSQL may then settle on
            # a plan made without the values: that one must read the index too.
            conn.exec_driver_sql("SET plan_cache_mode = force_generic_plan")
            conn.exec_driver_sql(f"PREPARE bench_due AS {numbered}")
            generic = "\n".join(
                row[0]
                for row in conn.exec_driver_sql(
                    f"EXPLAIN (ANALYZE, BUFFERS) EXECUTE bench_due({values})"
                )
            )
            conn.exec_driver_sql("DEALLOCATE bench_due")
            conn.exec_driver_sql("RESET plan_cache_mode")
            conn.rollback()
        print(f"  EXPLAIN (ANALYZE, BUFFERS) of it with these values ({rows:,} rows):")
        buffers = _plan_ok(f"plan of {what}", plan, failures)
        print(f"  the same as a prepared statement with a generic plan (EXECUTE … ({values})):")
        _plan_ok(f"generic plan of {what}", generic, failures)
        figures[kind.value] = (median, buffers)
    return figures


def _full_scan(engine: Any, rows: int, timings: dict[str, Any], failures: list[str]) -> None:
    """The whole scan on the due items, then again at the same moment."""
    from sqlmodel import Session, col, func, select

    from core.clock import travel_to
    from core.db import session_scope
    from schema import Certification, CertificationState, Clock, ClockState, OutboxEmail
    from workflow.deadlines import ALERT_CHUNK, scan

    factory = partial(session_scope, engine)
    now = timings["now"]
    with travel_to(now):  # as `sia deadlines scan --now` does: every part sees the same moment
        started = time.perf_counter()
        first = scan(factory)
        elapsed = time.perf_counter() - started
        started = time.perf_counter()
        second = scan(factory)
        again = time.perf_counter() - started
    done = {
        "reminders": len(first.reminders),
        "skipped reminders": len(first.skipped_reminders),
        "expired": len(first.expired),
        "waiting for examination": len(first.waiting_for_examination),
        "SLA alerts": len(first.sla_alerts),
    }
    items = sum(done.values())
    print(
        f"full scan, {rows:,} clocks ({DUE:,} due): "
        + ", ".join(f"{w} {n}" for w, n in done.items())
    )
    record(f"deadline_scan: full scan of {DUE:,} due items, {rows:,} clocks", elapsed, "s")
    record(f"deadline_scan: full scan, {rows:,} clocks, rate", items / elapsed, "items/s")
    planted = {
        "reminders": DUE // 4,
        "skipped reminders": 0,
        "expired": DUE // 4,
        "waiting for examination": 0,
        "SLA alerts": DUE // 2,
    }
    with Session(engine) as session:
        outbox = dict(
            session.exec(
                select(OutboxEmail.template, func.count()).group_by(col(OutboxEmail.template))
            ).all()
        )
        expired = session.exec(
            select(func.count()).where(Certification.state == CertificationState.VENCIDA)
        ).one()
        running_due = session.exec(
            select(func.count()).where(
                Clock.state == ClockState.CORRIENDO,
                col(Clock.next_at).is_not(None),
                col(Clock.next_at) <= now,
            )
        ).one()
    alerts = -(-(DUE // 2) // ALERT_CHUNK)  # one alert email per chunk of breached SLAs
    mail = {"recordatorio_plazo": DUE // 4, "vencimiento": DUE // 4, "alerta_sla_revision": alerts}
    print(
        f"  outbox afterwards: {outbox}; certifications vencidas: {expired}; "
        f"running clocks still due: {running_due}"
    )
    as_planted = done == planted and outbox == mail and expired == DUE // 4 and running_due == 0
    if not record(
        "deadline_scan: full scan, items acted on",
        items,
        "items",
        f"exactly the {DUE:,} planted, with their emails and states",
        as_planted,
    ):
        print(f"  NOT as planted: expected {planted}, outbox {mail}")
        failures.append("full scan did not act on exactly the planted items")
    leftovers = {key: value for key, value in second.to_json().items() if value and key != "ahora"}
    record("deadline_scan: second scan at the same moment", again * 1000, "ms")
    if not record(
        "deadline_scan: second scan at the same moment, kinds of action taken",
        len(leftovers),
        "kinds",
        "0 (nothing to do)",
        not leftovers,
    ):
        print(f"  ACTED AGAIN: {leftovers}")
        failures.append("second scan acted again")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--rows",
        type=int,
        nargs="+",
        default=list(SIZES),
        help="table sizes, each a multiple of 1,000 (the first also gets the full scan)",
    )
    sizes = parser.parse_args().rows
    if any(rows % DUE or rows < 10 * DUE for rows in sizes):
        parser.error(f"every size must be a multiple of {DUE:,} and at least {10 * DUE:,}")
    tag = uuid.uuid4().hex[:8]
    databases = [f"sia_bench_{tag}_{rows}" for rows in sizes]
    work = Path(tempfile.mkdtemp(prefix="sia-bench-"))
    # Settings are read once per process: the scan runs against the first database.
    os.environ["SIA_VAR_DIR"] = str(work / "var")
    os.environ["SIA_DATABASE_URL"] = _sqlalchemy(databases[0])

    from sqlmodel import Session

    from core.config import get_settings
    from core.db import make_engine
    from core.enqueue import install_sender
    from schema.migrate import upgrade
    from workflow.calendar import load_calendar

    install_sender(lambda task, args: None)  # no broker: the relay kicks go nowhere
    failures: list[str] = []
    medians: dict[int, dict[str, tuple[float, int]]] = {}
    timings: dict[str, Any] = {}
    started = time.perf_counter()
    print(f"deadline scan: {os.cpu_count()} cores")
    try:
        for rows, database in zip(sizes, databases, strict=True):
            with _admin() as conn:
                conn.execute(f'CREATE DATABASE "{database}"')
            try:
                upgrade(_sqlalchemy(database))
                engine = make_engine(_sqlalchemy(database))
                if not timings:
                    tz = get_settings().tz
                    with Session(engine) as session:
                        calendar = load_calendar(session)
                    timings = _due_timings(calendar, tz, _scan_moment(calendar, tz))
                    print(
                        f"scan moment {timings['now'].astimezone(tz).isoformat()} "
                        f"(10:00 of the latest business day)"
                    )
                print(f"loading {rows:,} certifications with running clocks …", flush=True)
                _load(database, rows, timings)
                medians[rows] = _finding(engine, rows, timings["now"], failures)
                if rows == sizes[0]:
                    _full_scan(engine, rows, timings, failures)
                engine.dispose()
            finally:
                with _admin() as conn:
                    conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        if len(medians) > 1:
            print("finding due, median of warm runs and shared buffers its plan touched:")
            print("  kind      " + "".join(f"{rows:>22,}" for rows in medians))
            kinds = ("evidencia", "revision")
            for kind in kinds:
                cells = (f"{by[kind][0]:>9.1f} ms, {by[kind][1]:>4} buf" for by in medians.values())
                print(f"  {kind:<10}" + "".join(cells))
            # Issue 11 asks for about the same time at every size: no number, so no verdict.
            for kind in kinds:
                record(
                    f"deadline_scan: finding due ({kind}), {sizes[-1]:,} vs {sizes[0]:,} clocks",
                    medians[sizes[-1]][kind][0] / medians[sizes[0]][kind][0],
                    "× time",
                )
        print(f"bench wall time: {time.perf_counter() - started:.0f} s")
    finally:
        with _admin() as conn:
            for database in databases:
                conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        shutil.rmtree(work, ignore_errors=True)
    if failures:
        print("NOT met: " + "; ".join(failures))
        raise SystemExit(1)


if __name__ == "__main__":
    main()
