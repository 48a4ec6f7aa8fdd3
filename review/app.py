"""The web application factory."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from core.config import get_settings
from core.db import get_engine
from review.api import keys
from review.health import probe_broker, probe_database

TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "templates")


def create_app() -> FastAPI:
    app = FastAPI(
        title="SIA Certificación",
        description="Back office de certificación de desarrolladores del SIA (INFONAVIT).",
        version="0.1.0",
    )

    app.include_router(keys.router, prefix="/api/v1")

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
        return TEMPLATES.TemplateResponse(request, "home.html")

    return app
