"""Password hashing (argon2id) for staff and for SIA passwords.

Parameters are OWASP's recommended minimum for argon2id (19 MiB, 2 passes, 1 lane): a few tens
of milliseconds per check, so a burst of 100 sign-ins on 2 cores finishes in seconds instead of
tens of seconds, still costly for a guesser offline. Hashes made with other parameters (older
rows) keep verifying: argon2 hashes carry their own.

Hashing runs on a pool of its own with one thread per CPU (past that, checks would only queue for
the processor while each holds its memory), and those threads run at a lower scheduling priority
(Linux nice values are per thread): a burst of sign-ins then takes the CPU that nothing else
wants, and the web's event loop, /healthz and requests that need no password keep answering.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

MEMORY_KIB = 19 * 1024
PASSES = 2
LANES = 1
NICENESS = 10  # added to the process's; the kernel caps the sum at 19

_pool: tuple[int, ThreadPoolExecutor] | None = None
_pool_lock = threading.Lock()


def _lower_priority() -> None:
    if sys.platform == "linux":
        thread = threading.get_native_id()
        with contextlib.suppress(OSError):
            current = os.getpriority(os.PRIO_PROCESS, thread)
            os.setpriority(os.PRIO_PROCESS, thread, min(19, current + NICENESS))


def hashing_pool() -> ThreadPoolExecutor:
    """This process's hashing threads. Made per process: a pool inherited through fork (Celery's
    worker processes) has no threads left, and work sent to it would wait forever."""
    global _pool
    with _pool_lock:
        if _pool is None or _pool[0] != os.getpid():
            executor = ThreadPoolExecutor(
                max_workers=os.cpu_count() or 1,
                thread_name_prefix="argon2",
                initializer=_lower_priority,
            )
            _pool = (os.getpid(), executor)
        return _pool[1]


def _after_fork_in_child() -> None:
    global _pool_lock
    _pool_lock = threading.Lock()  # the parent's may have been copied while held


os.register_at_fork(after_in_child=_after_fork_in_child)


@lru_cache(maxsize=1)
def _hasher() -> PasswordHash:
    return PasswordHash(
        (Argon2Hasher(memory_cost=MEMORY_KIB, time_cost=PASSES, parallelism=LANES),)
    )


def hash_password(password: str) -> str:
    return hashing_pool().submit(_hasher().hash, password).result()


def verify_password(password: str, password_hash: str) -> bool:
    return hashing_pool().submit(_hasher().verify, password, password_hash).result()
