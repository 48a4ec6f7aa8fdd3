"""Property-based tests (Hypothesis) of the validation of every JSON route (issue 18): whatever
JSON body or query string arrives — wrong types, nesting, control characters, huge numbers,
unknown keys — the answer is never a server error, and a refusal is the API's one error body
with a message in Spanish (never pydantic's or Starlette's English).

schemathesis (tests/review/test_openapi_fuzz.py) explores what the schema documents; this walks
what it does not: bodies and parameters of any shape.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from review.app import create_app

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)]

EXAMPLES = 40
# Phrases of the English messages the framework would give if one slipped through.
ENGLISH = ("Field required", "Input should", "value is not", "There was an error", "Not Found")

TEXT = st.text(alphabet=st.characters(codec="utf-8"), max_size=40)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | TEXT
)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=12,
)
PARAMS = st.dictionaries(
    st.sampled_from(["desde", "hasta", "rfc", "nss", "clase", "limite", "cursor", "pagina"]) | TEXT,
    TEXT | st.integers(min_value=-(2**70), max_value=2**70).map(str),
    max_size=4,
)


def _operations() -> list[tuple[str, str, bool]]:
    """(method, path, takes a JSON body) of every documented JSON API route."""
    found = []
    for path, methods in create_app().openapi()["paths"].items():
        for method, operation in methods.items():
            content = operation.get("requestBody", {}).get("content", {})
            if content and "application/json" not in content:
                continue  # multipart uploads and JSON Lines have tests of their own
            found.append((method.upper(), path, "application/json" in content))
    return found


def _concrete(path: str) -> str:
    return (
        path.replace("{folio}", "0500000001").replace("{id}", "1").replace("{nrp}", "Y5412345107")
    )


def _answers_properly(response: Any) -> None:
    assert response.status_code < 500, (response.status_code, response.text[:300])
    if response.status_code >= 400 and response.headers.get("content-type", "").startswith(
        "application/json"
    ):
        body = response.json()
        assert isinstance(body, dict) and isinstance(body.get("detail"), str), body
        assert not any(phrase in body["detail"] for phrase in ENGLISH), body["detail"]


def test_there_are_json_routes_to_try(settings: Any) -> None:
    operations = _operations()
    assert len(operations) >= 10
    assert ("POST", "/api/v1/produccion/sesiones", True) in operations


def _property(client: TestClient, method: str, url: str, has_body: bool) -> Any:
    headers = {"Authorization": "Bearer no-es-un-token"}

    @given(body=JSON, params=PARAMS)
    @hypothesis_settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def answers(body: Any, params: dict[str, str]) -> None:
        kwargs: dict[str, Any] = {"params": params, "headers": headers}
        if has_body:
            kwargs["json"] = body
        _answers_properly(client.request(method, url, **kwargs))

    return answers


@pytest.mark.usefixtures("settings", "engine")
def test_any_body_or_query_gets_a_spanish_answer_never_a_500() -> None:
    client = TestClient(create_app(), raise_server_exceptions=False)
    for method, path, has_body in _operations():
        _property(client, method, _concrete(path), has_body)()
