"""Password hashing runs on threads of its own, at a lower priority, in every process."""

from __future__ import annotations

import multiprocessing
import os
import sys
import threading

import pytest

from core.security import NICENESS, hash_password, hashing_pool, verify_password


def _niceness() -> int:
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


def _thread_niceness() -> tuple[str, int]:
    return threading.current_thread().name, _niceness()


@pytest.mark.skipif(sys.platform != "linux", reason="LINUX ONLY: per-thread nice values")
def test_hashing_threads_yield_the_cpu_to_the_rest_of_the_process() -> None:
    mine = _niceness()
    name, niceness = hashing_pool().submit(_thread_niceness).result()
    assert name.startswith("argon2")
    assert niceness == min(19, mine + NICENESS)
    assert _niceness() == mine


def test_hash_and_verify() -> None:
    hashed = hash_password("contraseña larga de prueba")
    assert verify_password("contraseña larga de prueba", hashed)
    assert not verify_password("otra", hashed)


def _in_forked_child(answer: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    answer.put(verify_password("clave del hijo", hash_password("clave del hijo")))


@pytest.mark.skipif(sys.platform == "win32", reason="WINDOWS HAS NO FORK")
def test_a_forked_process_hashes_on_threads_of_its_own() -> None:
    hash_password("la del padre crea su pool")  # the pool exists, with threads, before the fork
    context = multiprocessing.get_context("fork")
    answer = context.Queue()
    child = context.Process(target=_in_forked_child, args=(answer,))
    child.start()
    child.join(60)
    alive = child.is_alive()
    if alive:
        child.kill()
    assert not alive, "the forked child waited forever for the parent's hashing threads"
    assert answer.get(timeout=5) is True
