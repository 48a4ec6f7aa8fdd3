"""Evidence checking end to end: reading plus every check of a workbook near the 5 MiB limit.

Run from the project root: ``.venv/bin/python -m bench.evidence_check``. It generates a test set,
builds a workbook for it (a tab-1 zip of 200 signed JSON responses, thousands of tab-2 rows,
several screenshots, the CFDI), pins itself to one core and times ``read_workbook`` +
``check_evidence``: once cold (the first check of a process compiles SAT's XSDs) and then warm.
Target: ≤ 1.5 s.
"""

from __future__ import annotations

import copy
import os
import statistics
import time
from dataclasses import replace
from decimal import Decimal
from typing import Any

from bench.evidence_read import SCREENSHOTS, _screenshot
from evidence.checks import CheckResult
from rules.signing import sign_document
from rules.testsets.generate import GeneratedTestSet
from tests.evidence.checks.builder import (
    PRIVATE_KEY,
    avisos_zip,
    check_workbook,
    evidence_spec,
    generated,
)
from tests.evidence.fixtures.build import Cell, EmbeddedObject, build_xlsx

JSON_FILES = 200
EXTRA_MUESTRA_CASES = 750  # four subperiod rows each
EXTRA_EVALUACION_ROWS = 2_000
WARM_RUNS = 3


def _responses(gen: GeneratedTestSet) -> list[dict[str, Any]]:
    """The full response and narrower consultas of it, as a vendor's repeated downloads give."""
    full = gen.avisos[0]
    avisos = full["avisos"]
    responses = [full]
    for i in range(1, JSON_FILES):
        narrowed = copy.deepcopy(full)
        narrowed.update(folioConsulta=f"{i:010d}", avisos=avisos[i % len(avisos) :])
        responses.append(sign_document(narrowed, PRIVATE_KEY))
    return responses


def _rows(rows: list[list[Cell]]) -> list[list[Cell]]:
    """The correct rows with unknown cases added to both sections (each one a finding)."""
    heading = next(i for i, row in enumerate(rows) if row[:1] and "EVALUACI" in str(row[0]))
    template = next(row for row in rows[:heading] if row[:1] == ["M01"])
    extra_muestras = [
        [f"X{case:04d}", *template[1:]] for case in range(EXTRA_MUESTRA_CASES) for _ in range(4)
    ]
    extra_evaluacion: list[list[Cell]] = [
        [f"Y{i:04d}", f"{10**10 + i:011d}", Decimal(i) / 4] for i in range(EXTRA_EVALUACION_ROWS)
    ]
    return rows[: heading - 1] + extra_muestras + rows[heading - 1 :] + extra_evaluacion


def build_workbook(gen: GeneratedTestSet) -> bytes:
    spec = evidence_spec(gen)
    spec[0] = replace(
        spec[0], objects=[EmbeddedObject("respuestas.zip", avisos_zip(_responses(gen)))]
    )
    spec[1] = replace(spec[1], rows=_rows(spec[1].rows))
    spec[2] = replace(spec[2], images=[_screenshot(i, kind) for i, kind in enumerate(SCREENSHOTS)])
    return build_xlsx(spec)


def _timed(data: bytes, gen: GeneratedTestSet) -> tuple[float, CheckResult]:
    start = time.perf_counter()
    result = check_workbook(data, gen)
    return time.perf_counter() - start, result


def main() -> None:
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    gen = generated("bench-evidencias")
    data = build_workbook(gen)
    print(
        f"workbook: {len(data) / 1024 / 1024:.2f} MiB ({JSON_FILES} signed JSON in the zip, "
        f"{EXTRA_MUESTRA_CASES * 4} + {EXTRA_EVALUACION_ROWS} extra tab-2 rows, "
        f"{len(SCREENSHOTS)} screenshots, 1 CFDI)"
    )
    cold, result = _timed(data, gen)
    warm = statistics.median(_timed(data, gen)[0] for _ in range(WARM_RUNS))
    codes = {f.code.value for f in result.findings}
    print(
        f"verdict: {result.verdict}, {len(result.findings)} findings ({', '.join(sorted(codes))})"
    )
    print(f"read + check, one core: cold {cold:.3f} s (XSD compiled), warm {warm:.3f} s")
    print(f"target ≤ 1.5 s: {'met' if cold <= 1.5 else 'MISSED'}")


if __name__ == "__main__":
    main()
