"""Pre-started reader processes that examine workbooks, each under its own memory cap.

Starting a Python process for every upload costs more than reading the workbook: the interpreter,
this package's imports and SAT's XSDs compiled again (``cfdi_schema``) take ~0.6 s of CPU and
~150 MB. A reader pays that once and then examines file after file sent to it over a pipe. It is
still a separate process: hostile bytes can make it crash, overrun the wall-clock deadline (the
parent kills it) or exhaust its RLIMIT_AS, and each of those costs only that reader, which is
replaced. A reader is also retired after ``max_files`` files, or once its address space has grown
``max_growth_bytes`` past what it held when it became ready, so a long-lived reader neither hoards
memory nor drifts from a fresh one.

Frames on the pipes: the parent sends ``>II`` (header length, workbook length), a JSON header
(file name, round documents) and the workbook; a reader answers ``>QI`` (its address-space growth
since it became ready, answer length) and the answer. A reader announces that it is ready with an
empty answer, and exits when its stdin closes (its parent is gone or retired it).

The answer is ``Examination.to_record``: ``>I?`` (the JSON's length, and whether it holds
integers past 64 bits), the record as JSON text (the reading and the checks, as the caller stores
them, and the length of each screenshot and CFDI), then those files' bytes. JSON, not pickle: a
reader that hostile bytes took over can send wrong data but never make the parent run anything.
It is also what costs least: the reader writes it once with orjson, which is at the same time the
check that it holds nothing a database refuses (``evidence.storable``), in a fifth of the time
pickle took; the parent reads it with orjson as fast as pickle loaded, or, when it holds integers
past 64 bits (which orjson would make floats), with the standard library.
"""

from __future__ import annotations

import gc
import json
import logging
import os
import resource
import selectors
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
from enum import Enum
from pathlib import Path
from typing import IO, Any, BinaryIO

import orjson

from evidence.examination import Examination, RoundDocuments, examine
from evidence.formats.cfdi_schema import cfdi_schema
from evidence.limits import MIB
from evidence.storable import storable_json

DEFAULT_MAX_FILES = 200
DEFAULT_MAX_GROWTH_BYTES = 256 * MIB
# Starting a reader is ours to pay, not the file's: it has its own, generous, deadline.
STARTUP_TIMEOUT_S = 60.0
EXIT_MEMORY = 3
# Exits that mean the memory budget ran out: a native allocation refused by RLIMIT_AS aborts the
# reader instead of raising, and the OOM killer sends SIGKILL.
_MEMORY_EXITS = frozenset({EXIT_MEMORY, -signal.SIGABRT, -signal.SIGSEGV, -signal.SIGKILL})
_REQUEST = struct.Struct(">II")
_ANSWER = struct.Struct(">QI")
_OUTPUT_TAIL = 4000


# The record's length, and whether it holds integers past 64 bits (``StorableJson``).
_RECORD = struct.Struct(">I?")


def answer_of(examination: Examination) -> bytes:
    """The answer that ``load_examination`` rebuilds ``examination`` from."""
    record = examination.to_record()
    screenshots, cfdi = record.pop("screenshots"), record.pop("cfdi")
    record["lengths"] = [[len(data) for data in screenshots], [len(data) for data in cfdi]]
    text, wide_integers = storable_json(record)
    return b"".join([_RECORD.pack(len(text), wide_integers), text, *screenshots, *cfdi])


def _files(view: memoryview, start: int, lengths: Any) -> tuple[list[bytes], int]:
    """The files of ``lengths`` from ``start`` on, and where they end; ValueError if they
    overrun the answer."""
    if not isinstance(lengths, list):
        raise ValueError("lengths are not a list")
    files = []
    for length in lengths:
        if not (isinstance(length, int) and 0 <= length <= len(view) - start):
            raise ValueError("a length that does not fit")
        files.append(bytes(view[start : start + length]))
        start += length
    return files, start


def load_examination(payload: bytes | bytearray) -> Examination | None:
    """The examination a reader sent back, or None if the payload is anything else."""
    with memoryview(payload) as view:
        try:
            size, wide_integers = _RECORD.unpack_from(view)
            start = _RECORD.size + size
            text = view[_RECORD.size : start]
            record = json.loads(bytes(text)) if wide_integers else orjson.loads(text)
            screenshot_lengths, cfdi_lengths = record.pop("lengths")
            record["screenshots"], start = _files(view, start, screenshot_lengths)
            record["cfdi"], start = _files(view, start, cfdi_lengths)
            if start != len(view):
                return None
            return Examination.from_record(record)
        except Exception:
            # Whatever a hostile payload makes the parsing or the rebuilding raise.
            return None


class Lost(Enum):
    """Why a reader gave no examination."""

    TIMEOUT = "timeout"
    MEMORY = "memory"
    CRASH = "crash"
    BAD_ANSWER = "bad answer"


class ReaderFailed(Exception):
    """The reader gave no examination; it has been stopped and will be replaced."""

    def __init__(self, lost: Lost, pid: int, output: str) -> None:
        super().__init__(f"evidence reader {pid}: {lost.value}")
        self.lost = lost
        self.pid = pid
        self.output = output  # what the reader wrote on stderr during this file


def _ready_before(selector: selectors.BaseSelector, deadline: float) -> bool:
    remaining = deadline - time.monotonic()
    return remaining > 0 and bool(selector.select(remaining))


class _Reader:
    """One reader process and the parent's ends of its pipes; used by one thread at a time."""

    def __init__(self, memory_bytes: int, max_growth_bytes: int) -> None:
        self.memory_bytes = memory_bytes
        self.files = 0
        self.grown = 0
        self._ready = False
        # A file, not a pipe: nobody has to drain it while the reader works, and only what the
        # reader wrote during the file at hand is read back. It lives as long as the reader.
        self._stderr: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "evidence.reader_pool",
                str(memory_bytes),
                str(memory_bytes + max_growth_bytes),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
        )
        self.pid = self.process.pid
        assert self.process.stdin is not None and self.process.stdout is not None
        self._to_reader = self.process.stdin.fileno()
        self._from_reader = self.process.stdout.fileno()
        os.set_blocking(self._to_reader, False)

    def examine(self, request: bytes, deadline: float) -> tuple[Examination, str]:
        """Send one request; the examination and what the reader logged meanwhile, or
        ``ReaderFailed`` (the reader is then of no further use)."""
        if not self._ready:
            self._exchange(b"", time.monotonic() + STARTUP_TIMEOUT_S, Lost.CRASH)
            self._ready = True
        output_start = self._output_size()
        self.files += 1
        payload = self._exchange(request, deadline, Lost.TIMEOUT)
        examination = load_examination(payload)
        if examination is None:
            raise ReaderFailed(Lost.BAD_ANSWER, self.pid, self._output(output_start))
        return examination, self._output(output_start)

    def _exchange(self, request: bytes, deadline: float, late: Lost) -> bytearray:
        output_start = self._output_size()
        answer = self._transfer(request, deadline)
        if answer is None:
            exited = self._end(wait_s=max(0.0, deadline - time.monotonic()))
            code = self.process.returncode
            lost = Lost.MEMORY if code in _MEMORY_EXITS else Lost.CRASH
            raise ReaderFailed(lost if exited else late, self.pid, self._output(output_start))
        self.grown, payload = answer
        return payload

    def _transfer(self, request: bytes, deadline: float) -> tuple[int, bytearray] | None:
        """Write ``request``, then read one answer, before ``deadline``; None if the reader
        closed its end or the deadline passed first."""
        with selectors.DefaultSelector() as selector:
            if request:
                selector.register(self._to_reader, selectors.EVENT_WRITE)
                unsent = memoryview(request)
                sent = 0
                while sent < len(request):
                    if not _ready_before(selector, deadline):
                        return None
                    try:
                        sent += os.write(self._to_reader, unsent[sent:])
                    except BrokenPipeError:
                        return None
                selector.unregister(self._to_reader)
            selector.register(self._from_reader, selectors.EVENT_READ)
            header = self._receive(selector, _ANSWER.size, deadline)
            if header is None:
                return None
            grown, length = _ANSWER.unpack(header)
            if length > self.memory_bytes:  # more than the reader could have held
                raise ReaderFailed(Lost.BAD_ANSWER, self.pid, "")
            payload = self._receive(selector, length, deadline)
            return None if payload is None else (grown, payload)

    def _receive(
        self, selector: selectors.BaseSelector, size: int, deadline: float
    ) -> bytearray | None:
        buffer = bytearray(size)
        view = memoryview(buffer)
        received = 0
        while received < size:
            if not _ready_before(selector, deadline):
                return None
            count = os.readv(self._from_reader, [view[received:]])
            if count == 0:
                return None
            received += count
        return buffer

    def _output_size(self) -> int:
        return os.fstat(self._stderr.fileno()).st_size

    def _output(self, start: int) -> str:
        """What the reader wrote on stderr since ``start`` (its last few thousand characters)."""
        self._stderr.seek(max(start, self._output_size() - _OUTPUT_TAIL))
        return self._stderr.read().decode(errors="replace")

    def alive(self) -> bool:
        return self.process.poll() is None

    def _end(self, wait_s: float) -> bool:
        """Give the reader ``wait_s`` to exit (to learn its exit code), then kill it; whether it
        exited by itself."""
        try:
            self.process.wait(wait_s)
            return True
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            return False

    def stop(self) -> None:
        """Kill the reader if it still runs and close the pipes; again changes nothing."""
        self._end(0.0)
        self.close_pipes()

    def close_pipes(self) -> None:
        """Close the parent's ends (a reader whose stdin closes exits)."""
        for stream in (self.process.stdin, self.process.stdout, self._stderr):
            if stream is not None:
                stream.close()


class ReaderPool:
    """Up to ``size`` readers for this process; each call uses one reader and waits for a free
    one. Thread-safe. A pool belongs to the process that created it: a child that inherited it
    through ``fork`` must create its own (its ``close`` only drops the inherited pipes)."""

    def __init__(
        self,
        size: int = 1,
        *,
        max_files: int = DEFAULT_MAX_FILES,
        max_growth_bytes: int = DEFAULT_MAX_GROWTH_BYTES,
    ) -> None:
        if size < 1:
            raise ValueError("a reader pool needs at least one reader")
        self.size = size
        self.owner = os.getpid()
        self._max_files = max_files
        self._max_growth_bytes = max_growth_bytes
        self._free = threading.BoundedSemaphore(size)
        self._lock = threading.Lock()
        self._idle: list[_Reader] = []
        self._busy: list[_Reader] = []
        self._closed = False

    def owned_here(self) -> bool:
        return self.owner == os.getpid()

    def pids(self) -> list[int]:
        """The readers' process ids, busy ones first."""
        with self._lock:
            return [reader.pid for reader in self._busy + self._idle]

    def warm(self, memory_bytes: int) -> None:
        """Start the missing readers for ``memory_bytes`` now (in place of idle ones unfit for
        it); they get ready in the background."""
        self._check_usable()
        with self._lock:
            unfit = self._unfit(memory_bytes)
            self._idle = [r for r in self._idle if r not in unfit]
            while len(self._idle) + len(self._busy) < self.size:
                self._idle.append(self._start(memory_bytes))
        for reader in unfit:
            reader.stop()

    def examine(
        self,
        data: bytes,
        *,
        filename: str | None,
        against: RoundDocuments | None,
        timeout_s: float,
        memory_bytes: int,
    ) -> tuple[Examination, str]:
        """``examine`` in a reader with ``timeout_s`` (counted once the reader is ready) and
        ``memory_bytes`` of address space; the examination and what the reader logged while at
        it, or ``ReaderFailed``."""
        self._check_usable()
        header = json.dumps(
            {"filename": filename, "against": against.to_json() if against else None},
            ensure_ascii=False,
        ).encode()
        request = _REQUEST.pack(len(header), len(data)) + header + data
        with self._free:
            reader = self._take(memory_bytes)
            try:
                answer = reader.examine(request, time.monotonic() + timeout_s)
            except BaseException:
                # Failed, or stopped mid-frame by an exception raised into this thread (a task's
                # soft time limit): either way it cannot serve another file.
                self._retire(reader, memory_bytes)
                raise
            if reader.files >= self._max_files or reader.grown > self._max_growth_bytes:
                self._retire(reader, memory_bytes)
            else:
                self._release(reader)
            return answer

    def _start(self, memory_bytes: int) -> _Reader:
        return _Reader(memory_bytes, self._max_growth_bytes)

    def _unfit(self, memory_bytes: int) -> list[_Reader]:
        """Idle readers that cannot take a file of ``memory_bytes``: dead while idle, or started
        for another budget (a reader's RLIMIT_AS cannot be raised). Called under the lock."""
        return [r for r in self._idle if not r.alive() or r.memory_bytes != memory_bytes]

    def _take(self, memory_bytes: int) -> _Reader:
        """An idle reader for ``memory_bytes``, or a new one in place of the unfit idle ones."""
        with self._lock:
            unfit = self._unfit(memory_bytes)
            fit = [r for r in self._idle if r not in unfit]
            reader = fit[0] if fit else self._start(memory_bytes)
            self._idle = [r for r in fit if r is not reader]
            self._busy.append(reader)
        for other in unfit:
            other.stop()
        return reader

    def _release(self, reader: _Reader) -> None:
        with self._lock:
            self._busy.remove(reader)
            if not self._closed:
                self._idle.append(reader)
                return
        reader.stop()

    def _retire(self, reader: _Reader, memory_bytes: int) -> None:
        """Stop ``reader`` and start its replacement, which gets ready while nobody waits."""
        reader.stop()
        with self._lock:
            self._busy.remove(reader)
            if not self._closed:
                self._idle.append(self._start(memory_bytes))

    def _check_usable(self) -> None:
        if not self.owned_here():
            raise RuntimeError("this reader pool belongs to the process that forked this one")
        if self._closed:
            raise RuntimeError("this reader pool is closed")

    def close(self) -> None:
        """Stop the idle readers (busy ones stop when their file is done). In a process that
        inherited the pool, only close the inherited pipes: the readers are the parent's."""
        if not self.owned_here():
            # No lock: a forked child has one thread, and the lock may have been copied held.
            for reader in self._idle + self._busy:
                reader.close_pipes()
            return
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for reader in idle:
            reader.stop()


# --- the reader's side --------------------------------------------------------------------------


def _address_space() -> int:
    """This process's address space in bytes, which RLIMIT_AS counts (0 where /proc is absent:
    there only the file count retires a reader)."""
    try:
        return int(Path("/proc/self/statm").read_bytes().split()[0]) * resource.getpagesize()
    except OSError:
        return 0


def _read_exactly(stream: BinaryIO, size: int) -> bytes | None:
    data = stream.read(size)
    return data if len(data) == size else None


def _serve(memory_bytes: int, hard_bytes: int, requests: BinaryIO, answers: BinaryIO) -> int:
    cfdi_schema()  # compiled once, before the first file and outside its budget
    # What is alive now (modules, the schema) lives as long as the reader: the collector need not
    # walk it again. What a file builds is freed by reference counting once it is answered, so
    # the cyclic collector runs once after each file rather than hundreds of times during it.
    gc.collect()
    gc.freeze()
    gc.disable()
    baseline = _address_space()
    answers.write(_ANSWER.pack(0, 0))
    answers.flush()
    while (frame := _read_exactly(requests, _REQUEST.size)) is not None:
        header_size, data_size = _REQUEST.unpack(frame)
        header_bytes = _read_exactly(requests, header_size)
        data = _read_exactly(requests, data_size)
        if header_bytes is None or data is None:
            break
        header: dict[str, Any] = json.loads(header_bytes)
        against = RoundDocuments.from_json(header["against"]) if header["against"] else None
        # What the reader kept from earlier files is added to the soft limit, so every file has
        # the headroom it would have in a fresh reader; the hard limit caps the growth.
        grown = max(0, _address_space() - baseline)
        soft = min(memory_bytes + grown, hard_bytes)
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard_bytes))
        try:
            payload = answer_of(examine(data, filename=header["filename"], against=against))
        except MemoryError:
            return EXIT_MEMORY
        answers.write(_ANSWER.pack(max(0, _address_space() - baseline), len(payload)))
        answers.write(payload)
        answers.flush()
        gc.collect()
    return 0


def main() -> int:
    """Reader side: its memory budget and hard limit in argv, requests on stdin, answers on
    stdout, anything logged on stderr."""
    memory_bytes, hard_bytes = int(sys.argv[1]), int(sys.argv[2])
    # Ctrl-C in a terminal reaches the whole process group; a reader ends with its parent.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    # Answers get a descriptor of their own; whatever else writes to fd 1 (a print, a native
    # library's warning) lands on stderr instead of in the middle of a frame.
    answers = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    return _serve(memory_bytes, hard_bytes, sys.stdin.buffer, answers)


if __name__ == "__main__":
    sys.exit(main())
