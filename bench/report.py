"""One way for every bench to state a figure: printed beside its goal, and kept for comparison.

``make bench`` moves the last run's ``var/bench.json`` to ``var/bench-previous.json`` and starts
an empty one; each ``record`` appends an object (``figure``, ``value``, ``unit``, ``goal``,
``met``) to it, and ``python -m bench.report`` prints this run beside the previous one. A bench
run on its own appends to whatever run file is there (creating it), so its figures are kept too.
"""

from __future__ import annotations

import math
import os
import sys
from pathlib import Path
from typing import Any

from pydantic import BaseModel, TypeAdapter

RUN_FILE = Path(os.environ.get("SIA_BENCH_JSON", Path(__file__).parents[1] / "var/bench.json"))
PREVIOUS_FILE = RUN_FILE.with_name("bench-previous.json")


class Figure(BaseModel):
    figure: str
    value: float
    unit: str
    goal: str
    met: bool | None  # None: informational, no goal


_FIGURES = TypeAdapter(list[Figure])


def _load(path: Path) -> list[Figure]:
    try:
        return _FIGURES.validate_json(path.read_bytes())
    except (OSError, ValueError):
        return []


def record(figure: str, value: float, unit: str, goal: str = "", met: bool | None = None) -> bool:
    """Print ``figure`` with its goal and whether it is met; append it to the run file.

    Returns ``met`` (True when the figure has no goal) so a bench can collect its verdicts.
    """
    verdict = "" if met is None else f" — goal {goal}: {'met' if met else 'NOT met'}"
    shown = f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.3g}"
    print(f"{figure}: {shown} {unit}{verdict}", flush=True)
    figures = _load(RUN_FILE)
    figures.append(
        Figure(
            figure=figure,
            value=value if math.isfinite(value) else -1.0,
            unit=unit,
            goal=goal,
            met=met,
        )
    )
    RUN_FILE.parent.mkdir(parents=True, exist_ok=True)
    RUN_FILE.write_bytes(_FIGURES.dump_json(figures, indent=2))
    return met is not False


def start_run() -> None:
    """Keep the last run as the previous one and start an empty run file."""
    if RUN_FILE.exists():
        RUN_FILE.replace(PREVIOUS_FILE)
    RUN_FILE.parent.mkdir(parents=True, exist_ok=True)
    RUN_FILE.write_text("[]\n")


def compare() -> list[dict[str, Any]]:
    """This run's figures beside the previous run's (same figure name)."""
    before = {f.figure: f for f in _load(PREVIOUS_FILE)}
    rows = []
    for now in _load(RUN_FILE):
        last = before.get(now.figure)
        rows.append(
            {
                "figure": now.figure,
                "unit": now.unit,
                "now": now.value,
                "before": last.value if last else None,
                "met": now.met,
            }
        )
    return rows


def main(argv: list[str]) -> int:
    if argv[1:] == ["--start"]:
        start_run()
        return 0
    rows = compare()
    print(f"{len(rows)} figures ({RUN_FILE}); previous run: {PREVIOUS_FILE}")
    for row in rows:
        before = "—" if row["before"] is None else f"{row['before']:,.4g}"
        met = {True: "met", False: "NOT met", None: ""}[row["met"]]
        print(f"  {row['figure']}: {row['now']:,.4g} {row['unit']} (before {before}) {met}")
    return 0 if all(row["met"] is not False for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
