"""Request-scoped dependencies: a database session, the signed-in staff member and their role,
and the CSRF rules every state-changing staff request obeys.

A staff member is signed in by the ``sia_personal`` cookie (a server-side session,
``workflow.staff_sessions``) or, on the JSON API only, by a bearer token. A request that changes
something with the cookie must carry the session's CSRF token (form field ``csrf_token`` or
header ``X-CSRF-Token``, which htmx sends) and, when the browser names it, our own Origin;
otherwise it is refused with 403 before anything runs. A bearer token is not sent by browsers on
their own, so it needs neither.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import Depends, HTTPException, Request, status
from sqlmodel import Session
from starlette.requests import HTTPConnection

from core.config import get_settings
from core.db import get_engine
from schema import BrowserSession, OrganizationKind, StaffRole, StaffSession, StaffUser
from workflow.browser_sessions import csrf_matches
from workflow.portal.accounts import SignedInCompany, resume_company_session
from workflow.staff_sessions import authenticate_token, resume_session

STAFF_COOKIE = "sia_personal"
COMPANY_COOKIE = "sia_empresa"
PORTAL_SIGN_IN = "/portal/ingresar"
# Before sign-in there is no session to hold the token: the sign-in form's token is this
# cookie's value, sent back in the form (double submit), so another site cannot sign a
# victim's browser in to the attacker's account.
PRE_SESSION_COOKIE = "sia_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_REFUSED = (
    "La solicitud no trae un token de seguridad válido. Recargue la página e intente de nuevo."
)
ORIGIN_REFUSED = "La solicitud viene de otro sitio y no se aceptó."
ROLE_REFUSED = "Su rol no tiene acceso a esta sección."
KIND_REFUSED = "Esta sección no está disponible para su tipo de cuenta."

R = StaffRole
REVIEWERS = frozenset({R.REVISOR, R.SUPERVISOR, R.ADMINISTRADOR})
SUPERVISORS = frozenset({R.SUPERVISOR, R.ADMINISTRADOR})
ADMINISTRATORS = frozenset({R.ADMINISTRADOR})


def new_session() -> Session:
    """A session of the app's engine, for a route that does its blocking work in one hop to
    the thread pool rather than through dependencies (each one a hop of its own)."""
    return Session(get_engine(), expire_on_commit=False)


def db_session() -> Iterator[Session]:
    with new_session() as session:
        yield session


DbSession = Annotated[Session, Depends(db_session)]


class SignInRequired(HTTPException):
    """A page's visitor must sign in first; ``review.errors`` answers it as a bare redirect."""

    def __init__(self, location: str = "/ingresar") -> None:
        super().__init__(status.HTTP_303_SEE_OTHER, headers={"Location": location})


async def sent_csrf_token(request: Request) -> str | None:
    """The token a state-changing request carries: the header (htmx, API) or the form field.

    Async because reading the form is; Starlette keeps the parsed form, so the route's own
    Form parameters read the same one.
    """
    if request.method in SAFE_METHODS:
        return None
    header = request.headers.get(CSRF_HEADER)
    if header is not None:
        return header
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        value = (await request.form()).get(CSRF_FIELD)
        return value if isinstance(value, str) else None
    return None


SentCsrf = Annotated[str | None, Depends(sent_csrf_token)]


def same_origin(request: HTTPConnection) -> bool:
    """False only when the browser says the request comes from another site."""
    origin = request.headers.get("origin") or request.headers.get("referer")
    if origin is None:
        return True
    sent = urlsplit(origin)
    ours = {
        (urlsplit(get_settings().base_url).scheme, urlsplit(get_settings().base_url).netloc),
        (request.url.scheme, request.url.netloc),
    }
    return (sent.scheme, sent.netloc) in ours


def _guard_changes(request: Request, row: BrowserSession, sent: str | None) -> None:
    """A request that changes something must come from our pages: our Origin, the CSRF token."""
    if request.method not in SAFE_METHODS:
        if not same_origin(request):
            raise HTTPException(status.HTTP_403_FORBIDDEN, detail=ORIGIN_REFUSED)
        if not csrf_matches(row, sent):
            raise HTTPException(status.HTTP_403_FORBIDDEN, detail=CSRF_REFUSED)
    request.state.browser_session = row


def _session_user(
    request: Request, db: Session, sent: str | None
) -> tuple[StaffUser, StaffSession] | None:
    resumed = resume_session(db, request.cookies.get(STAFF_COOKIE, ""))
    if resumed is None:
        return None
    row, user = resumed
    release(db)
    _guard_changes(request, row, sent)
    return user, row


def release(db: Session) -> None:
    """End a read-only transaction (its objects stay loaded) so that its connection goes back
    to the pool: what runs next in the request may wait for a thread of the shared pool, and
    a connection waiting with it can leave every thread waiting for a connection."""
    if db.in_transaction() and not (db.new or db.dirty or db.deleted):
        db.commit()


def _with_role(user: StaffUser, roles: frozenset[StaffRole]) -> StaffUser:
    if user.role not in roles:
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail=ROLE_REFUSED)
    return user


def page_staff(roles: frozenset[StaffRole]) -> Callable[..., StaffUser]:
    """For pages: a visitor who is not signed in is sent to the sign-in form."""

    def dependency(request: Request, db: DbSession, sent: SentCsrf) -> StaffUser:
        signed_in = _session_user(request, db, sent)
        if signed_in is None:
            raise SignInRequired()
        return _with_role(signed_in[0], roles)

    return dependency


def api_staff(roles: frozenset[StaffRole]) -> Callable[..., StaffUser]:
    """For the JSON API: a bearer token or the dashboard's session; 401 instead of a redirect."""

    def dependency(request: Request, db: DbSession, sent: SentCsrf) -> StaffUser:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and token:
            user = authenticate_token(db, token.strip())
            release(db)
        else:
            signed_in = _session_user(request, db, sent)
            user = signed_in[0] if signed_in else None
        if user is None:
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED,
                detail="Inicie sesión como personal o envíe un token de personal válido.",
                headers={"WWW-Authenticate": "Bearer"},
            )
        return _with_role(user, roles)

    return dependency


def page_company(kinds: frozenset[OrganizationKind]) -> Callable[..., SignedInCompany]:
    """For the portal's pages: a company signed in with the ``sia_empresa`` cookie (same
    session and CSRF rules as the staff's); others are sent to the portal's sign-in form."""

    def dependency(request: Request, db: DbSession, sent: SentCsrf) -> SignedInCompany:
        company = resume_company_session(db, request.cookies.get(COMPANY_COOKIE, ""))
        if company is None:
            raise SignInRequired(PORTAL_SIGN_IN)
        release(db)
        _guard_changes(request, company.row, sent)
        if company.organization.kind not in kinds:
            raise HTTPException(status.HTTP_403_FORBIDDEN, detail=KIND_REFUSED)
        return company

    return dependency


CurrentCompany = Annotated[SignedInCompany, Depends(page_company(frozenset(OrganizationKind)))]
CurrentVendor = Annotated[
    SignedInCompany, Depends(page_company(frozenset({OrganizationKind.DESARROLLADOR})))
]
CurrentPatron = Annotated[
    SignedInCompany, Depends(page_company(frozenset({OrganizationKind.PATRON})))
]

CurrentStaff = Annotated[StaffUser, Depends(page_staff(REVIEWERS))]
Supervisor = Annotated[StaffUser, Depends(page_staff(SUPERVISORS))]
Administrator = Annotated[StaffUser, Depends(page_staff(ADMINISTRATORS))]
StaffApi = Annotated[StaffUser, Depends(api_staff(REVIEWERS))]


def csrf_token_of(request: Request) -> str:
    """The token the page's forms and htmx requests must send back."""
    row: BrowserSession | None = getattr(request.state, "browser_session", None)
    if row is not None:
        return row.csrf_token
    token = request.cookies.get(PRE_SESSION_COOKIE)
    if not token or len(token) > 100:
        token = secrets.token_urlsafe(32)
        request.state.new_pre_session_token = token
    return token


def pre_session_token_matches(request: Request, sent: str | None) -> bool:
    cookie = request.cookies.get(PRE_SESSION_COOKIE)
    return bool(cookie) and sent is not None and secrets.compare_digest(cookie or "", sent)


def cookie_options() -> dict[str, Any]:
    """HttpOnly, SameSite=Lax, Secure whenever the site is served over HTTPS."""
    return {
        "httponly": True,
        "samesite": "lax",
        "secure": get_settings().base_url.startswith("https://"),
        "path": "/",
    }


def client_address(request: HTTPConnection) -> str:
    """The client's IP address; behind a proxy, as SIA_FORWARDED_ALLOW_IPS lets uvicorn read it."""
    return request.client.host if request.client else "desconocida"
