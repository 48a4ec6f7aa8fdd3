"""How much of a request body the web reads.

Every route takes at most :data:`BODY_LIMIT`: its JSON or form is a handful of short fields (a
session request is under 1 KiB). A declared Content-Length over the limit is refused before the
application runs, so the body is never read; a body without one (chunked) is counted as it
streams and cut off at the limit. Either way the answer is a Spanish 413 that closes the
connection, so the server does not drain the rest of a body nobody will use.

The evidence uploads are exempt: ``review.uploads`` streams them under their own limit (the
workbook's 5 MiB plus room for the other fields), and must see a part's headers before refusing,
so that a file sent in the wrong field is told so whatever its size.
"""

from __future__ import annotations

from collections.abc import Iterable

from fastapi import Request, status
from starlette.exceptions import HTTPException
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from review.errors import error_response, route_path

BODY_LIMIT = 64 * 1024


class BodyTooLarge(HTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(
            status.HTTP_413_CONTENT_TOO_LARGE,
            detail=f"El cuerpo de la solicitud excede el máximo de {limit // 1024} KiB.",
            headers={"Connection": "close"},
        )


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            # The server has refused a malformed value already; a test client may not have.
            return int(value) if value.isdigit() else None
    return None


class BodyLimit:
    """Pure ASGI (BaseHTTPMiddleware would buffer streamed requests and responses)."""

    def __init__(self, app: ASGIApp, *, limit: int, exempt: Iterable[str] = ()) -> None:
        self.app, self.limit = app, limit
        self.exempt = [compile_path(path)[0] for path in exempt]  # route templates

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or any(p.match(route_path(scope)) for p in self.exempt):
            await self.app(scope, receive, send)
            return
        declared = _declared_length(scope)
        if declared is not None and declared > self.limit:
            await self._refuse(scope, receive, send)
            return
        received = 0
        started = False

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    # An HTTPException: FastAPI passes it on from its body parsing untouched,
                    # and review.errors renders it.
                    raise BodyTooLarge(self.limit)
            return message

        async def tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, tracked)
        except BodyTooLarge:
            if started:
                raise
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        exc = BodyTooLarge(self.limit)
        response = error_response(Request(scope, receive), exc.status_code, exc.detail, exc.headers)
        await response(scope, receive, send)
