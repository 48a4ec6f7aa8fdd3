"""Examining a workbook in a reader process under a wall-clock and memory budget.

The parsers underneath (calamine, olefile, lxml, Pillow) are fed hostile bytes; whatever escapes
the checks in this package (a pathological file that is slow, or that makes a native library
allocate without bound) must cost one reader process, not the worker. Readers are pre-started and
reused (``evidence.reader_pool``): each caps its own address space with RLIMIT_AS, is killed at
the deadline, and answers with plain data (the examination's record) from which the parent
rebuilds the examination without loading any class. A reader reads the workbook and, given the
round's documents, checks it too (``evidence.examination``): one parse per upload.

Each process has its own pool, started at its first upload or by ``warm``, and stopped at exit.
A child forked from a process with readers starts its own: the readers belong to the parent.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time

from evidence.examination import Examination, RoundDocuments, examine
from evidence.findings import Code, finding
from evidence.limits import MIB, WORKBOOK_MAX_BYTES
from evidence.reader_pool import Lost, ReaderFailed, ReaderPool
from evidence.reading import WorkbookReading

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT_S = 20.0
DEFAULT_MEMORY_BYTES = 1024 * MIB

_pool: ReaderPool | None = None
_pool_lock = threading.Lock()


def _readers(size: int | None = None) -> ReaderPool:
    """This process's pool, of ``size`` readers when given (1 when first created without)."""
    global _pool
    with _pool_lock:
        if _pool is not None and (not _pool.owned_here() or size not in (None, _pool.size)):
            _pool.close()
            _pool = None
        if _pool is None:
            _pool = ReaderPool(size or 1)
        return _pool


def warm(readers: int = 1) -> None:
    """Start this process's readers now (for instance when a worker process starts) rather than
    at its first upload; ``readers`` is how many uploads it may examine at the same time."""
    _readers(readers).warm(DEFAULT_MEMORY_BYTES)


def reader_pids() -> list[int]:
    """This process's reader processes (to watch or measure them); none before the first."""
    with _pool_lock:
        return _pool.pids() if _pool is not None and _pool.owned_here() else []


@atexit.register
def _stop_readers() -> None:
    if _pool is not None:
        _pool.close()


def _after_fork_in_child() -> None:
    global _pool_lock
    _pool_lock = threading.Lock()  # the parent's may have been copied while held


os.register_at_fork(after_in_child=_after_fork_in_child)


def _over_budget(data: bytes, filename: str | None, why: str) -> Examination:
    problem = finding(
        Code.WB_FORMAT,
        f"La lectura del libro {why}; el archivo es demasiado complejo o está dañado. "
        "Guárdelo de nuevo solo con la evidencia y súbalo otra vez.",
    )
    return Examination(
        WorkbookReading(filename, len(data), None, (), None, None, None, None, (problem,))
    )


def examine_guarded(
    data: bytes,
    *,
    filename: str | None = None,
    against: RoundDocuments | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    memory_bytes: int = DEFAULT_MEMORY_BYTES,
) -> Examination:
    """``examine`` in a reader process; a Spanish WB-FORMAT finding when over budget.

    ``timeout_s`` runs from when a ready reader is handed the file: starting one is not the
    file's doing. ``memory_bytes`` is the reader's whole address space, as in a fresh process.
    """
    if len(data) > WORKBOOK_MAX_BYTES:
        return examine(data, filename=filename)  # refused on its size alone: nothing to parse
    started = time.monotonic()
    try:
        examination, output = _readers().examine(
            data, filename=filename, against=against, timeout_s=timeout_s, memory_bytes=memory_bytes
        )
    except ReaderFailed as failed:
        logger.warning("%s: %s", failed, failed.output)
        why = {
            Lost.TIMEOUT: f"excedió el tiempo máximo ({timeout_s:g} s)",
            Lost.MEMORY: f"excedió la memoria máxima ({memory_bytes // MIB} MiB)",
            Lost.CRASH: "terminó de forma anormal",
            Lost.BAD_ANSWER: "terminó sin un resultado válido",
        }[failed.lost]
        return _over_budget(data, filename, why)
    finally:
        # One line per examination: operators (and bench.upload_verdict) count them.
        logger.info(
            "%s examined in a child process in %.2f s", filename, time.monotonic() - started
        )
    if examination.check_failed:
        logger.error("evidence checks failed: %s", output)
    return examination
