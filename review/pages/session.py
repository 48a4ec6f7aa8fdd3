"""Staff sign-in and sign-out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import select

from core.clock import utcnow
from core.security import verify_password
from review.deps import STAFF_SESSION_KEY, DbSession, client_address
from review.inputs import Text
from review.templating import templates
from schema import StaffUser
from workflow.audit import record_event
from workflow.throttle import Attempt, Throttled, throttled

router = APIRouter(include_in_schema=False)


def _form(request: Request, error: str | None, email: str, code: int) -> HTMLResponse:
    return templates.TemplateResponse(
        request, "ingresar.html", {"error": error, "email": email}, status_code=code
    )


@router.get("/ingresar", response_class=HTMLResponse)
def sign_in_form(request: Request) -> HTMLResponse:
    return _form(request, None, "", status.HTTP_200_OK)


@router.post("/ingresar")
def sign_in(
    request: Request,
    session: DbSession,
    email: Annotated[Text, Form(max_length=320)] = "",
    password: Annotated[Text, Form(max_length=1024)] = "",
) -> Response:
    address = email.strip().lower()

    def check() -> StaffUser | None:
        user = session.exec(select(StaffUser).where(StaffUser.email == address)).first()
        if user is None or not user.is_active or not verify_password(password, user.password_hash):
            return None
        return user

    try:
        user = throttled(session, Attempt(f"personal:{address}", client_address(request)), check)
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
    record_event(
        session,
        actor=f"staff:{user.id}",
        action="staff.signed_in",
        entity_type="staff_user",
        entity_id=user.id,
    )
    session.commit()
    request.session.clear()  # a fresh session on every sign-in (no fixation)
    request.session[STAFF_SESSION_KEY] = user.id
    return RedirectResponse("/panel", status_code=status.HTTP_303_SEE_OTHER)


@router.post("/salir")
def sign_out(request: Request) -> RedirectResponse:
    request.session.clear()
    return RedirectResponse("/ingresar", status_code=status.HTTP_303_SEE_OTHER)
