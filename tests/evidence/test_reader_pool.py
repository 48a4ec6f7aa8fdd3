"""The reader pool: readers reused and recycled, and every way a reader can fail costs only it.

Failures that no honest workbook provokes on demand (a reader that hangs, dies, bloats or answers
with a hostile answer) are injected into real reader processes by a ``sitecustomize`` module on
their PYTHONPATH: it wraps ``examine`` and acts on the file name.
"""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from evidence.examination import Examination, RoundDocuments
from evidence.limits import MIB
from evidence.reader_pool import Lost, ReaderFailed, ReaderPool
from evidence.reading import read_workbook
from tests.evidence.test_guard import amplifying_workbook
from tests.evidence.workbooks import fixture

MEMORY = 1024 * MIB
WORKBOOK = fixture("libreoffice_package.xls")

FAULTS = '''
"""Faults for the reader pool's tests, chosen by the examined file's name."""
import os
import pickle
import time

import evidence.examination
import evidence.storable

_examine = evidence.examination.examine
_check = evidence.examination.check_evidence
_storable_json = evidence.storable.storable_json
_kept = []
_hostile = []


class Hostile:
    def __reduce__(self):
        return (os.system, ("touch " + os.environ["READER_POOL_MARKER"],))


def examine(data, *, filename=None, against=None):
    fault, _, amount = filename.partition(" ")
    if fault == "lento":  # "lento <seconds>": sleeps, then reads
        time.sleep(float(amount))
    elif fault == "muere":
        os._exit(70)
    elif fault == "engorda":  # "engorda <MiB>": keeps that much memory
        _kept.append(bytearray(int(amount) * 1024 * 1024))
    elif fault == "hostil":  # answers with a pickle that would run a command instead of JSON
        _hostile.append(True)
    return _examine(data, filename=filename, against=against)


def check_evidence(reading, **documents):
    if reading.filename == "falla":
        raise RuntimeError("una falla nuestra")
    return _check(reading, **documents)


def storable_json(value):
    return (pickle.dumps(Hostile()), False) if _hostile else _storable_json(value)


# Before the reader imports them (it runs as __main__, so its own module cannot be patched).
evidence.examination.examine = examine
evidence.examination.check_evidence = check_evidence
evidence.storable.storable_json = storable_json
'''


@pytest.fixture
def faulty(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Readers started from now on carry the faults; the marker a hostile answer would create."""
    (tmp_path / "sitecustomize.py").write_text(FAULTS)
    monkeypatch.setenv(
        "PYTHONPATH", os.pathsep.join(filter(None, [str(tmp_path), os.environ.get("PYTHONPATH")]))
    )
    marker = tmp_path / "pwned"
    monkeypatch.setenv("READER_POOL_MARKER", str(marker))
    return marker


@pytest.fixture
def pool() -> Iterator[ReaderPool]:
    readers = ReaderPool(1)
    yield readers
    readers.close()


def examine(
    readers: ReaderPool,
    filename: str = "evidencias.xls",
    data: bytes = WORKBOOK,
    *,
    timeout_s: float = 20.0,
    memory_bytes: int = MEMORY,
) -> Examination:
    examination, _ = readers.examine(
        data, filename=filename, against=None, timeout_s=timeout_s, memory_bytes=memory_bytes
    )
    return examination


def failure(
    readers: ReaderPool,
    filename: str,
    data: bytes = WORKBOOK,
    *,
    timeout_s: float = 20.0,
    memory_bytes: int = MEMORY,
) -> ReaderFailed:
    with pytest.raises(ReaderFailed) as failed:
        examine(readers, filename, data, timeout_s=timeout_s, memory_bytes=memory_bytes)
    return failed.value


def served(readers: ReaderPool, filename: str = "evidencias.xls", **budget: int) -> bool:
    """Whether ``readers`` read ``WORKBOOK`` as this process does."""
    examination = examine(readers, filename, WORKBOOK, **budget)
    return examination.reading == read_workbook(WORKBOOK, filename=filename)


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_a_reader_is_reused_for_the_next_file(pool: ReaderPool) -> None:
    first = examine(pool)
    (pid,) = pool.pids()
    second = examine(pool)
    assert pool.pids() == [pid]  # the same process: no start (imports, SAT's XSDs) to pay again
    assert first == second
    assert first.reading == read_workbook(WORKBOOK, filename="evidencias.xls")


def test_a_reader_is_recycled_after_its_quota_of_files() -> None:
    readers = ReaderPool(1, max_files=2)
    try:
        examine(readers)
        (first,) = readers.pids()
        examine(readers)
        (second,) = readers.pids()  # the replacement, started as the first one retired
        assert second != first
        assert gone(first)
        examine(readers)
        assert readers.pids() == [second]
    finally:
        readers.close()


def test_a_reader_that_grew_too_much_is_recycled(faulty: Path) -> None:
    readers = ReaderPool(1, max_growth_bytes=32 * MIB)
    try:
        examine(readers)
        (first,) = readers.pids()
        assert served(readers, "engorda 64")
        (second,) = readers.pids()
        assert second != first
        assert gone(first)
    finally:
        readers.close()


def test_a_reader_killed_mid_file_costs_that_file_only(pool: ReaderPool, faulty: Path) -> None:
    examine(pool)  # ready
    (pid,) = pool.pids()
    outcome: list[ReaderFailed] = []
    caller = threading.Thread(target=lambda: outcome.append(failure(pool, "lento 30")))
    caller.start()
    time.sleep(0.5)
    os.kill(pid, signal.SIGKILL)
    caller.join(10)
    (failed,) = outcome
    assert failed.lost is Lost.MEMORY  # what a SIGKILL from the OOM killer means
    assert gone(pid)
    assert served(pool)
    assert pool.pids() != [pid]


def test_a_reader_that_crashes_is_replaced(pool: ReaderPool, faulty: Path) -> None:
    examine(pool)
    (pid,) = pool.pids()
    assert failure(pool, "muere").lost is Lost.CRASH
    assert served(pool)
    assert pool.pids() != [pid]


def test_a_reader_past_its_deadline_is_killed_and_replaced(pool: ReaderPool, faulty: Path) -> None:
    examine(pool)
    (pid,) = pool.pids()
    start = time.monotonic()
    assert failure(pool, "lento 30", timeout_s=0.5).lost is Lost.TIMEOUT
    assert time.monotonic() - start < 5
    assert gone(pid)
    assert served(pool)
    assert pool.pids() != [pid]


def test_a_memory_bomb_costs_one_reader(pool: ReaderPool) -> None:
    examine(pool, memory_bytes=300 * MIB)
    (pid,) = pool.pids()
    failed = failure(pool, "bomba.xlsx", amplifying_workbook(), memory_bytes=300 * MIB)
    assert failed.lost is Lost.MEMORY
    assert gone(pid)
    assert served(pool, memory_bytes=300 * MIB)
    assert pool.pids() != [pid]


def test_each_file_has_a_fresh_readers_headroom(pool: ReaderPool, faulty: Path) -> None:
    # A ready reader holds ~170 MiB; each of these files needs 96 MiB more and keeps it. Without
    # what it kept added to its soft limit, the second file would run out of a 300 MiB budget.
    for _ in range(3):
        assert served(pool, "engorda 96", memory_bytes=300 * MIB)


def test_a_hostile_answer_from_a_reader_is_refused(pool: ReaderPool, faulty: Path) -> None:
    examine(pool)
    (pid,) = pool.pids()
    failed = failure(pool, "hostil")
    assert failed.lost is Lost.BAD_ANSWER
    assert not faulty.exists()  # os.system was never called
    assert gone(pid)
    assert served(pool)


def test_what_a_reader_logs_comes_back_with_its_file(pool: ReaderPool, faulty: Path) -> None:
    key = Ed25519PrivateKey.generate().public_key().public_bytes_raw()
    against = RoundDocuments({}, {}, [], key)
    examination, output = pool.examine(
        WORKBOOK, filename="falla", against=against, timeout_s=20.0, memory_bytes=MEMORY
    )
    assert examination.check_failed
    assert "RuntimeError: una falla nuestra" in output
    _, output = pool.examine(
        WORKBOOK, filename="evidencias.xls", against=None, timeout_s=20.0, memory_bytes=MEMORY
    )
    assert output == ""  # only what was logged during the file at hand


def test_concurrent_calls_share_the_readers() -> None:
    names = [
        "libreoffice_package.xls",
        "excel_raw.xlsx",
        "excel_package.xlsx",
        "libreoffice_raw.xls",
    ]
    readers = ReaderPool(2)
    try:
        results: dict[str, Examination] = {}

        def call(name: str) -> None:
            results[name] = examine(readers, name, fixture(name))

        threads = [threading.Thread(target=call, args=(name,)) for name in names]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        for name in names:
            assert results[name].reading == read_workbook(fixture(name), filename=name)
        assert len(readers.pids()) == 2
    finally:
        readers.close()


@pytest.mark.parametrize(("size", "at_least", "below"), [(1, 3.0, None), (2, None, 2.8)])
def test_calls_wait_for_a_free_reader(
    faulty: Path, size: int, at_least: float | None, below: float | None
) -> None:
    readers = ReaderPool(size)
    try:
        readers.warm(MEMORY)
        for _ in range(size):  # idle readers are taken in turn: each one is ready after this
            examine(readers)
        threads = [threading.Thread(target=examine, args=(readers, "lento 1.5")) for _ in range(2)]
        start = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        elapsed = time.monotonic() - start
        assert at_least is None or elapsed >= at_least  # one reader: one file after the other
        assert below is None or elapsed < below  # two readers: both at once
    finally:
        readers.close()


def test_a_forked_child_starts_its_own_readers(pool: ReaderPool) -> None:
    examine(pool)
    (parent_reader,) = pool.pids()
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover (the child reports through the pipe)
        report: dict[str, object] = {}
        try:
            try:
                examine(pool)
                report["inherited"] = "used"
            except RuntimeError:
                report["inherited"] = "refused"
            pool.close()  # the inherited pipes only
            own = ReaderPool(1)
            report["served"] = served(own)
            report["readers"] = own.pids()
            own.close()
        finally:
            os.write(write_end, json.dumps(report).encode())
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as reported:
        report = json.loads(reported.read())
    os.waitpid(child, 0)
    assert report["inherited"] == "refused"
    assert report["served"] is True
    assert report["readers"] != [parent_reader]
    # The parent's reader was neither used nor closed by the child.
    assert pool.pids() == [parent_reader]
    assert served(pool)
    assert pool.pids() == [parent_reader]


def test_a_closed_pool_stops_its_readers() -> None:
    readers = ReaderPool(1)
    examine(readers)
    (pid,) = readers.pids()
    readers.close()
    assert gone(pid)
    with pytest.raises(RuntimeError):
        examine(readers)
