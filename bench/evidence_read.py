"""Evidence-workbook reading: time and peak memory beside openpyxl's full load of the same file.

Run from the project root: ``.venv/bin/python -m bench.evidence_read``. It builds a workbook just
under the 5 MiB upload limit (thousands of tab-2 rows, several screenshots, a zip of 200 JSON
responses, CFDI), then measures each reader in its own child process pinned to one core, so peak
RSS belongs to that reader alone, in interleaved rounds. Targets: ≤ 1 s and ≤ 300 MB, ≥ 5× faster
than openpyxl.
"""

from __future__ import annotations

import argparse
import datetime
import io
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw

from rules.workbook_template import (
    HEADERS_EVALUACION,
    HEADERS_MUESTRAS,
    HEADING_EVALUACION,
    HEADING_MUESTRAS,
)

MUESTRA_ROWS = 4_000
EVALUACION_ROWS = 2_000
SCREENSHOTS = ("png", "jpeg", "png", "jpeg", "png", "jpeg", "png", "png")
JSON_FILES = 200
RUNS = 3  # reads per child process
# The host is shared: each round measures every reader once, so a slow spell lands on all of them
# instead of on whichever reader happened to run during it.
ROUNDS = 5
READERS = ("evidence", "guarded", "openpyxl")


def _screenshot(seed: int, kind: str) -> bytes:
    """A 1280×800 screen: flat window chrome and text, plus a photo-like (noisy) panel."""
    rng = random.Random(seed)
    image = Image.new("RGB", (1280, 800), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, 0, 1279, 40], fill=(0, 90, 160))
    for line in range(30):
        draw.text(
            (20, 60 + 24 * line),
            f"Aviso {rng.randrange(10**10):010d} NSS {rng.randrange(10**11):011d}",
            fill="black",
        )
    # The noisy panel stands for photos and gradients, which is what makes real screenshots heavy.
    panel = Image.effect_noise((640, 480), 48).convert("RGB")
    image.paste(panel, (620, 80))
    out = io.BytesIO()
    image.save(out, "PNG" if kind == "png" else "JPEG", quality=85)
    return out.getvalue()


def _responses_zip() -> bytes:
    from tests.evidence.fixtures.build import response_document

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for i in range(JSON_FILES):
            document = response_document(f"05014{i:05d}", f"{12345600000 + i:011d}")
            archive.writestr(f"respuestas/consulta-{i:03d}.json", json.dumps(document, indent=2))
    return out.getvalue()


def _calculation_rows() -> list[list[object]]:
    rng = random.Random(7)
    rows: list[list[object]] = [[HEADING_MUESTRAS]]
    rows.append(list(HEADERS_MUESTRAS))
    start = datetime.date(2026, 1, 1)
    for i in range(MUESTRA_ROWS):
        amount = Decimal(rng.randrange(100_00, 900_000)) / 100
        rows.append(
            [
                f"M{i:04d}",
                f"{rng.randrange(10**11):011d}",
                start,
                start + datetime.timedelta(days=14),
                rng.choice((1, 2, 3)),
                Decimal("20.00"),
                59,
                15,
                amount / 15,
                amount,
                None,
                amount,
                Decimal("15.00"),
                amount + 15,
            ]
        )
    rows += [[], [HEADING_EVALUACION], list(HEADERS_EVALUACION)]
    rows += [
        [
            f"E{i:04d}",
            f"{rng.randrange(10**11):011d}",
            Decimal(rng.randrange(100_00, 900_000)) / 100,
        ]
        for i in range(EVALUACION_ROWS)
    ]
    return rows


def build_workbook() -> bytes:
    # Imported here, not at the top, so the measuring children do not carry the builder.
    from tests.evidence.fixtures.build import EmbeddedObject, build_xlsx, workbook_spec

    spec = workbook_spec()
    images = [_screenshot(i, kind) for i, kind in enumerate(SCREENSHOTS)]
    spec[0] = replace(spec[0], objects=[EmbeddedObject("respuestas.zip", _responses_zip())])
    spec[1] = replace(spec[1], rows=_calculation_rows())  # type: ignore[arg-type]
    spec[2] = replace(spec[2], images=images)
    return build_xlsx(spec)


def _peak_rss_mb() -> float:
    # VmHWM is this process's own high-water mark; ru_maxrss would also count the parent's
    # memory, which Linux carries across exec.
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def _reader(name: str) -> Callable[[bytes], str]:
    """The reader to time, imported before the clock starts; it returns a one-line summary."""
    if name == "evidence":
        from evidence.reading import read_workbook

        def evidence(data: bytes) -> str:
            reading = read_workbook(data, filename="evidencias.xlsx")
            assert not reading.ilegible, reading.findings
            assert reading.calculations and reading.json_tab and reading.screenshots
            return (
                f"{len(reading.calculations.muestras)} muestra rows, "
                f"{len(reading.json_tab.documents)} JSON, "
                f"{len(reading.screenshots.images)} images decoded"
            )

        return evidence
    if name == "guarded":
        from evidence.guard import examine_guarded

        def guarded(data: bytes) -> str:
            assert not examine_guarded(data, filename="evidencias.xlsx").reading.ilegible
            return "same reading in a child process, spawn included"

        return guarded
    import openpyxl

    def full_load(data: bytes) -> str:
        workbook = openpyxl.load_workbook(io.BytesIO(data))
        return f"{sum(sheet.max_row for sheet in workbook.worksheets)} rows loaded"

    return full_load


def _measure(name: str, path: str) -> None:
    """Child side: the time of each read of ``path``, and the peak RSS, as JSON on stdout."""
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    data = Path(path).read_bytes()
    read = _reader(name)
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        detail = read(data)
        times.append(time.perf_counter() - start)
    print(json.dumps({"times": times, "peak_mb": _peak_rss_mb(), "detail": detail}))


def _run(reader: str, path: Path) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-m", "bench.evidence_read", "--measure", reader, str(path)],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--measure", nargs=2, metavar=("READER", "PATH"))
    args = parser.parse_args()
    if args.measure:
        _measure(*args.measure)
        return
    times: dict[str, list[float]] = {reader: [] for reader in READERS}
    peaks: dict[str, float] = dict.fromkeys(READERS, 0.0)
    details: dict[str, str] = {}
    ratios = []
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "evidencias.xlsx"
        path.write_bytes(build_workbook())
        print(
            f"workbook: {path.stat().st_size / 1024 / 1024:.2f} MiB "
            f"({MUESTRA_ROWS} muestra + {EVALUACION_ROWS} evaluación rows, "
            f"{len(SCREENSHOTS)} screenshots, zip of {JSON_FILES} JSON)"
        )
        for _ in range(ROUNDS):
            round_medians = {}
            for reader in READERS:
                result = _run(reader, path)
                times[reader] += result["times"]
                peaks[reader] = max(peaks[reader], float(result["peak_mb"]))
                details[reader] = result["detail"]
                round_medians[reader] = statistics.median(result["times"])
            ratios.append(round_medians["openpyxl"] / round_medians["evidence"])
    medians = {reader: statistics.median(samples) for reader, samples in times.items()}
    for reader in READERS:
        print(
            f"{reader:>9}: {medians[reader]:.3f} s, peak RSS {peaks[reader]:.0f} MB "
            f"({details[reader]})"
        )
    print(
        f"speed-up over openpyxl: {medians['openpyxl'] / medians['evidence']:.1f}× "
        f"(median of {ROUNDS * RUNS} reads each; per round {min(ratios):.1f}–{max(ratios):.1f}×)"
    )


if __name__ == "__main__":
    main()
