"""Staff sign-in and sign-out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import select

from core.security import verify_password
from review.deps import STAFF_SESSION_KEY, DbSession
from review.templating import templates
from schema import StaffUser
from schema.base import utcnow
from workflow.audit import record_event

router = APIRouter(include_in_schema=False)


@router.get("/ingresar", response_class=HTMLResponse)
def sign_in_form(request: Request) -> HTMLResponse:
    return templates.TemplateResponse(request, "ingresar.html", {"error": None, "email": ""})


@router.post("/ingresar")
def sign_in(
    request: Request,
    session: DbSession,
    email: Annotated[str, Form(max_length=320)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
) -> Response:
    address = email.strip().lower()
    user = session.exec(select(StaffUser).where(StaffUser.email == address)).first()
    if user is None or not user.is_active or not verify_password(password, user.password_hash):
        return templates.TemplateResponse(
            request,
            "ingresar.html",
            {"error": "Correo o contraseña incorrectos.", "email": address},
            status_code=status.HTTP_401_UNAUTHORIZED,
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
