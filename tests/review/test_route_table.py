"""Who may use each route: every route of the app has a row here, and each row is tried as
anonymous, vendor A, vendor B, a patrón, reviewer, supervisor and administrator (issues 12 and 18).
Vendors A and B and the patrón are companies of the portal, signed in through its own form.

A route added without a row fails ``test_every_route_has_a_row``. A refused identity must get
the door's refusal (a page: 303 to /ingresar or 403; a portal page: 303 to /portal/ingresar or
403; the API: 401 or 403; another vendor's evidence or another company's document: not found),
an allowed one anything but a refusal, and nobody a server error. Staff and company requests
that change something carry their CSRF token, so what is tested is the role, not the token
(tests/review/test_sessions.py and tests/review/portal test the token).
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
from sqlmodel import Session, col, select
from starlette.routing import Mount

from core.clock import utcnow
from core.security import hash_password
from review.app import create_app
from review.deps import COMPANY_COOKIE, CSRF_HEADER, STAFF_COOKIE
from schema import (
    Certification,
    CompanyAccount,
    CompanySession,
    DocumentKind,
    Organization,
    OrganizationKind,
    StaffRole,
    StaffUser,
    TestSet,
)
from tests.certifications import request_and_dispatch
from tests.review.portal.companies import csrf_token, sign_in
from tests.review.reviewing import round_of, upload, workbook
from tests.vendor import PASSWORD, RFC
from workflow.acuses import Acuse, issue_acuse
from workflow.folios import issue_folio
from workflow.staff_sessions import open_session

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)

RFC_B = "GODE561231GR8"
PATRON_RFC, PATRON_NRP = "PAT8503157B7", "Y5412345108"
PASSWORD_B = "otra-contraseña-sia"


class Door(Enum):
    PUBLIC = "cualquiera"
    STAFF_PAGE = "personal (página)"
    SUPERVISOR_PAGE = "supervisión (página)"
    ADMIN_PAGE = "administración (página)"
    STAFF_API = "personal (API)"
    ADMIN_API = "administración (API)"
    VENDOR_API = "desarrollador (API, Basic)"
    SANDBOX_API = "sandbox (token de sesión)"
    COMPANY_PAGE = "empresa (portal)"
    VENDOR_PAGE = "desarrollador (portal)"
    COMPANY_DOCUMENT = "empresa (sus documentos)"
    PATRON_PAGE = "patrón (portal)"


ROUTES: dict[tuple[str, str], Door] = {
    ("GET", "/"): Door.PUBLIC,
    ("GET", "/healthz"): Door.PUBLIC,
    ("GET", "/openapi.json"): Door.PUBLIC,
    ("GET", "/docs"): Door.PUBLIC,
    ("GET", "/api/v1/llave-publica"): Door.PUBLIC,
    ("GET", "/api/v1/desarrolladores-certificados"): Door.PUBLIC,
    ("GET", "/api/v1/desarrolladores-certificados/{folio}"): Door.PUBLIC,
    ("GET", "/desarrolladores-certificados"): Door.PUBLIC,
    ("GET", "/desarrolladores-certificados/{folio}"): Door.PUBLIC,
    ("POST", "/api/v1/sesiones"): Door.PUBLIC,  # the sandbox's sign-in: its body is the door
    ("GET", "/api/v1/avisos"): Door.SANDBOX_API,
    # Production: the session's body is its door; the avisos need a pair's session token,
    # which no identity here holds (tests/review/api/test_production_avisos.py opens one).
    ("POST", "/api/v1/produccion/sesiones"): Door.PUBLIC,
    ("GET", "/api/v1/produccion/avisos"): Door.SANDBOX_API,
    ("POST", "/api/v1/certificaciones/{folio}/evidencias"): Door.VENDOR_API,
    ("GET", "/api/v1/evidencias/{submission_id}"): Door.VENDOR_API,
    ("GET", "/api/v1/revision/evidencias/{submission_id}"): Door.STAFF_API,
    ("POST", "/api/v1/revision/certificaciones/{folio}/decision"): Door.STAFF_API,
    ("POST", "/api/v1/interno/avisos"): Door.ADMIN_API,
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
    ("GET", "/panel/patrones"): Door.STAFF_PAGE,
    ("GET", "/panel/patrones/{nrp}"): Door.STAFF_PAGE,
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
    ("GET", "/portal"): Door.COMPANY_PAGE,
    ("GET", "/portal/ingresar"): Door.PUBLIC,
    ("POST", "/portal/ingresar"): Door.PUBLIC,
    ("POST", "/portal/salir"): Door.COMPANY_PAGE,
    ("GET", "/portal/registro"): Door.PUBLIC,
    ("POST", "/portal/registro"): Door.PUBLIC,  # the e.firma in the form is its door
    ("GET", "/portal/confirmar"): Door.PUBLIC,
    ("POST", "/portal/confirmar"): Door.PUBLIC,  # the signed token is its door
    ("GET", "/portal/contrasena"): Door.COMPANY_PAGE,
    ("POST", "/portal/contrasena/terminos"): Door.COMPANY_PAGE,
    ("POST", "/portal/contrasena/efirma"): Door.COMPANY_PAGE,
    ("POST", "/portal/contrasena/confirmar"): Door.COMPANY_PAGE,
    ("GET", "/portal/contrasena/cancelar"): Door.COMPANY_PAGE,
    ("POST", "/portal/contrasena/cancelar"): Door.COMPANY_PAGE,
    ("GET", "/portal/contrasena/recuperar"): Door.COMPANY_PAGE,
    ("POST", "/portal/contrasena/recuperar"): Door.COMPANY_PAGE,
    ("GET", "/portal/documentos/{documento}.pdf"): Door.COMPANY_DOCUMENT,
    # The old evidence page: both only redirect to «Certificación (Desarrolladores)».
    ("GET", "/portal/evidencias"): Door.PUBLIC,
    ("POST", "/portal/evidencias"): Door.PUBLIC,
    ("GET", "/portal/certificacion"): Door.VENDOR_PAGE,
    ("POST", "/portal/certificacion/terminos"): Door.VENDOR_PAGE,
    ("POST", "/portal/certificacion/efirma"): Door.VENDOR_PAGE,
    ("POST", "/portal/certificacion/confirmar"): Door.VENDOR_PAGE,
    ("GET", "/portal/certificacion/seguimiento"): Door.VENDOR_PAGE,
    ("POST", "/portal/certificacion/seguimiento/efirma"): Door.VENDOR_PAGE,
    ("GET", "/portal/certificacion/sets/{set_folio}/set-de-pruebas.json"): Door.COMPANY_DOCUMENT,
    (
        "GET",
        "/portal/certificacion/sets/{set_folio}/plantilla-evidencias.xlsx",
    ): Door.COMPANY_DOCUMENT,
    ("POST", "/portal/certificacion/evidencias"): Door.VENDOR_PAGE,
    ("GET", "/portal/certificacion/evidencias/{submission_id}"): Door.COMPANY_DOCUMENT,
    ("GET", "/portal/certificacion/aprobacion"): Door.VENDOR_PAGE,
    ("POST", "/portal/certificacion/aprobacion/terminos"): Door.VENDOR_PAGE,
    ("POST", "/portal/certificacion/aprobacion/efirma"): Door.VENDOR_PAGE,
    ("POST", "/portal/certificacion/aprobacion/confirmar"): Door.VENDOR_PAGE,
    ("GET", "/portal/certificacion/cancelar"): Door.VENDOR_PAGE,
    ("POST", "/portal/certificacion/cancelar/efirma"): Door.VENDOR_PAGE,
    ("POST", "/portal/certificacion/cancelar/confirmar"): Door.VENDOR_PAGE,
    ("GET", "/portal/relaciones"): Door.PATRON_PAGE,
    ("GET", "/portal/relaciones/terminos"): Door.PATRON_PAGE,
    ("POST", "/portal/relaciones/terminos"): Door.PATRON_PAGE,
    ("GET", "/portal/relaciones/tabla"): Door.PATRON_PAGE,
    ("GET", "/portal/relaciones/exportar"): Door.PATRON_PAGE,
    ("GET", "/portal/relaciones/consultas"): Door.PATRON_PAGE,
    ("GET", "/portal/relaciones/consultas.xlsx"): Door.PATRON_PAGE,
    ("GET", "/portal/relaciones/desarrolladores"): Door.PATRON_PAGE,
    ("GET", "/portal/relaciones/adicionar"): Door.PATRON_PAGE,
    ("POST", "/portal/relaciones/adicionar"): Door.PATRON_PAGE,
    ("POST", "/portal/relaciones/efirma"): Door.PATRON_PAGE,
    ("POST", "/portal/relaciones/confirmar"): Door.PATRON_PAGE,
    ("GET", "/portal/relaciones/{folio}/borrar"): Door.PATRON_PAGE,
    ("GET", "/portal/relaciones/{folio}/borrar/efirma"): Door.PATRON_PAGE,
    ("POST", "/portal/relaciones/{folio}/borrar/efirma"): Door.PATRON_PAGE,
    ("POST", "/portal/relaciones/borrar/confirmar"): Door.PATRON_PAGE,
}
MOUNTS = {"/static", "/static/docs"}
# Where the body decides whether the door is even reached (an upload must be multipart).
BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/api/v1/certificaciones/{folio}/evidencias"): {
        "files": {"archivo": ("e.xlsx", b"no es un libro", "application/octet-stream")}
    },
    ("POST", "/portal/certificacion/evidencias"): {
        "files": {"archivo": ("e.xlsx", b"no es un libro", "application/octet-stream")}
    },
}

IDENTITIES = (
    "anonimo",
    "desarrollador_a",
    "desarrollador_b",
    "patron",
    "revisor",
    "supervisor",
    "admin",
)
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
    Door.ADMIN_API: {"admin"},
    Door.VENDOR_API: {"desarrollador_a"},
    Door.SANDBOX_API: set(),  # no identity here holds a sandbox session token
    Door.COMPANY_PAGE: {"desarrollador_a", "desarrollador_b", "patron"},
    Door.VENDOR_PAGE: {"desarrollador_a", "desarrollador_b"},
    # The document, test set or evidence file is company A's.
    Door.COMPANY_DOCUMENT: {"desarrollador_a"},
    Door.PATRON_PAGE: {"patron"},
}
PORTAL_PASSWORD = "contraseña del portal de la empresa"


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
    document_folio: str
    test_set_folio: str
    clients: dict[str, TestClient]
    csrf: dict[str, str]


@pytest.fixture
def world(settings, engine, folio) -> World:
    app = create_app()
    vendor_a = TestClient(app)
    vendor_a.auth = (RFC, PASSWORD)
    submission_id = upload(folio, workbook(round_of(engine, folio)))

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
        document_folio = _company_accounts(session)
        session.commit()
        assert session.exec(select(Certification).where(Certification.folio == folio)).one()
    clients["patron"] = TestClient(app)
    for name, identifier, rfc in (
        ("desarrollador_a", RFC, RFC),
        ("desarrollador_b", RFC_B, RFC_B),
        ("patron", PATRON_NRP, PATRON_RFC),
    ):
        # Through the portal's own sign-in form, as a browser would.
        company = clients[name]
        signed_in = sign_in(company, identifier, _company_email(rfc), PORTAL_PASSWORD)
        assert signed_in.status_code == 200 and company.cookies.get(COMPANY_COOKIE)
        csrf[name] = csrf_token(company, "/portal/contrasena")
    with Session(engine) as session:
        # Both showed their e.firma in «Seguimiento a Certificación» (tests/review/portal test
        # that it is asked for): what is tried here is the door, not that step.
        for row in session.exec(select(CompanySession)).all():
            row.efirma_verified_at = utcnow()
            row.efirma_certificate_number = "30001000000500003416"
            session.add(row)
        test_set_folio = session.exec(
            select(TestSet.folio)
            .join(Certification, col(Certification.id) == TestSet.certification_id)
            .where(Certification.folio == folio)
        ).one()
        session.commit()
    return World(app, folio, submission_id, document_folio, test_set_folio, clients, csrf)


def _company_email(rfc: str) -> str:
    return f"portal@{rfc.lower()}.example"


def _company_accounts(session: Session) -> str:
    """Confirmed portal accounts for vendors A and B and a patrón, and a signed document of A's
    (its folio)."""
    session.add(
        Organization(
            kind=OrganizationKind.PATRON,
            rfc=PATRON_RFC,
            nrp=PATRON_NRP,
            razon_social="Patrón de la tabla",
            email=_company_email(PATRON_RFC),
        )
    )
    session.flush()
    for rfc in (RFC, RFC_B, PATRON_RFC):
        vendor = session.exec(select(Organization).where(Organization.rfc == rfc)).one()
        assert vendor.id is not None
        session.add(
            CompanyAccount(
                organization_id=vendor.id,
                email=_company_email(rfc),
                password_hash=hash_password(PORTAL_PASSWORD),
                certificate_number="30001000000500003416",
                email_confirmed_at=utcnow(),
            )
        )
    vendor_a = session.exec(select(Organization).where(Organization.rfc == RFC)).one()
    assert vendor_a.id is not None
    folio = issue_folio(session, "responsiva_contrasena")
    acuse = Acuse(
        kind=DocumentKind.RESPONSIVA_CONTRASENA,
        title="Responsiva de prueba",
        folio=folio,
        issued_at=utcnow(),
        rfc=RFC,
        razon_social=vendor_a.razon_social,
        certificate_number="30001000000500003416",
        cadena=f"||{folio}||",
        sello="c2VsbG8=",
    )
    issue_acuse(session, acuse, organization_id=vendor_a.id)
    return folio


def _url(path: str, world: World) -> str:
    values = {
        "folio": world.folio,
        "submission_id": str(world.submission_id),
        "number": "1",
        "cuenta": "999999",  # no such account: an allowed request is refused by the domain
        "correo": "999999",
        "dia": "2031-01-06",
        "documento": world.document_folio,
        "set_folio": world.test_set_folio,
        "nrp": "Y5412345107",  # no such patrón: an allowed request is a 404
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
    if door in (Door.COMPANY_PAGE, Door.VENDOR_PAGE, Door.COMPANY_DOCUMENT, Door.PATRON_PAGE):
        # Signing out also ends at /portal/ingresar, but it is the one that clears the cookie.
        sent_away = code == 303 and response.headers["location"] == "/portal/ingresar"
        signed_out = COMPANY_COOKIE in response.headers.get("set-cookie", "")
        # Another company's document (test set, evidence file) is not found, as a missing
        # one is.
        not_found = door is Door.COMPANY_DOCUMENT and code == 404
        return code == 403 or not_found or (sent_away and not signed_out)
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
