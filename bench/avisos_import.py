"""Import of production avisos: ``python -m bench.avisos_import [--avisos N] [--patrones P]``.

N synthetic avisos (default 500,000 over 1,000 patrones, ``rules.synthetic``: Zipf-like
patrones, valid identities) are written as JSON Lines to a temporary file; a throwaway
PostgreSQL database is migrated; then `sia avisos import FILE` runs as its own process against
it, as an operator would run it. Measured:

1. generating the avisos (``rules.synthetic``, one core): goal ≥ 100,000 avisos/s;
2. the import, as the command's report gives it (reading, checking, COPY and INSERT, from its
   first line to its last commit): goal ≥ 50,000 avisos/s; also the wall time of the whole
   command (start-up and schema check included), informational;
3. importing the same file again (every folio already stored): informational;
4. where the time goes, load aside: the first ``--muestra`` avisos (200,000) imported in this
   process into a second throwaway database, with the CPU time of this process (reading,
   checking) and of its PostgreSQL backend (COPY, INSERT) per aviso. The writer thread overlaps
   the two, so on an otherwise idle machine the rate approaches 1 / max of them; on one free
   core, 1 / their sum. The load average is printed too: the benches of a shared machine
   compete for its cores.

Exits 1 when the import's goal is missed. The databases and the file are removed at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.report import record
from bench.support import sqlalchemy_url, throwaway_database
from core.db import make_engine
from rules.synthetic import synthetic_lines
from schema.migrate import upgrade
from workflow.avisos.imports import import_lines, read_lines

IMPORT_GOAL = 50_000
SYNTH_GOAL = 100_000
CHUNK = 10_000  # lines per write


def _generate(path: Path, patrones: int, avisos: int) -> float:
    """Write the avisos; their rate (lines per second, the writing included)."""
    began = time.perf_counter()
    with path.open("w", encoding="utf-8") as out:
        chunk: list[str] = []
        for line in synthetic_lines(patrones=patrones, avisos=avisos, seed="bench"):
            chunk.append(line)
            if len(chunk) == CHUNK:
                out.write("".join(chunk))
                chunk = []
        out.write("".join(chunk))
    return avisos / (time.perf_counter() - began)


def _import(path: Path, database_url: str, work: Path) -> tuple[dict[str, Any], float]:
    """`sia avisos import` in its own process: its report and its wall time."""
    env = {**os.environ, "SIA_DATABASE_URL": database_url, "SIA_VAR_DIR": str(work / "var")}
    began = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "cli.main", "avisos", "import", str(path)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - began
    if done.returncode != 0:
        raise SystemExit(f"sia avisos import terminó con {done.returncode}:\n{done.stderr}")
    report: dict[str, Any] = json.loads(done.stdout)
    return report, wall


def _cpu_seconds(pid: int) -> float:
    """User and system CPU of a process of this machine (a PostgreSQL backend)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _split(path: Path, count: int) -> tuple[float, float, float]:
    """Import the file's first ``count`` lines in this process: avisos/s, and the CPU
    microseconds per aviso of this process and of its PostgreSQL backend."""
    with throwaway_database("sia_bench_avisos_cpu") as name:
        url = sqlalchemy_url(name)
        upgrade(url)
        engine = make_engine(url, pool_size=1, max_overflow=0)  # the import's one connection
        try:
            with engine.connect() as connection:
                backend = int(connection.exec_driver_sql("SELECT pg_backend_pid()").scalar_one())
            with path.open("rb") as stream:
                lines = (line for _, line in zip(range(count), read_lines(stream), strict=False))
                pg_before, py_before = _cpu_seconds(backend), time.process_time()
                report = import_lines(engine, lines)
                pg = _cpu_seconds(backend) - pg_before
                py = time.process_time() - py_before
        finally:
            engine.dispose()
    return report.avisos_por_segundo, py / count * 1e6, pg / count * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--avisos", type=int, default=500_000)
    parser.add_argument("--patrones", type=int, default=1_000)
    parser.add_argument("--muestra", type=int, default=200_000)
    args = parser.parse_args()
    load_before = os.getloadavg()[0]

    with tempfile.TemporaryDirectory() as tmp, throwaway_database("sia_bench_avisos") as name:
        work = Path(tmp)
        path = work / "avisos.jsonl"
        synth_rate = _generate(path, args.patrones, args.avisos)
        size = path.stat().st_size
        url = sqlalchemy_url(name)
        upgrade(url)

        first, wall = _import(path, url, work)
        again, _ = _import(path, url, work)
        sample = min(args.muestra, args.avisos)
        sample_rate, py_us, pg_us = _split(path, sample)
    load_after = os.getloadavg()[0]

    rate = float(first["avisos_por_segundo"])
    print(
        f"avisos: {args.avisos:,} de {args.patrones:,} patrones "
        f"({size / 2**20:,.1f} MiB de JSON Lines); núcleos: {os.cpu_count()}; carga de la "
        f"máquina (1 min): {load_before:.1f} al empezar, {load_after:.1f} al terminar"
    )
    synth_met = record(
        "avisos: synthetic generation (rules.synthetic, writing included)",
        synth_rate,
        "avisos/s",
        f"≥ {SYNTH_GOAL:,}/s",
        synth_rate >= SYNTH_GOAL,
    )
    print(f"  {first['importadas']:,} importadas en {first['segundos']:.2f} s")
    import_met = record("avisos: sia avisos import, PostgreSQL", rate, "avisos/s",
                        f"≥ {IMPORT_GOAL:,}/s", rate >= IMPORT_GOAL)  # fmt: skip
    print(
        f"  el comando completo (arranque y revisión del esquema incluidos): "
        f"{args.avisos / wall:,.0f} avisos/s en {wall:.2f} s"
    )
    print(
        f"reimportación (todos repetidos): {float(again['avisos_por_segundo']):,.0f} avisos/s "
        f"({again['repetidas']:,} repetidas)"
    )
    print(
        f"en qué se va el tiempo ({sample:,} avisos importados en este proceso, "
        f"{sample_rate:,.0f} avisos/s): CPU de Python {py_us:.1f} µs/aviso (leer, revisar), "
        f"de PostgreSQL {pg_us:.1f} µs/aviso (COPY, INSERT) → en una máquina libre "
        f"≈ {1e6 / max(py_us, pg_us):,.0f} avisos/s; en un solo núcleo ≈ "
        f"{1e6 / (py_us + pg_us):,.0f} avisos/s"
    )
    if first["importadas"] != args.avisos or again["repetidas"] != args.avisos:
        raise SystemExit("la importación no guardó exactamente los avisos generados")
    if not (synth_met and import_met):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
