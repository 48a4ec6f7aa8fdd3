"""Examining a workbook in a child process under a wall-clock and memory budget.

The parsers underneath (calamine, olefile, lxml, Pillow) are fed hostile bytes; whatever escapes
the checks in this package (a pathological file that is slow, or that makes a native library
allocate without bound) must cost one child process, not the worker. The child caps its own
address space with RLIMIT_AS, the parent kills it at the deadline, and its answer comes back as a
pickle that may only rebuild this package's types. The child reads the workbook and, given the
round's documents, checks it too (``evidence.examination``): one parse per upload.
"""

from __future__ import annotations

import io
import json
import logging
import pickle
import resource
import signal
import struct
import subprocess
import sys
import time

from evidence.examination import Examination, RoundDocuments, examine
from evidence.findings import Code, finding
from evidence.limits import MIB, WORKBOOK_MAX_BYTES
from evidence.reading import WorkbookReading

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT_S = 20.0
DEFAULT_MEMORY_BYTES = 1024 * MIB
_EXIT_MEMORY = 3
_ALLOWED_GLOBALS = {("decimal", "Decimal"), ("datetime", "date"), ("datetime", "datetime")}


class _ExaminationUnpickler(pickle.Unpickler):
    """Rebuilds only this package's own types: the child handled hostile data, so trust nothing."""

    def find_class(self, module: str, name: str) -> type:
        if module.startswith("evidence.") or (module, name) in _ALLOWED_GLOBALS:
            found: type = super().find_class(module, name)
            return found
        raise pickle.UnpicklingError(f"{module}.{name} is not part of an examination")


def load_examination(payload: bytes) -> Examination | None:
    """The examination a child sent back, or None if the payload is anything else."""
    try:
        examination = _ExaminationUnpickler(io.BytesIO(payload)).load()
    except (pickle.UnpicklingError, EOFError, AttributeError, ValueError, TypeError, IndexError):
        return None
    if not isinstance(examination, Examination):
        return None
    return examination if isinstance(examination.reading, WorkbookReading) else None


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
    """``examine`` in a child process; a Spanish WB-FORMAT finding when over budget."""
    if len(data) > WORKBOOK_MAX_BYTES:
        return examine(data, filename=filename)  # refused on its size alone: nothing to parse
    header = json.dumps(
        {"filename": filename, "against": against.to_json() if against else None},
        ensure_ascii=False,
    ).encode()
    command = [sys.executable, "-m", "evidence.guard", str(memory_bytes)]
    started = time.monotonic()
    try:
        child = subprocess.run(
            command,
            input=struct.pack(">I", len(header)) + header + data,
            capture_output=True,
            timeout=timeout_s,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return _over_budget(data, filename, f"excedió el tiempo máximo ({timeout_s:g} s)")
    finally:
        # One line per child process: operators (and bench.upload_verdict) count them.
        logger.info(
            "%s examined in a child process in %.2f s", filename, time.monotonic() - started
        )
    if child.returncode == 0:
        examination = load_examination(child.stdout)
        if examination is None:
            return _over_budget(data, filename, "terminó sin un resultado válido")
        if examination.check_failed:
            logger.error(
                "evidence checks failed: %s", child.stderr[-4000:].decode(errors="replace")
            )
        return examination
    logger.warning(
        "evidence examiner exited with %s: %s",
        child.returncode,
        child.stderr[-2000:].decode(errors="replace"),
    )
    if child.returncode in (_EXIT_MEMORY, -signal.SIGABRT, -signal.SIGSEGV, -signal.SIGKILL):
        # A native allocation refused by RLIMIT_AS aborts the child instead of raising.
        return _over_budget(
            data, filename, f"excedió la memoria máxima ({memory_bytes // MIB} MiB)"
        )
    return _over_budget(data, filename, "terminó de forma anormal")


def main() -> int:
    """Child side: the memory budget in argv; on stdin a length-prefixed JSON header (file name,
    round documents) then the workbook; the pickled examination on stdout."""
    memory_bytes = int(sys.argv[1])
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    stdin = sys.stdin.buffer
    (length,) = struct.unpack(">I", stdin.read(4))
    header = json.loads(stdin.read(length))
    against = RoundDocuments.from_json(header["against"]) if header["against"] else None
    data = stdin.read()
    try:
        examination = examine(data, filename=header["filename"], against=against)
        sys.stdout.buffer.write(pickle.dumps(examination, protocol=pickle.HIGHEST_PROTOCOL))
    except MemoryError:
        return _EXIT_MEMORY
    return 0


if __name__ == "__main__":
    sys.exit(main())
