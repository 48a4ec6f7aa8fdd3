"""Security headers on every response (pages, JSON, errors, static files).

The pages load nothing from elsewhere and run no script of their own; only /docs runs Swagger
UI's inline start-up script, so only it may. Strict-Transport-Security is sent once the site is
served over HTTPS (``SIA_BASE_URL`` says so), never on a plain-HTTP embedded run.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'{scripts}; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
PAGE_POLICY = _POLICY.format(scripts="")
DOCS_POLICY = _POLICY.format(scripts=" 'unsafe-inline'")
HSTS = "max-age=31536000; includeSubDomains"


class SecurityHeaders:
    """Pure ASGI: adds the headers as the response starts, whatever produced it."""

    def __init__(self, app: ASGIApp, *, https: bool, docs_path: str) -> None:
        self.app, self.https, self.docs_path = app, https, docs_path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        docs = scope["path"] == self.docs_path

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["Content-Security-Policy"] = DOCS_POLICY if docs else PAGE_POLICY
                headers["X-Content-Type-Options"] = "nosniff"
                headers["X-Frame-Options"] = "DENY"
                headers["Referrer-Policy"] = "same-origin"
                if self.https:
                    headers["Strict-Transport-Security"] = HSTS
            await send(message)

        await self.app(scope, receive, with_headers)
