"""The routers every page and API module uses.

FastAPI runs a sync endpoint on the shared thread pool and then validates its response on that
pool again. A request whose session still held a connection between the two would wait for a
thread while keeping it; under load every connection ends up held that way and every thread
waiting for one (then 503s after the pool's timeout). A sync endpoint here gives its session's
connection back in the thread it ran in, before that second hop.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter
from fastapi.routing import APIRoute
from sqlmodel import Session


class ReleasingRoute(APIRoute):
    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        if not inspect.iscoroutinefunction(endpoint):
            endpoint = _releasing(endpoint)
        super().__init__(path, endpoint, **kwargs)


def _releasing(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(endpoint)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return endpoint(*args, **kwargs)
        finally:
            for value in kwargs.values():
                if isinstance(value, Session):
                    # Rolls back what the endpoint left uncommitted, as closing it would.
                    value.close()

    return run


def router(**kwargs: Any) -> APIRouter:
    return APIRouter(route_class=ReleasingRoute, **kwargs)
