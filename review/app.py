"""The web application factory."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.middleware.sessions import SessionMiddleware

from core.config import get_settings
from core.db import get_engine
from review import errors
from review.api import evidence, keys, review, sandbox
from review.health import probe_broker, probe_database
from review.pages import dashboard, session, vendor_evidence
from review.templating import templates

SESSION_HOURS = 8


def create_app() -> FastAPI:
    app = FastAPI(
        title="SIA Certificación",
        description="Back office de certificación de desarrolladores del SIA (INFONAVIT).",
        version="0.1.0",
    )

    settings = get_settings()
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret(),
        session_cookie="sia_sesion",
        max_age=SESSION_HOURS * 3600,
        same_site="lax",
        https_only=settings.base_url.startswith("https://"),
    )
    errors.install(app)
    app.include_router(keys.router, prefix="/api/v1")
    app.include_router(sandbox.router, prefix="/api/v1")
    app.include_router(evidence.router, prefix="/api/v1")
    app.include_router(review.router, prefix="/api/v1")
    app.include_router(session.router)
    app.include_router(dashboard.router)
    app.include_router(vendor_evidence.router)

    @app.get("/healthz", tags=["operación"])
    async def healthz() -> JSONResponse:
        settings = get_settings()
        database = await run_in_threadpool(probe_database, get_engine())
        broker = await run_in_threadpool(probe_broker, settings)
        ok = database.ok and broker.ok
        return JSONResponse(
            {
                "status": "ok" if ok else "error",
                "database": database.as_json(),
                "broker": broker.as_json(),
            },
            status_code=200 if ok else 503,
        )

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def home(request: Request) -> HTMLResponse:
        return templates.TemplateResponse(request, "home.html")

    return app
