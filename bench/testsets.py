"""Throughput of the test-set generator: ``python -m bench.testsets [--sets N]``.

Generates N test sets with distinct seeds (6 muestras + 10 evaluación each, answers computed and
avisos signed) on one core; the goal is ≥ 50 sets per second (issue 3). Writing the files (with
the xlsx template) and proving coverage are recorded apart, without a goal, since they are not
part of generation. Exits 1 when the goal is missed.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from bench.report import record
from rules.testsets.features import FEATURES, features_covered
from rules.testsets.generate import GeneratedTestSet, generate_test_set, write_test_set

TARGET = 50
EMITIDO = datetime(2026, 3, 2, 10, 0, tzinfo=ZoneInfo("America/Mexico_City"))


def _rate(count: int, seconds: float) -> float:
    return count / seconds if seconds else float("inf")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sets", type=int, default=500)
    args = parser.parse_args()
    key = Ed25519PrivateKey.generate()

    began = time.perf_counter()
    sets: list[GeneratedTestSet] = [
        generate_test_set(
            seed=f"bench-{i}",
            vendor_rfc="CAC840428RH1",
            folio=f"{i:010d}",
            round=1,
            emitido=EMITIDO,
            private_key=key,
        )
        for i in range(args.sets)
    ]
    generation = time.perf_counter() - began

    sample = sets[: max(1, args.sets // 10)]
    began = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        for i, generated in enumerate(sample):
            write_test_set(generated, Path(tmp) / str(i), key.public_key())
    writing = time.perf_counter() - began

    began = time.perf_counter()
    complete = sum(features_covered(g.test_set, g.avisos) == FEATURES for g in sample)
    coverage = time.perf_counter() - began

    rate = _rate(len(sets), generation)
    cases = sum(len(g.test_set["casos"]) for g in sets)
    avisos = sum(len(r["avisos"]) for g in sets for r in g.avisos)
    print(f"sets: {len(sets)} ({cases} cases, {avisos} avisos)")
    print(f"cores: {os.cpu_count()} (the measurement uses one)")
    met = record(
        "testsets: generation (cases + answers + signatures)",
        rate,
        "sets/s",
        f"≥ {TARGET}/s",
        rate >= TARGET,
    )
    record("testsets: writing with the xlsx template", _rate(len(sample), writing), "sets/s")
    record("testsets: coverage proved", _rate(len(sample), coverage), "sets/s")
    print(f"  {complete}/{len(sample)} sets cover every feature")
    if not met:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
