"""The real processes the fault tests start, stop and kill: Redis and PostgreSQL servers of their
own (in a temporary directory, on a free port) and `sia worker`, each in a process group of its
own so that a kill takes its children with it.

A server binary that is truly absent skips the test with a loud reason.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO

import psycopg
import pytest
import redis

from tests.mailer.smtp import free_port

VENV_BIN = Path(sys.executable).parent
SIA = VENV_BIN / "sia"
# Short timeouts everywhere: a fault test that hangs is a failure, not a wait.
START_TIMEOUT = 20.0
STOP_TIMEOUT = 10.0


def wait_until(
    condition: Callable[[], object],
    timeout: float,
    what: str,
    *,
    every: float = 0.05,
    context: Callable[[], str] = str,
) -> None:
    """Poll ``condition`` until it is true; fail saying ``what`` was awaited, and what
    ``context`` says then (a log's tail)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:g} s waiting for {what}\n{context()}")
        time.sleep(every)


def find_binary(name: str) -> str:
    """The path of server binary ``name``; skips loudly when it is not installed."""
    candidates = [
        shutil.which(name),
        f"/usr/local/bin/{name}",
        f"/usr/bin/{name}",
        f"/usr/sbin/{name}",
        *sorted(map(str, Path("/usr/lib/postgresql").glob(f"*/bin/{name}")), reverse=True),
    ]
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    pytest.skip(f"{name.upper()} NOT INSTALLED: the fault tests start their own server with it")


def _group_signal(process: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, sig)


def stop_group(process: subprocess.Popen[bytes], *, timeout: float = STOP_TIMEOUT) -> None:
    """SIGTERM the process's group, SIGKILL it if it is still there after ``timeout``."""
    if process.poll() is None:
        _group_signal(process, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout)
    _group_signal(process, signal.SIGKILL)  # and any child left behind
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout)


# --- Redis --------------------------------------------------------------------------------------


class RedisServer:
    """A redis-server of the test's own in ``directory``; with ``appendonly`` every write is
    in the append-only file before Redis answers (``appendfsync always``)."""

    def __init__(self, directory: Path, *, appendonly: bool = False) -> None:
        self.binary = find_binary("redis-server")
        self.directory = directory
        self.directory.mkdir(parents=True, exist_ok=True)
        self.appendonly = appendonly
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def client(self, db: int = 0) -> redis.Redis:
        return redis.Redis.from_url(self.url(db), socket_timeout=5, socket_connect_timeout=2)

    def start(self) -> None:
        command = [
            self.binary,
            "--port", str(self.port),
            "--bind", "127.0.0.1",
            "--dir", str(self.directory),
            "--save", "",
            "--appendonly", "yes" if self.appendonly else "no",
            "--appendfsync", "always",
            "--daemonize", "no",
            "--logfile", str(self.directory / "redis.log"),
        ]  # fmt: skip
        self.process = subprocess.Popen(command, start_new_session=True)
        wait_until(self._answers, START_TIMEOUT, f"redis-server on port {self.port}")

    def _answers(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            log = (self.directory / "redis.log").read_text(errors="replace")
            pytest.fail(f"redis-server exited with {self.process.returncode}:\n{log[-2000:]}")
        try:
            return bool(self.client().ping())
        except redis.RedisError:
            return False

    def shutdown(self) -> None:
        """A clean stop (SHUTDOWN: the append-only file is flushed)."""
        assert self.process is not None
        with contextlib.suppress(redis.ConnectionError):
            self.client().shutdown()
        self.process.wait(STOP_TIMEOUT)

    def crash(self) -> None:
        """SIGKILL: no chance to flush anything."""
        assert self.process is not None
        _group_signal(self.process, signal.SIGKILL)
        self.process.wait(STOP_TIMEOUT)

    def stop(self) -> None:
        if self.process is not None:
            stop_group(self.process)


@contextlib.contextmanager
def redis_server(directory: Path, *, appendonly: bool = False) -> Iterator[RedisServer]:
    server = RedisServer(directory, appendonly=appendonly)
    server.start()
    try:
        yield server
    finally:
        server.stop()


# --- PostgreSQL ---------------------------------------------------------------------------------


class PostgresServer:
    """A PostgreSQL cluster of the test's own (initdb) in a temporary directory. PostgreSQL
    refuses to run as root: then the cluster belongs to, and the server runs as, the
    ``postgres`` OS user (``runuser``)."""

    def __init__(self) -> None:
        self.initdb = find_binary("initdb")
        self.pg_ctl = find_binary("pg_ctl")
        find_binary("postgres")
        self.as_user: list[str] = []
        owner: tuple[int, int] | None = None
        if os.geteuid() == 0:
            try:
                import pwd

                entry = pwd.getpwnam("postgres")
            except KeyError:
                pytest.skip("NO `postgres` OS USER: PostgreSQL cannot run as root")
            self.as_user = [find_binary("runuser"), "-u", "postgres", "--"]
            owner = (entry.pw_uid, entry.pw_gid)
        # Not under pytest's tmp_path: the postgres user must be able to reach it.
        self.root = Path(tempfile.mkdtemp(prefix="sia-faults-pg-"))
        if owner is not None:
            os.chown(self.root, *owner)
        self.data = self.root / "data"
        self.port = free_port()
        self.log = self.root / "server.log"

    def dsn(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def _run(self, *command: str, timeout: float = 60) -> None:
        done = subprocess.run(
            [*self.as_user, *command], capture_output=True, timeout=timeout, check=False
        )
        if done.returncode != 0:
            log = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            pytest.fail(
                f"{' '.join(command)} failed ({done.returncode}):\n"
                f"{done.stdout.decode(errors='replace')}{done.stderr.decode(errors='replace')}"
                f"\n{log}"
            )

    def init(self) -> None:
        self._run(
            self.initdb, "-D", str(self.data), "-U", "postgres", "-A", "trust",
            "-E", "UTF8", "--locale=C", "--no-sync",
        )  # fmt: skip
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write(
                f"port = {self.port}\n"
                "listen_addresses = '127.0.0.1'\n"
                f"unix_socket_directories = '{self.root}'\n"
                # Faster, and safe against a server crash (not an OS crash): committed work
                # is in the OS page cache. Never synchronous_commit = off: a crash would lose
                # the last commits.
                "fsync = off\nfull_page_writes = off\n"
                "max_connections = 50\nshared_buffers = 16MB\n"
            )

    def start(self) -> None:
        self._run(self.pg_ctl, "-D", str(self.data), "-l", str(self.log), "-w", "-t", "20", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run(self.pg_ctl, "-D", str(self.data), "-m", mode, "-w", "-t", "20", "stop")

    def running(self) -> bool:
        try:
            with psycopg.connect(self.dsn(), connect_timeout=2):
                return True
        except psycopg.Error:
            return False

    def create_database(self, name: str) -> str:
        with psycopg.connect(self.dsn(), autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def destroy(self) -> None:
        if (self.data / "postmaster.pid").exists():
            with contextlib.suppress(BaseException):
                self._run(self.pg_ctl, "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)


@contextlib.contextmanager
def postgres_server() -> Iterator[PostgresServer]:
    server = PostgresServer()
    try:
        server.init()
        server.start()
        yield server
    finally:
        server.destroy()


# --- Celery workers -----------------------------------------------------------------------------


class Worker:
    """`sia worker` (the production command: a prefork pool of one process here) in a process
    group of its own, its output in ``log``."""

    def __init__(
        self, *, queues: Sequence[str], env: Mapping[str, str], cwd: Path, log: Path
    ) -> None:
        self.log = log
        self._out: IO[bytes] = log.open("ab")
        command = [str(SIA), "worker", "-Q", ",".join(queues), "-c", "1", "-l", "INFO"]
        self.process = subprocess.Popen(
            command,
            env=dict(env),
            cwd=cwd,
            stdout=self._out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def children(self) -> list[int]:
        """The pool's processes (direct children of the main process)."""
        found = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            with contextlib.suppress(OSError, ValueError, IndexError):
                # "pid (comm) state ppid …": the name may hold spaces, so split after ")".
                fields = stat.read_text().rsplit(")", 1)[1].split()
                if int(fields[1]) == self.pid:
                    found.append(int(stat.parent.name))
        return found

    def wait_ready(self, timeout: float = START_TIMEOUT) -> None:
        def ready() -> bool:
            if not self.alive():
                pytest.fail(f"the worker exited with {self.process.returncode}:\n{self.tail()}")
            return " ready." in self.output()

        wait_until(ready, timeout, "the worker to be ready", every=0.1)

    def kill(self) -> None:
        """SIGKILL the whole worker: main process, pool and anything they started."""
        assert self.alive(), self.tail()
        _group_signal(self.process, signal.SIGKILL)
        self.process.wait(STOP_TIMEOUT)
        assert self.process.returncode == -signal.SIGKILL

    def kill_pool(self) -> list[int]:
        """SIGKILL only the pool's processes (as the OOM killer would); the main process
        stays. Their pids."""
        pool = self.children()
        assert pool, f"the worker has no pool process:\n{self.tail()}"
        for pid in pool:
            os.kill(pid, signal.SIGKILL)
        return pool

    def stop(self) -> None:
        """At the end of a test: its work is checked, so nothing is owed a warm shutdown."""
        _group_signal(self.process, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(STOP_TIMEOUT)
        self._out.close()

    def tail(self, chars: int = 4000) -> str:
        return self.output()[-chars:]


@contextlib.contextmanager
def workers() -> Iterator[list[Worker]]:
    """Every worker appended to the list is stopped (its group killed) at the end."""
    started: list[Worker] = []
    try:
        yield started
    finally:
        for worker in started:
            worker.stop()
