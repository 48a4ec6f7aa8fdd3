"""Start-up time of the command line: ``python -m bench.cli_help [--runs N]``.

Runs ``sia --help`` and ``sia <group> --help`` for every group N times each, as a user would (a
new process each time, from an empty directory), and records the median wall-clock time of each
(``bench.report``); the goal is ≤ 0.3 s for each (issue 10). Python's own start-up is recorded
too, as the floor. A miss exits 1:
the usual cause is a module under ``cli/`` importing the database, Celery or a workbook reader at
the top instead of inside the command that needs it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import click

from bench.report import record
from cli.main import sia as sia_group

TARGET_S = 0.3


def _sia() -> list[str]:
    script = Path(sys.executable).with_name("sia")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "cli.main"]


def _median_s(argv: list[str], runs: int, cwd: str) -> float:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIA_")}
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        subprocess.run(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    sia = _sia()
    with tempfile.TemporaryDirectory() as empty:
        floor = _median_s([sys.executable, "-c", "pass"], args.runs, empty)
        figures = {"sia --help": _median_s([*sia, "--help"], args.runs, empty)}
        groups = [n for n, c in sorted(sia_group.commands.items()) if isinstance(c, click.Group)]
        for group in groups:
            figures[f"sia {group} --help"] = _median_s([*sia, group, "--help"], args.runs, empty)
    print(f"runs per command: {args.runs} (median of the wall-clock time)")
    record("cli_help: Python start-up alone", floor, "s")
    met = [
        record(f"cli_help: {name}", seconds, "s", f"≤ {TARGET_S:.1f} s", seconds <= TARGET_S)
        for name, seconds in figures.items()
    ]
    if not all(met):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
