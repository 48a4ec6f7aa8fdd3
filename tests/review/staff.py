"""Signing staff in the way a browser does: the sign-in form's CSRF cookie, then the form."""

from __future__ import annotations

import re
from typing import Any

import httpx
from fastapi.testclient import TestClient

from review.deps import CSRF_FIELD, PRE_SESSION_COOKIE
from tests.vendor import STAFF_EMAIL, STAFF_PASSWORD

_TOKEN = re.compile(rf'name="{CSRF_FIELD}" value="([^"]+)"')


def sign_in(
    client: TestClient, email: str = STAFF_EMAIL, password: str = STAFF_PASSWORD, **kwargs: Any
) -> httpx.Response:
    client.get("/ingresar")
    token = client.cookies.get(PRE_SESSION_COOKIE)
    data = {"email": email, "password": password, CSRF_FIELD: token}
    response: httpx.Response = client.post("/ingresar", data=data, **kwargs)
    return response


def csrf_token(client: TestClient, page: str = "/panel") -> str:
    """The signed-in session's CSRF token, as a page's forms carry it."""
    found = _TOKEN.search(client.get(page).text)
    assert found, f"{page} has no CSRF field"
    return found.group(1)
