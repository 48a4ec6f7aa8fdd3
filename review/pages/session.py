"""Staff sign-in, sign-out, and sign-out everywhere."""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, HTTPException, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import select

from core.clock import utcnow
from review import routing
from review.deps import (
    CSRF_REFUSED,
    ORIGIN_REFUSED,
    PRE_SESSION_COOKIE,
    STAFF_COOKIE,
    CurrentStaff,
    DbSession,
    SentCsrf,
    client_address,
    cookie_options,
    pre_session_token_matches,
    same_origin,
)
from review.inputs import Text
from review.templating import render
from schema import StaffSession, StaffUser
from workflow.audit import record_event
from workflow.credentials import password_matches
from workflow.staff_sessions import end_all_sessions, end_session, open_session
from workflow.throttle import Attempt, Door, Throttled, throttled

router = routing.router(include_in_schema=False)


def _form(request: Request, error: str | None, email: str, code: int) -> HTMLResponse:
    return render(request, "ingresar.html", {"error": error, "email": email}, code)


@router.get("/ingresar", response_class=HTMLResponse)
def sign_in_form(request: Request) -> HTMLResponse:
    return _form(request, None, "", status.HTTP_200_OK)


@router.post("/ingresar")
def sign_in(
    request: Request,
    session: DbSession,
    sent: SentCsrf,
    email: Annotated[Text, Form(max_length=320)] = "",
    password: Annotated[Text, Form(max_length=1024)] = "",
) -> Response:
    if not same_origin(request):
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail=ORIGIN_REFUSED)
    if not pre_session_token_matches(request, sent):
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail=CSRF_REFUSED)
    address = email.strip().lower()

    def check() -> StaffUser | None:
        user = session.exec(select(StaffUser).where(StaffUser.email == address)).first()
        stored = user.password_hash if user is not None else None
        if not password_matches(session, password, stored) or user is None or not user.is_active:
            return None
        return user

    try:
        user = throttled(session, Attempt(Door.PERSONAL, address, client_address(request)), check)
    except Throttled as exc:
        response = _form(request, str(exc), address, status.HTTP_429_TOO_MANY_REQUESTS)
        response.headers["Retry-After"] = str(exc.seconds)
        return response
    if user is None:
        return _form(
            request, "Correo o contraseña incorrectos.", address, status.HTTP_401_UNAUTHORIZED
        )
    assert user.id is not None
    user.last_login_at = utcnow()
    session.add(user)
    # A new session id at every sign-in, whatever cookie the browser brought (no fixation).
    opened = open_session(
        session,
        user,
        address=client_address(request),
        user_agent=request.headers.get("user-agent", ""),
    )
    record_event(
        session,
        actor=f"staff:{user.id}",
        action="staff.signed_in",
        entity_type="staff_user",
        entity_id=user.id,
    )
    session.commit()
    signed_in = RedirectResponse("/panel", status_code=status.HTTP_303_SEE_OTHER)
    signed_in.set_cookie(STAFF_COOKIE, opened.cookie, **cookie_options())
    signed_in.delete_cookie(PRE_SESSION_COOKIE, path="/")
    return signed_in


def _signed_out() -> RedirectResponse:
    response = RedirectResponse("/ingresar", status_code=status.HTTP_303_SEE_OTHER)
    response.delete_cookie(STAFF_COOKIE, path="/")
    return response


@router.post("/salir")
def sign_out(request: Request, staff: CurrentStaff, session: DbSession) -> RedirectResponse:
    row: StaffSession = request.state.browser_session
    end_session(session, row)
    session.commit()
    return _signed_out()


@router.post("/salir/todas")
def sign_out_everywhere(staff: CurrentStaff, session: DbSession) -> RedirectResponse:
    end_all_sessions(session, staff, actor=f"staff:{staff.id}")
    session.commit()
    return _signed_out()
