"""Throughput of the test-set generator: ``python bench/testsets.py [--sets N]``.

Generates N test sets with distinct seeds (6 muestras + 10 evaluación each, answers computed and
avisos signed) on one core; the target is 50 sets per second. Writing the files (with the xlsx
template) and proving coverage are measured apart, since they are not part of generation.
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
    print(f"sets: {len(sets)} ({cases} casos, {avisos} avisos)")
    print(f"núcleos: {os.cpu_count()} (la medición usa uno)")
    print(f"generación (casos + respuestas + firma): {rate:,.1f} sets/s")
    print(f"escritura con plantilla xlsx: {_rate(len(sample), writing):,.1f} sets/s")
    print(
        f"cobertura comprobada: {_rate(len(sample), coverage):,.1f} sets/s "
        f"({complete}/{len(sample)} completos)"
    )
    print(f"meta {TARGET} sets/s: {'cumplida' if rate >= TARGET else 'NO cumplida'}")


if __name__ == "__main__":
    main()
