"""The production evidence path beside openpyxl and calamine on one realistic 5 MiB workbook.

Run from the project root: ``.venv/bin/python -m bench.evidence_read [--rounds N] [--runs N]``.
It builds ``bench.workbooks``' realistic workbook (4.5–5 MiB: 200 signed responses, ~7,000
tab-2 rows, eight screenshots, the CFDI) and its round's documents, then measures on that file:

- ``guarded``: ``evidence.guard.examine_guarded`` with the round's documents — read + check in
  the guarded reader process, the path production runs for every upload;
- ``reader``: ``evidence.reading.read_workbook`` in process, the reader alone;
- ``openpyxl``: openpyxl's full load (``load_workbook``, not read-only);
- ``calamine``: python-calamine's cells of every sheet, the floor the reader's grid builds on.

Each round runs every contender (in a rotating order, so a slow spell of the shared host lands on
all of them) in a child process of its own pinned to one core: the first call of the process is
cold (imports, the reader pool's start, SAT's XSDs compiled) and is only reported, for the guarded
path; the next ``--runs`` calls are the warm figures. Per contender: CPU time (mean per warm call,
median over rounds), wall time (median of the warm calls) and peak memory.

CPU time counts the whole process tree, because the guarded path spends most of it in a reader
process that outlives each call. ``getrusage(RUSAGE_CHILDREN)`` alone would miss that process
until it is reaped, so ``tree_cpu_s`` adds three counters that together count every CPU second of
the tree once: this process (``RUSAGE_SELF``), its children already reaped
(``RUSAGE_CHILDREN``, which the kernel also fills with what they reaped in turn), and every live
descendant's ``utime + stime + cutime + cstime`` from ``/proc/<pid>/stat`` (their own time and
their reaped children's). When a process is reaped its time moves from the last counter to its
parent's, so it is counted once whether it exits during the call or not. The ``/proc`` counters
tick at 10 ms, hence the mean over the warm calls. Peak memory is the largest high-water mark
(``VmHWM``) among this process and its live descendants, and the kernel's ``ru_maxrss`` of
reaped children (an upper bound: it may carry this process's size at the fork).

Goals (issues 5 and 17): reader alone ≥ 10× and guarded read + check ≥ 5× faster than openpyxl's
full load in CPU time; guarded read + check warm ≤ 0.4 s wall on an idle core and ≤ 300 MB peak;
the reader alone ≤ 1 s wall and ≤ 300 MB. Exits 1 when one is missed.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from bench.report import record

READERS = ("guarded", "reader", "openpyxl", "calamine")
ROUNDS = 5
RUNS = 3  # warm calls per child process
GUARDED_WALL_S = 0.4
READER_WALL_S = 1.0
PEAK_MB = 300.0
READER_RATIO, GUARDED_RATIO = 10.0, 5.0
_TICKS = os.sysconf("SC_CLK_TCK")
T = TypeVar("T")


def _processes() -> Iterator[tuple[int, list[str]]]:
    """(pid, fields after the command name) of every process of the host."""
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                text = Path(entry.path, "stat").read_text()
            except OSError:
                continue  # gone meanwhile
            # The command name is in parentheses and may hold spaces or parentheses itself.
            yield int(entry.name), text[text.rindex(")") + 2 :].split()


def _descendants() -> dict[int, list[str]]:
    """The /proc stat fields of every live (or not yet reaped) descendant of this process."""
    children: dict[int, list[tuple[int, list[str]]]] = {}
    for pid, fields in _processes():
        children.setdefault(int(fields[1]), []).append((pid, fields))
    found: dict[int, list[str]] = {}
    pending = [os.getpid()]
    while pending:
        for pid, fields in children.get(pending.pop(), []):
            found[pid] = fields
            pending.append(pid)
    return found


def _own_cpu_s() -> float:
    me = resource.getrusage(resource.RUSAGE_SELF)
    reaped = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + reaped.ru_utime + reaped.ru_stime


def _descendants_cpu_s() -> float:
    # utime, stime, cutime, cstime are fields 14–17 of stat, 11–14 after the command name.
    ticks = sum(sum(map(int, f[11:15])) for f in _descendants().values())
    return ticks / _TICKS


def tree_cpu_s(before: bool) -> float:
    """CPU seconds of this process and all its descendants so far (see the module docstring).

    The scan of /proc costs CPU of its own: ``before`` a call it is done first and this process's
    counters read last, after a call the other way round, so that the scan stays out of the
    interval measured.
    """
    if before:
        others = _descendants_cpu_s()
        return _own_cpu_s() + others
    own = _own_cpu_s()
    return own + _descendants_cpu_s()


def _vm_hwm_mb(pid: int | str) -> float:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0  # a zombie has no memory left to report


def _peak_rss_mb() -> float:
    """The largest peak resident set among this process tree's members (module docstring)."""
    reaped = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    others = max((_vm_hwm_mb(pid) for pid in _descendants()), default=0.0)
    return max(reaped, others, _vm_hwm_mb("self"))


def pin_to_one_core() -> None:
    """Pin this process (and what it starts from now on) to one core, as a loaded host allows."""
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})


def _contender(name: str, documents_path: str) -> Callable[[bytes], None]:
    """The call to time, imported before any clock starts; it checks what it got."""
    if name == "guarded":
        from bench.workbooks import only_planted
        from evidence.examination import RoundDocuments
        from evidence.guard import examine_guarded

        against = RoundDocuments.from_json(json.loads(Path(documents_path).read_text()))

        def guarded(data: bytes) -> None:
            checks = examine_guarded(data, filename="evidencias.xlsx", against=against).checks
            assert checks is not None, "the checks failed in the guarded process"
            assert only_planted([f.code.value for f in checks.findings]), checks.findings[:3]

        return guarded
    if name == "reader":
        from evidence.reading import read_workbook

        def reader(data: bytes) -> None:
            reading = read_workbook(data, filename="evidencias.xlsx")
            assert not reading.ilegible, reading.findings
            assert reading.calculations and reading.json_tab and reading.screenshots

        return reader
    if name == "openpyxl":
        import openpyxl

        def full_load(data: bytes) -> None:
            workbook = openpyxl.load_workbook(io.BytesIO(data))
            assert sum(sheet.max_row for sheet in workbook.worksheets) > 7_000

        return full_load
    import python_calamine

    def calamine(data: bytes) -> None:
        workbook = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        rows = sum(len(workbook.get_sheet_by_name(n).to_python()) for n in workbook.sheet_names)
        assert rows > 7_000

    return calamine


def timed(call: Callable[[], T]) -> tuple[float, float, T]:
    """Wall and CPU seconds of one call, and what it returned."""
    cpu = tree_cpu_s(before=True)
    wall = time.perf_counter()
    result = call()
    wall = time.perf_counter() - wall
    return wall, tree_cpu_s(before=False) - cpu, result


def _measure(name: str, workbook: str, documents: str, out: str, runs: int) -> None:
    """Child side: one cold call, ``runs`` warm ones; the figures as JSON in ``out``."""
    pin_to_one_core()
    data = Path(workbook).read_bytes()
    call = _contender(name, documents)
    cold = timed(lambda: call(data))
    warm = [timed(lambda: call(data)) for _ in range(runs)]
    result = {
        "cold": cold[:2],
        "walls": [wall for wall, _, _ in warm],
        "cpu": statistics.fmean(cpu for _, cpu, _ in warm),
        "peak_mb": _peak_rss_mb(),
    }
    Path(out).write_text(json.dumps(result))


def _run(reader: str, folder: Path, runs: int) -> dict[str, Any]:
    out = folder / f"{reader}.json"
    # The result comes back in a file: a reader process left behind may hold stdout open.
    subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.evidence_read",
            "--measure",
            reader,
            str(folder / "evidencias.xlsx"),
            str(folder / "documentos.json"),
            str(out),
            "--runs",
            str(runs),
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    result: dict[str, Any] = json.loads(out.read_text())
    return result


def _rounds(folder: Path, rounds: int, runs: int) -> dict[str, list[dict[str, Any]]]:
    results: dict[str, list[dict[str, Any]]] = {reader: [] for reader in READERS}
    for n in range(rounds):
        for reader in READERS[n % len(READERS) :] + READERS[: n % len(READERS)]:
            results[reader].append(_run(reader, folder, runs))
    return results


def _report(results: dict[str, list[dict[str, Any]]]) -> bool:
    cpu = {r: statistics.median(x["cpu"] for x in rs) for r, rs in results.items()}
    wall = {r: statistics.median(w for x in rs for w in x["walls"]) for r, rs in results.items()}
    peak = {r: max(x["peak_mb"] for x in rs) for r, rs in results.items()}
    names = {
        "guarded": "guarded read + check",
        "reader": "reader alone",
        "openpyxl": "openpyxl full load",
        "calamine": "calamine cells of every sheet",
    }
    goals = {
        ("guarded", "wall"): (f"≤ {GUARDED_WALL_S} s on an idle core", GUARDED_WALL_S),
        ("guarded", "peak"): (f"≤ {PEAK_MB:.0f} MB", PEAK_MB),
        ("reader", "wall"): (f"≤ {READER_WALL_S:.0f} s", READER_WALL_S),
        ("reader", "peak"): (f"≤ {PEAK_MB:.0f} MB", PEAK_MB),
    }
    ok = True
    for reader, name in names.items():
        for kind, value, unit in (
            ("CPU", cpu[reader], "s"),
            ("wall", wall[reader], "s"),
            ("peak", peak[reader], "MB"),
        ):
            goal, limit = goals.get((reader, kind.lower()), ("", None))
            met = None if limit is None else value <= limit
            ok &= record(f"evidence_read: {name}, warm, {kind}", value, unit, goal, met)
    cold = results["guarded"]
    record(
        "evidence_read: guarded read + check, first call of a process, wall",
        statistics.median(x["cold"][0] for x in cold),
        "s",
    )
    record(
        "evidence_read: guarded read + check, first call of a process, CPU",
        statistics.median(x["cold"][1] for x in cold),
        "s",
    )
    for reader, least in (("reader", READER_RATIO), ("guarded", GUARDED_RATIO)):
        per_round = [
            o["cpu"] / r["cpu"]
            for o, r in zip(results["openpyxl"], results[reader], strict=True)
            if r["cpu"]
        ]
        ratio = cpu["openpyxl"] / cpu[reader] if cpu[reader] else float("inf")
        ok &= record(
            f"evidence_read: {names[reader]} vs openpyxl full load, CPU",
            ratio,
            "×",
            f"≥ {least:.0f}×",
            ratio >= least,
        )
        if per_round:
            print(f"  per round {min(per_round):.1f}–{max(per_round):.1f}×")
        record(
            f"evidence_read: {names[reader]} vs openpyxl full load, wall",
            wall["openpyxl"] / wall[reader],
            "×",
        )
    record(
        "evidence_read: reader alone vs calamine cells of every sheet, CPU",
        cpu["reader"] / cpu["calamine"],
        "×",
    )
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument("--runs", type=int, default=RUNS, help="warm calls per process")
    parser.add_argument("--measure", nargs=4, metavar=("READER", "WORKBOOK", "DOCUMENTS", "OUT"))
    args = parser.parse_args()
    if args.measure:
        reader, workbook, documents_path, out = args.measure
        _measure(reader, workbook, documents_path, out, args.runs)
        return
    from bench.workbooks import bench_round, describe

    data, documents = bench_round()
    print(f"workbook: {describe(data)}")
    print(
        f"{args.rounds} rounds × {len(READERS)} contenders, {args.runs} warm calls each, one core; "
        f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores",
        flush=True,
    )
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        (folder / "evidencias.xlsx").write_bytes(data)
        (folder / "documentos.json").write_text(json.dumps(documents.to_json()))
        results = _rounds(folder, args.rounds, args.runs)
    record("evidence_read: workbook size", len(data) / 1024 / 1024, "MiB")
    if not _report(results):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
