"""/docs without the internet: Swagger UI from a Python package's own files, and an OpenAPI
document whose error responses are the ``{"detail": "..."}`` that ``review.errors`` renders.

FastAPI's own /docs loads Swagger UI from a CDN. ``fastapi-offline`` ships the Swagger UI 5
distribution (``swagger-ui-bundle`` ships 4.15, which cannot read the OpenAPI 3.1 that FastAPI
writes); only its files are used, mounted under :data:`STATIC_URL`.
"""

from __future__ import annotations

from importlib.resources import files
from typing import Any

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from review.api.models.errors import INVALID, ErrorBody

DOCS_URL = "/docs"
STATIC_URL = "/static/docs"
SWAGGER_JS, SWAGGER_CSS, FAVICON = "swagger-ui-bundle.js", "swagger-ui.css", "favicon.png"
_STATIC_DIR = files("fastapi_offline") / "static"
_FASTAPI_422 = "#/components/schemas/HTTPValidationError"


def _errors_as_rendered(schema: dict[str, Any]) -> None:
    """FastAPI documents a 422 it adds by itself as its list of validation errors; this app
    answers every 422 with :class:`ErrorBody` (``review.errors``)."""
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            response = operation.get("responses", {}).get("422")
            content = response and response.get("content", {}).get("application/json", {})
            if content and content.get("schema", {}).get("$ref") == _FASTAPI_422:
                response["description"] = INVALID
                content["schema"] = {"$ref": "#/components/schemas/ErrorBody"}
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components.setdefault("ErrorBody", ErrorBody.model_json_schema())
    for unused in ("HTTPValidationError", "ValidationError"):
        components.pop(unused, None)


def install(app: FastAPI) -> None:
    """Serve /docs offline; the app must be created with ``docs_url=None, redoc_url=None``."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        schema = generate()  # cached by FastAPI until the routes change
        _errors_as_rendered(schema)  # idempotent, and cheap next to serving the document
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
    app.mount(STATIC_URL, StaticFiles(directory=str(_STATIC_DIR)), name="docs-static")

    @app.get(DOCS_URL, include_in_schema=False)
    async def docs(request: Request) -> HTMLResponse:
        root = str(request.scope.get("root_path", "")).rstrip("/")
        return get_swagger_ui_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title} — API",
            swagger_js_url=f"{root}{STATIC_URL}/{SWAGGER_JS}",
            swagger_css_url=f"{root}{STATIC_URL}/{SWAGGER_CSS}",
            swagger_favicon_url=f"{root}{STATIC_URL}/{FAVICON}",
            oauth2_redirect_url=None,  # no OAuth2 flow: HTTP Basic, bearer token, staff session
            swagger_ui_parameters={"validatorUrl": None},  # never ask an online validator
        )
