"""A burst of sign-ins on PostgreSQL: password checks hold no pooled connection, so 100 at once
are all answered (303 or 401), none with a server error."""

from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from review.app import create_app
from review.deps import CSRF_FIELD, PRE_SESSION_COOKIE
from tests.review.servers import serving
from tests.vendor import STAFF_EMAIL, STAFF_PASSWORD

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)]
CLIENTS = 100


def _sign_in(base: str, number: int) -> int:
    # Each client from its own address, as 100 people would be (no throttling in the way).
    password = STAFF_PASSWORD if number % 2 == 0 else "equivocada"
    headers = {"X-Forwarded-For": f"198.51.100.{number}"}
    with httpx.Client(base_url=base, timeout=120, headers=headers) as client:
        client.get("/ingresar")
        data = {
            "email": STAFF_EMAIL,
            "password": password,
            CSRF_FIELD: client.cookies.get(PRE_SESSION_COOKIE),
        }
        return client.post("/ingresar", data=data).status_code


def test_a_hundred_concurrent_sign_ins_get_answers_not_errors(reviewer):
    with serving(create_app()) as port, ThreadPoolExecutor(CLIENTS) as pool:
        codes = list(pool.map(lambda n: _sign_in(f"http://127.0.0.1:{port}", n), range(CLIENTS)))
    assert sorted(set(codes)) == [303, 401], codes
    assert codes.count(303) == CLIENTS // 2
