"""The automatic checks on a workbook near the 5 MiB limit: what they find and what they cost.

Run from the project root: ``.venv/bin/python -m bench.evidence_check [--runs N]``. It builds
``bench.workbooks``' realistic workbook and its round's documents, pins itself (and so the reader
process it starts) to one core and runs:

1. the production path, ``evidence.guard.examine_guarded`` with the round's documents: its
   findings must be exactly the planted ones (one T2-UNKNOWN-CASE per worker of the payroll run
   and nothing else: the 200 signed responses verified against the round's key, the screenshots
   and the CFDI accepted) — the goal of this bench; then ``--runs`` warm calls;
2. the same read + check in this process, split: the reader, the checks' first call (SAT's XSDs
   compiled) and the checks warm; and what the guard adds to a warm call (guarded minus in
   process).

CPU time counts the reader process too (``bench.evidence_read.tree_cpu_s``). These figures say
where the time goes; the production path's goals (≤ 0.4 s wall and ≤ 300 MB warm; ≥ 5× faster
than openpyxl), which replace issue 6's ≤ 1.5 s for read + check, are ``bench.evidence_read``'s,
measured there in rounds interleaved with openpyxl and calamine. Exits 1 when the findings are
not the planted ones.
"""

from __future__ import annotations

import argparse
import statistics
from collections.abc import Callable

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from bench.evidence_read import pin_to_one_core, timed
from bench.report import record
from bench.workbooks import PLANTED_FINDINGS, bench_round, describe, only_planted
from evidence.checks import CheckResult, check_evidence
from evidence.examination import RoundDocuments, examine
from evidence.guard import examine_guarded
from evidence.reading import WorkbookReading, read_workbook

RUNS = 5


def _warm(call: Callable[[], object], runs: int) -> tuple[float, float]:
    """Median wall and CPU seconds of ``runs`` calls."""
    samples = [timed(call)[:2] for _ in range(runs)]
    return statistics.median(w for w, _ in samples), statistics.median(c for _, c in samples)


def _check(reading: WorkbookReading, documents: RoundDocuments) -> CheckResult:
    return check_evidence(
        reading,
        test_set=documents.test_set,
        answers=documents.answers,
        avisos_responses=documents.avisos_responses,
        public_key=Ed25519PublicKey.from_public_bytes(documents.public_key),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=RUNS, help="warm calls of each kind")
    args = parser.parse_args()
    pin_to_one_core()
    data, documents = bench_round()
    print(f"workbook: {describe(data)}")

    examination = examine_guarded(data, filename="evidencias.xlsx", against=documents)
    codes = [f.code.value for f in examination.checks.findings] if examination.checks else []
    met = record(
        "evidence_check: findings of the guarded check",
        len(codes),
        "findings",
        f"exactly the {PLANTED_FINDINGS:,} planted T2-UNKNOWN-CASE",
        only_planted(codes),
    )
    if not met:
        print(f"  codes found: {sorted(set(codes))}; check failed: {examination.check_failed}")
    guarded = _warm(
        lambda: examine_guarded(data, filename="evidencias.xlsx", against=documents), args.runs
    )

    read = _warm(lambda: read_workbook(data, filename="evidencias.xlsx"), args.runs)
    reading = read_workbook(data, filename="evidencias.xlsx")
    first_wall, first_cpu, _ = timed(lambda: _check(reading, documents))
    check = _warm(lambda: _check(reading, documents), args.runs)
    in_process = _warm(
        lambda: examine(data, filename="evidencias.xlsx", against=documents), args.runs
    )
    for what, (wall, cpu) in (
        ("read in process, warm", read),
        ("checks, first call of a process (SAT's XSDs compiled)", (first_wall, first_cpu)),
        ("checks, warm", check),
        ("read + check in process, warm", in_process),
        (
            "what the guard adds to a warm read + check",
            (guarded[0] - in_process[0], guarded[1] - in_process[1]),
        ),
    ):
        record(f"evidence_check: {what}, CPU", cpu, "s")
        record(f"evidence_check: {what}, wall", wall, "s")
    if not met:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
