"""The API documents itself: every JSON route has a response model, /openapi.json is a valid
OpenAPI document, and /docs works with no internet."""

import re
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from openapi_spec_validator import validate
from pydantic import BaseModel

from review.app import create_app

ERROR_BODY = "#/components/schemas/ErrorBody"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# The documentation does not depend on the database; one kind is enough.
pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def _documented(path: str) -> bool:
    return path.startswith("/api/") or path == "/healthz"


def _operations(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            yield f"{method.upper()} {path}", path, operation


@pytest.fixture
def client(settings) -> TestClient:
    return TestClient(create_app())


def test_every_json_route_declares_a_response_model(settings):
    # FastAPI's own walk for OpenAPI: it reaches the routes of included routers too.
    routes = [
        route
        for route in iter_route_contexts(create_app().routes)
        if isinstance(route.original_route, APIRoute) and _documented(route.path or "")
    ]
    assert len(routes) >= 7  # sesiones, avisos, llave, evidencias ×2, revisión, healthz
    for route in routes:
        model = route.response_model
        if isinstance(model, type) and issubclass(model, BaseModel):
            continue
        # Not JSON (the PEM key): the 2xx response must say what it is instead.
        documented = [
            content.get("schema")
            for code, response in route.responses.items()
            if str(code).startswith("2")
            for content in response.get("content", {}).values()
        ]
        assert documented and all(documented), f"{route.path} has no response model nor schema"


def test_openapi_document_is_valid_and_every_operation_has_a_2xx_schema(client):
    response = client.get("/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    validate(schema)  # OpenAPI 3.1, every $ref resolves
    operations = [op for op in _operations(schema) if _documented(op[1])]
    assert {name for name, _, _ in operations} >= {
        "POST /api/v1/sesiones",
        "GET /api/v1/avisos",
        "GET /api/v1/llave-publica",
        "POST /api/v1/certificaciones/{folio}/evidencias",
        "GET /api/v1/evidencias/{submission_id}",
        "GET /api/v1/revision/evidencias/{submission_id}",
        "GET /healthz",
    }
    for name, _, operation in operations:
        ok = {c: r for c, r in operation["responses"].items() if c.startswith("2")}
        assert ok, f"{name}: no 2xx response"
        for code, documented in ok.items():
            schemas = [content.get("schema") for content in documented["content"].values()]
            assert schemas and all(schemas), f"{name} {code}: no schema"
        assert operation.get("summary"), f"{name}: no summary"
        for code, documented in operation["responses"].items():  # not FastAPI's English ones
            english = documented["description"] in ("Successful Response", "Validation Error")
            assert not english, f"{name} {code}"
        for parameter in operation.get("parameters", []):
            assert parameter.get("description"), f"{name}: {parameter['name']} undescribed"


def test_errors_are_documented_as_they_are_rendered(client):
    schema = client.get("/openapi.json").json()
    assert "HTTPValidationError" not in schema["components"]["schemas"]
    assert schema["components"]["schemas"]["ErrorBody"]["required"] == ["detail"]
    for name, path, operation in _operations(schema):
        for code, documented in operation["responses"].items():
            if code.startswith(("4", "5")) and path != "/healthz":
                [content] = documented["content"].values()
                assert content["schema"] == {"$ref": ERROR_BODY}, f"{name} {code}"
    health = schema["paths"]["/healthz"]["get"]["responses"]
    assert health["503"]["content"]["application/json"]["schema"]["$ref"].endswith("/Salud")
    upload = schema["paths"]["/api/v1/certificaciones/{folio}/evidencias"]["post"]
    assert set(upload["responses"]) >= {"200", "202", "401", "404", "409", "413", "429"}
    assert "Location" in upload["responses"]["202"]["headers"]
    assert (
        "archivo" in upload["requestBody"]["content"]["multipart/form-data"]["schema"]["required"]
    )


def test_every_field_of_every_model_is_described(client):
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    models = {name: schema for name, schema in schemas.items() if "properties" in schema}
    assert len(models) >= 15
    for name, schema in models.items():
        for field, spec in schema["properties"].items():
            assert spec.get("description") or "$ref" in spec, f"{name}.{field}"
    assert "firma" in schemas["RespuestaAvisos"]["properties"]["firma"]["description"].lower()


_ASSET = re.compile(r"""(?:href|src)="([^"]+)"|url:\s*'([^']+)'""")
_TYPES = {".css": "text/css", ".js": "javascript", ".png": "image/png", ".json": "application/json"}


def test_docs_page_uses_only_same_origin_assets(client):
    page = client.get("/docs")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "http://" not in page.text and "https://" not in page.text
    assert "cdn" not in page.text.lower()
    assets = [href or url for href, url in _ASSET.findall(page.text)]
    assert {Path(urlsplit(a).path).suffix for a in assets} == set(_TYPES)
    for asset in assets:
        assert asset.startswith("/") and not asset.startswith("//"), asset
        response = client.get(asset)
        assert response.status_code == 200, asset
        expected = _TYPES[Path(urlsplit(asset).path).suffix]
        assert expected in response.headers["content-type"], (asset, response.headers)


def test_redoc_is_not_served(client):
    assert client.get("/redoc").status_code == 404  # its script would come from a CDN
