"""Who may use each route: every route of the app has a row here, and each row is tried as
anonymous, vendor A, vendor B, reviewer, supervisor and administrator (issues 12 and 18).

A route added without a row fails ``test_every_route_has_a_row``. A refused identity must get
the door's refusal (a page: 303 to /ingresar or 403; the API: 401 or 403; another vendor's
evidence: not found), an allowed one anything but a refusal, and nobody a server error. Staff
requests that change something carry their CSRF token, so what is tested is the role, not the
token (tests/review/test_sessions.py tests the token).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, select
from starlette.routing import Mount

from core.security import hash_password
from review.app import create_app
from review.deps import CSRF_HEADER, STAFF_COOKIE
from schema import Certification, Organization, StaffRole, StaffUser
from tests.certifications import request_and_dispatch
from tests.review.reviewing import round_of, workbook
from tests.vendor import PASSWORD, RFC
from workflow.staff_sessions import open_session

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)

RFC_B = "GODE561231GR8"
PASSWORD_B = "otra-contraseña-sia"


class Door(Enum):
    PUBLIC = "cualquiera"
    STAFF_PAGE = "personal (página)"
    SUPERVISOR_PAGE = "supervisión (página)"
    ADMIN_PAGE = "administración (página)"
    STAFF_API = "personal (API)"
    VENDOR_API = "desarrollador (API, Basic)"
    VENDOR_PAGE = "desarrollador (portal)"
    SANDBOX_API = "sandbox (token de sesión)"


ROUTES: dict[tuple[str, str], Door] = {
    ("GET", "/"): Door.PUBLIC,
    ("GET", "/healthz"): Door.PUBLIC,
    ("GET", "/openapi.json"): Door.PUBLIC,
    ("GET", "/docs"): Door.PUBLIC,
    ("GET", "/api/v1/llave-publica"): Door.PUBLIC,
    ("POST", "/api/v1/sesiones"): Door.PUBLIC,  # the sandbox's sign-in: its body is the door
    ("GET", "/api/v1/avisos"): Door.SANDBOX_API,
    ("POST", "/api/v1/certificaciones/{folio}/evidencias"): Door.VENDOR_API,
    ("GET", "/api/v1/evidencias/{submission_id}"): Door.VENDOR_API,
    ("GET", "/api/v1/revision/evidencias/{submission_id}"): Door.STAFF_API,
    ("POST", "/api/v1/revision/certificaciones/{folio}/decision"): Door.STAFF_API,
    ("GET", "/ingresar"): Door.PUBLIC,
    ("POST", "/ingresar"): Door.PUBLIC,
    ("POST", "/salir"): Door.STAFF_PAGE,
    ("POST", "/salir/todas"): Door.STAFF_PAGE,
    ("GET", "/panel"): Door.STAFF_PAGE,
    ("GET", "/panel/certificaciones/{folio}"): Door.STAFF_PAGE,
    ("POST", "/panel/certificaciones/{folio}/decision"): Door.STAFF_PAGE,
    ("GET", "/panel/evidencias/{submission_id}/libro"): Door.STAFF_PAGE,
    ("GET", "/panel/evidencias/{submission_id}/capturas/{number}"): Door.STAFF_PAGE,
    ("GET", "/panel/evidencias/{submission_id}/capturas/{number}/miniatura"): Door.STAFF_PAGE,
    ("GET", "/panel/supervision"): Door.SUPERVISOR_PAGE,
    ("POST", "/panel/supervision/asignaciones"): Door.SUPERVISOR_PAGE,
    ("GET", "/panel/metricas"): Door.SUPERVISOR_PAGE,
    ("GET", "/panel/metricas.xlsx"): Door.SUPERVISOR_PAGE,
    ("GET", "/panel/administracion"): Door.ADMIN_PAGE,
    ("GET", "/panel/administracion/personal"): Door.ADMIN_PAGE,
    ("POST", "/panel/administracion/personal"): Door.ADMIN_PAGE,
    ("POST", "/panel/administracion/personal/{cuenta}/rol"): Door.ADMIN_PAGE,
    ("POST", "/panel/administracion/personal/{cuenta}/desactivar"): Door.ADMIN_PAGE,
    ("POST", "/panel/administracion/personal/{cuenta}/reactivar"): Door.ADMIN_PAGE,
    ("POST", "/panel/administracion/personal/{cuenta}/contrasena"): Door.ADMIN_PAGE,
    ("GET", "/panel/administracion/calendario"): Door.ADMIN_PAGE,
    ("POST", "/panel/administracion/calendario"): Door.ADMIN_PAGE,
    ("POST", "/panel/administracion/calendario/{dia}/quitar"): Door.ADMIN_PAGE,
    ("GET", "/panel/administracion/correos"): Door.ADMIN_PAGE,
    ("POST", "/panel/administracion/correos/{correo}/reintentar"): Door.ADMIN_PAGE,
    ("GET", "/panel/administracion/colas"): Door.ADMIN_PAGE,
    ("GET", "/portal"): Door.PUBLIC,
    ("GET", "/portal/evidencias"): Door.PUBLIC,
    ("POST", "/portal/evidencias"): Door.PUBLIC,  # RFC and SIA password are in the form itself
    ("GET", "/portal/evidencias/{submission_id}"): Door.VENDOR_PAGE,
}
MOUNTS = {"/static", "/static/docs"}
# Where the body decides whether the door is even reached (an upload must be multipart).
BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/api/v1/certificaciones/{folio}/evidencias"): {
        "files": {"archivo": ("e.xlsx", b"no es un libro", "application/octet-stream")}
    },
}

IDENTITIES = ("anonimo", "desarrollador_a", "desarrollador_b", "revisor", "supervisor", "admin")
STAFF_ROLES = {
    "revisor": StaffRole.REVISOR,
    "supervisor": StaffRole.SUPERVISOR,
    "admin": StaffRole.ADMINISTRADOR,
}
ALLOWED: dict[Door, set[str]] = {
    Door.PUBLIC: set(IDENTITIES),
    Door.STAFF_PAGE: {"revisor", "supervisor", "admin"},
    Door.SUPERVISOR_PAGE: {"supervisor", "admin"},
    Door.ADMIN_PAGE: {"admin"},
    Door.STAFF_API: {"revisor", "supervisor", "admin"},
    Door.VENDOR_API: {"desarrollador_a"},
    Door.VENDOR_PAGE: {"desarrollador_a"},
    Door.SANDBOX_API: set(),  # no identity here holds a sandbox session token
}


def _walk(routes: list[Any]) -> Iterator[tuple[str, str]]:
    """(method, path) of every endpoint, through included routers; mounts as ("MOUNT", path)."""
    for route in routes:
        contexts = getattr(route, "effective_route_contexts", None)
        if contexts is not None:
            for context in contexts():
                for method in sorted((context.methods or set()) - {"HEAD"}):
                    yield method, context.path
        elif isinstance(route, Mount):
            yield "MOUNT", route.path
        else:
            for method in sorted((getattr(route, "methods", None) or set()) - {"HEAD"}):
                yield method, route.path


@dataclass
class World:
    app: FastAPI
    folio: str
    submission_id: int
    clients: dict[str, TestClient]
    csrf: dict[str, str]


@pytest.fixture
def world(settings, engine, folio) -> World:
    app = create_app()
    vendor_a = TestClient(app)
    vendor_a.auth = (RFC, PASSWORD)
    uploaded = vendor_a.post(
        "/portal/evidencias",
        data={"rfc": RFC, "password": PASSWORD, "folio": folio},
        files={"archivo": ("e.xlsx", workbook(round_of(engine, folio)), "application/zip")},
        follow_redirects=False,
    )
    assert uploaded.status_code == 303, uploaded.text  # and vendor A's portal session is set
    submission_id = int(uploaded.headers["location"].rsplit("/", 1)[1])

    request_and_dispatch(engine, RFC_B, datetime.now(UTC), razon_social="Otra")
    vendor_b_client = TestClient(app)
    vendor_b_client.auth = (RFC_B, PASSWORD_B)
    clients = {
        "anonimo": TestClient(app),
        "desarrollador_a": vendor_a,
        "desarrollador_b": vendor_b_client,
    }
    csrf: dict[str, str] = {}
    with Session(engine, expire_on_commit=False) as session:
        vendor_b = session.exec(select(Organization).where(Organization.rfc == RFC_B)).one()
        vendor_b.sia_password_hash = hash_password(PASSWORD_B)
        session.add(vendor_b)
        for name, role in STAFF_ROLES.items():
            user = StaffUser(
                email=f"{name}@infonavit.example",
                full_name=name,
                role=role,
                password_hash=hash_password("contraseña-de-personal"),
            )
            session.add(user)
            session.flush()
            opened = open_session(session, user, address="testclient", user_agent="pytest")
            clients[name] = TestClient(app, cookies={STAFF_COOKIE: opened.cookie})
            csrf[name] = opened.row.csrf_token
        session.commit()
        assert session.exec(select(Certification).where(Certification.folio == folio)).one()
    return World(app, folio, submission_id, clients, csrf)


def _url(path: str, world: World) -> str:
    values = {
        "folio": world.folio,
        "submission_id": str(world.submission_id),
        "number": "1",
        "cuenta": "999999",  # no such account: an allowed request is refused by the domain
        "correo": "999999",
        "dia": "2031-01-06",
    }
    for name, value in values.items():
        path = path.replace("{" + name + "}", value)
    assert "{" not in path, f"a path parameter without a sample value: {path}"
    return path


def _refused(door: Door, response: httpx.Response) -> bool:
    code = response.status_code
    if door in (Door.STAFF_PAGE, Door.SUPERVISOR_PAGE, Door.ADMIN_PAGE):
        # Signing out also ends at /ingresar, but it is the one that clears the cookie.
        sent_away = code == 303 and response.headers["location"] == "/ingresar"
        return code == 403 or (
            sent_away and STAFF_COOKIE not in response.headers.get("set-cookie", "")
        )
    if door is Door.VENDOR_PAGE:
        return code == 303 and response.headers["location"] == "/portal/evidencias"
    if door is Door.VENDOR_API:
        return code in (401, 404)  # another vendor's evidence is not found, not forbidden
    return code in (401, 403)


def test_every_route_has_a_row(settings):
    routes = set(_walk(create_app().routes))
    mounts = {path for method, path in routes if method == "MOUNT"}
    endpoints = {route for route in routes if route[0] != "MOUNT"}
    assert endpoints - ROUTES.keys() == set(), "routes without a row in ROUTES"
    assert ROUTES.keys() - endpoints == set(), "rows in ROUTES for routes that do not exist"
    assert mounts == MOUNTS


@pytest.mark.parametrize(("method", "path"), sorted(ROUTES))
def test_each_identity_gets_what_its_role_allows(world, method, path):
    door = ROUTES[(method, path)]
    url = _url(path, world)
    for identity in IDENTITIES:
        client = world.clients[identity]
        headers = {CSRF_HEADER: world.csrf[identity]} if identity in world.csrf else {}
        response = client.request(
            method, url, headers=headers, follow_redirects=False, **BODIES.get((method, path), {})
        )
        assert response.status_code < 500, (identity, method, url, response.text[:300])
        refused = _refused(door, response)
        if identity in ALLOWED[door]:
            assert not refused or door is Door.PUBLIC, (identity, method, url, response.status_code)
        else:
            assert refused, (identity, method, url, response.status_code, response.text[:200])


def test_sync_endpoints_give_their_connection_back_before_the_response(settings):
    """Every sync endpoint is wrapped by review.routing (see its docstring for why)."""
    import inspect

    unwrapped = []
    for route in create_app().routes:
        contexts = getattr(route, "effective_route_contexts", None)
        for context in contexts() if contexts is not None else ():
            endpoint = context.endpoint
            if not inspect.iscoroutinefunction(endpoint) and not hasattr(endpoint, "__wrapped__"):
                unwrapped.append(context.path)
    assert unwrapped == []
