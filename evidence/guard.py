"""Reading a workbook in a child process under a wall-clock and memory budget.

The parsers underneath (calamine, olefile, lxml, Pillow) are fed hostile bytes; whatever escapes
the checks in this package (a pathological file that is slow, or that makes a native library
allocate without bound) must cost one child process, not the worker. The child caps its own
address space with RLIMIT_AS, the parent kills it at the deadline, and its answer comes back as a
pickle that may only rebuild this package's types.
"""

from __future__ import annotations

import io
import logging
import pickle
import resource
import signal
import subprocess
import sys

from evidence.findings import Code, finding
from evidence.limits import MIB, WORKBOOK_MAX_BYTES
from evidence.reading import WorkbookReading, read_workbook

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT_S = 20.0
DEFAULT_MEMORY_BYTES = 1024 * MIB
_EXIT_MEMORY = 3
_ALLOWED_GLOBALS = {("decimal", "Decimal"), ("datetime", "date"), ("datetime", "datetime")}


class _ReadingUnpickler(pickle.Unpickler):
    """Rebuilds only the reading's own types: the child handled hostile data, so trust nothing."""

    def find_class(self, module: str, name: str) -> type:
        if module.startswith("evidence.") or (module, name) in _ALLOWED_GLOBALS:
            found: type = super().find_class(module, name)
            return found
        raise pickle.UnpicklingError(f"{module}.{name} is not part of a reading")


def load_reading(payload: bytes) -> WorkbookReading | None:
    """The reading a child sent back, or None if the payload is anything else."""
    try:
        reading = _ReadingUnpickler(io.BytesIO(payload)).load()
    except (pickle.UnpicklingError, EOFError, AttributeError, ValueError, TypeError, IndexError):
        return None
    return reading if isinstance(reading, WorkbookReading) else None


def _over_budget(data: bytes, filename: str | None, why: str) -> WorkbookReading:
    problem = finding(
        Code.WB_FORMAT,
        f"La lectura del libro {why}; el archivo es demasiado complejo o está dañado. "
        "Guárdelo de nuevo solo con la evidencia y súbalo otra vez.",
    )
    return WorkbookReading(filename, len(data), None, (), None, None, None, None, (problem,))


def read_workbook_guarded(
    data: bytes,
    *,
    filename: str | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    memory_bytes: int = DEFAULT_MEMORY_BYTES,
) -> WorkbookReading:
    """``read_workbook`` in a child process; a Spanish WB-FORMAT finding when over budget."""
    if len(data) > WORKBOOK_MAX_BYTES:
        return read_workbook(data, filename=filename)  # refused on its size alone: nothing to parse
    command = [sys.executable, "-m", "evidence.guard", str(memory_bytes), filename or ""]
    try:
        child = subprocess.run(
            command, input=data, capture_output=True, timeout=timeout_s, check=False
        )
    except subprocess.TimeoutExpired:
        return _over_budget(data, filename, f"excedió el tiempo máximo ({timeout_s:g} s)")
    if child.returncode == 0:
        reading = load_reading(child.stdout)
        if reading is None:
            return _over_budget(data, filename, "terminó sin un resultado válido")
        return reading
    logger.warning(
        "evidence reader exited with %s: %s",
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
    """Child side: budget bytes and file name in argv, workbook on stdin, pickle on stdout."""
    memory_bytes, filename = int(sys.argv[1]), sys.argv[2] or None
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    data = sys.stdin.buffer.read()
    try:
        reading = read_workbook(data, filename=filename)
        sys.stdout.buffer.write(pickle.dumps(reading, protocol=pickle.HIGHEST_PROTOCOL))
    except MemoryError:
        return _EXIT_MEMORY
    return 0


if __name__ == "__main__":
    sys.exit(main())
