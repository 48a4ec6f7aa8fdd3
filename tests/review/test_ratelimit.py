"""The per-caller counters of review.ratelimit: in this process's memory, and in Redis (shared by
every web process); a Redis that does not answer lets requests through."""

from __future__ import annotations

import uuid

import pytest

from review.ratelimit import MemoryCounter, RedisCounter


def test_memory_counter_allows_the_limit_then_says_how_long_to_wait() -> None:
    counter = MemoryCounter()
    assert [counter.wait("a", 3, 60) for _ in range(3)] == [0, 0, 0]
    assert 1 <= counter.wait("a", 3, 60) <= 60
    assert counter.wait("b", 3, 60) == 0  # each caller counts alone


@pytest.mark.redis
def test_redis_counter_is_shared_between_processes(redis_urls: tuple[str, str]) -> None:
    key = f"prueba-{uuid.uuid4()}"
    first, second = RedisCounter(redis_urls[0]), RedisCounter(redis_urls[0])
    assert [first.wait(key, 4, 60) for _ in range(2)] == [0, 0]
    assert [second.wait(key, 4, 60) for _ in range(2)] == [0, 0]
    assert 1 <= first.wait(key, 4, 60) <= 60


def test_an_unreachable_redis_lets_requests_through() -> None:
    counter = RedisCounter("redis://127.0.0.1:1/0")
    assert all(counter.wait("c", 1, 60) == 0 for _ in range(3))
