"""The web application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio.to_thread
from fastapi import FastAPI, Request, Response
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from core.config import get_settings
from review import errors
from review.api import avisos_import, decisions, docs, evidence, keys, production, review, sandbox
from review.api import registry as registry_api
from review.api.models.health import Salud
from review.headers import SecurityHeaders
from review.health import HealthMonitor
from review.limits import BODY_LIMIT, BodyLimit
from review.pages import (
    administration,
    certification,
    decision,
    metrics,
    patrons,
    queue,
    registry,
    session,
    supervision,
    vendor_evidence,
)
from review.pages.portal import certification as portal_certification
from review.pages.portal import certification_follow_up as portal_certification_follow_up
from review.pages.portal import certification_request as portal_certification_request
from review.pages.portal import certification_signing as portal_certification_signing
from review.pages.portal import documents as portal_documents
from review.pages.portal import downloads as portal_downloads
from review.pages.portal import registration as portal_registration
from review.pages.portal import relationships as portal_relationships
from review.pages.portal import relationships_signing as portal_relationships_signing
from review.pages.portal import services as portal_services
from review.pages.portal import session as portal_session
from review.pages.portal import sia_password as portal_sia_password
from review.templating import render

API_PREFIX = "/api/v1"
STATIC_DIR = Path(__file__).parent / "static"


@asynccontextmanager
async def _lifespan(_app: FastAPI) -> AsyncIterator[None]:
    # Sync routes and dependencies run on this pool. With anyio's default of 40 threads, a burst
    # keeps dozens of them runnable and the event loop, which every request needs between
    # threads, gets the GIL rarely; a small pool keeps requests queued as coroutines instead.
    anyio.to_thread.current_default_thread_limiter().total_tokens = get_settings().web_threads
    yield


def create_app() -> FastAPI:
    # Importing the Celery app installs the sender behind core.enqueue for this process.
    import workers.app  # noqa: F401

    app = FastAPI(
        lifespan=_lifespan,
        title="SIA Certificación",
        description="Back office de certificación de desarrolladores del SIA (INFONAVIT).",
        version="0.1.0",
        docs_url=None,  # served offline by review.api.docs
        redoc_url=None,
    )

    settings = get_settings()
    # The last one added runs first: the security headers and then the request id and the
    # catch-all 500 around everything, then the body limit.
    app.add_middleware(
        BodyLimit,
        limit=BODY_LIMIT,
        exempt=[
            API_PREFIX + evidence.UPLOAD_PATH,
            API_PREFIX + avisos_import.IMPORT_PATH,  # streams under its own 20 MiB
            portal_certification.UPLOAD,
            # Only redirects, without reading the body of an old form's upload.
            vendor_evidence.UPLOAD_PATH,
        ],
    )
    app.add_middleware(errors.RequestGuard)
    # Outermost: even the guard's own 500 carries the headers.
    app.add_middleware(
        SecurityHeaders, https=settings.base_url.startswith("https://"), docs_path=docs.DOCS_URL
    )
    errors.install(app)
    docs.install(app)
    app.include_router(keys.router, prefix=API_PREFIX)
    app.include_router(sandbox.router, prefix=API_PREFIX)
    app.include_router(evidence.router, prefix=API_PREFIX)
    app.include_router(review.router, prefix=API_PREFIX)
    app.include_router(decisions.router, prefix=API_PREFIX)
    app.include_router(registry_api.router, prefix=API_PREFIX)
    app.include_router(production.router, prefix=API_PREFIX)
    app.include_router(avisos_import.router, prefix=API_PREFIX)
    for pages in (
        session,
        queue,
        certification,
        decision,
        supervision,
        administration,
        metrics,
        patrons,
        vendor_evidence,
        portal_session,
        portal_registration,
        portal_services,
        portal_sia_password,
        portal_documents,
        portal_certification_request,
        portal_certification_follow_up,
        portal_certification_signing,
        portal_relationships,
        portal_downloads,
        portal_relationships_signing,
        registry,
    ):
        app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    health = HealthMonitor()

    @app.get(
        "/healthz",
        tags=["operación"],
        summary="Alcance de la base de datos y del broker",
        response_description="La base de datos y el broker responden",
        response_model=Salud,
        response_model_exclude_unset=True,  # «error» only for a probe that failed
        responses={
            503: {"model": Salud, "description": "La base de datos o el broker no responde"}
        },
    )
    async def healthz(response: Response) -> Salud:
        settings = get_settings()
        database, broker = await health.probes(settings)
        ok = database.ok and broker.ok
        response.status_code = 200 if ok else 503
        return Salud.model_validate(
            {
                "status": "ok" if ok else "error",
                "database": database.as_json(),
                "broker": broker.as_json(),
            }
        )

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def home(request: Request) -> HTMLResponse:
        return render(request, "home.html")

    return app
