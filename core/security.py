"""Password hashing (argon2id) for staff and for SIA passwords.

Parameters are OWASP's recommended minimum for argon2id (19 MiB, 2 passes, 1 lane): a few tens
of milliseconds per check, so a burst of 100 sign-ins on 2 cores finishes in seconds instead of
tens of seconds, still costly for a guesser offline. Hashes made with other parameters (older
rows) keep verifying: argon2 hashes carry their own. Concurrent checks are capped at the number
of CPUs: past that they would only queue for the processor while each holds its memory.
"""

from __future__ import annotations

import os
import threading
from functools import lru_cache

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

MEMORY_KIB = 19 * 1024
PASSES = 2
LANES = 1
_running = threading.BoundedSemaphore(os.cpu_count() or 1)


@lru_cache(maxsize=1)
def _hasher() -> PasswordHash:
    return PasswordHash(
        (Argon2Hasher(memory_cost=MEMORY_KIB, time_cost=PASSES, parallelism=LANES),)
    )


def hash_password(password: str) -> str:
    with _running:
        return _hasher().hash(password)


def verify_password(password: str, password_hash: str) -> bool:
    with _running:
        return _hasher().verify(password, password_hash)
