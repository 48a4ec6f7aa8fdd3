"""schemathesis against the app's own /openapi.json: generated requests to every JSON route,
valid and not, answered without a server error and as the schema documents them (issue 18).

Staff routes get a real bearer token and the evidence upload a vendor's Basic credentials, so
the examples reach past authentication into the validation and the domain."""

import base64
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.result import Ok
from sqlmodel import Session

from review.app import create_app
from tests.vendor import PASSWORD, RFC
from workflow.staff_sessions import issue_token

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)]
EXAMPLES = 30
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
Operation = schemathesis.APIOperation[Any, Any, Any, Any]
BASIC = "Basic " + base64.b64encode(f"{RFC}:{PASSWORD}".encode()).decode()


def test_every_json_route_answers_as_documented(settings, engine, reviewer, folio) -> None:
    with Session(engine, expire_on_commit=False) as session:
        bearer = "Bearer " + issue_token(session, reviewer, "fuzz", actor="test").token
        session.commit()
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app())
    operations = []
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result
        operations.append(result.ok())
    assert len(operations) >= 8  # every documented route, not an empty schema
    for operation in operations:
        vendor = operation.path.endswith("/evidencias") and operation.method.upper() == "POST"
        _fuzz(operation, BASIC if vendor else bearer)


def _fuzz(operation: Operation, authorization: str) -> None:
    @given(case=operation.as_strategy())
    @hypothesis_settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def answers_as_documented(case: schemathesis.Case[Operation]) -> None:
        headers = {"Authorization": authorization, **dict(case.headers or {})}
        case.call_and_validate(headers=headers, checks=CHECKS)

    answers_as_documented()
