"""Fixed-window request counters: how long a caller must wait before its next request.

In Redis when there is one (shared by every web process, on every machine); otherwise in this
process's memory. A Redis that does not answer lets the request through and says so in the log:
the limit protects the service, and an outage of the counter must not become one of the service.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from functools import cache
from typing import Protocol

import redis

from core.config import get_settings

logger = logging.getLogger(__name__)


class Counter(Protocol):
    def wait(self, key: str, limit: int, window: int) -> int:
        """Count a request under ``key``; 0 if it may go ahead, else the seconds to wait."""


def _seconds_left(window: int, now: float) -> int:
    return max(1, math.ceil(window - now % window))


class MemoryCounter:
    def __init__(self) -> None:
        self._counts: dict[tuple[str, int], int] = {}
        self._lock = threading.Lock()

    def wait(self, key: str, limit: int, window: int) -> int:
        now = time.time()
        slot = int(now // window)
        with self._lock:
            if len(self._counts) > 10_000:
                self._counts = {k: v for k, v in self._counts.items() if k[1] >= slot}
            count = self._counts.get((key, slot), 0) + 1
            self._counts[(key, slot)] = count
        return 0 if count <= limit else _seconds_left(window, now)


class RedisCounter:
    def __init__(self, url: str) -> None:
        self._client = redis.Redis.from_url(url, socket_timeout=0.2, socket_connect_timeout=0.2)

    def wait(self, key: str, limit: int, window: int) -> int:
        now = time.time()
        name = f"sia:limite:{key}:{int(now // window)}"
        try:
            pipe = self._client.pipeline()
            pipe.incr(name)
            pipe.expire(name, window + 1)
            count = int(pipe.execute()[0])
        except redis.RedisError as exc:
            logger.warning("rate limit counter unavailable, request let through: %s", exc)
            return 0
        return 0 if count <= limit else _seconds_left(window, now)


@cache
def counter() -> Counter:
    settings = get_settings()
    url = settings.rate_limit_url or (
        settings.broker_url if settings.broker_url.startswith(("redis://", "rediss://")) else ""
    )
    return RedisCounter(url) if url else MemoryCounter()
