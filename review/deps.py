"""Request-scoped dependencies: a database session, the signed-in staff user."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from sqlmodel import Session
from starlette.requests import HTTPConnection

from core.db import get_engine
from schema import StaffUser

STAFF_SESSION_KEY = "staff_id"


def db_session() -> Iterator[Session]:
    with Session(get_engine(), expire_on_commit=False) as session:
        yield session


DbSession = Annotated[Session, Depends(db_session)]


class SignInRequired(HTTPException):
    """A page's visitor must sign in first; ``review.errors`` answers it as a bare redirect."""

    def __init__(self) -> None:
        super().__init__(status.HTTP_303_SEE_OTHER, headers={"Location": "/ingresar"})


def _signed_in(request: Request, session: Session) -> StaffUser | None:
    staff_id = request.session.get(STAFF_SESSION_KEY)
    user = session.get(StaffUser, staff_id) if isinstance(staff_id, int) else None
    if user is None or not user.is_active:
        request.session.clear()
        return None
    return user


def current_staff(request: Request, session: DbSession) -> StaffUser:
    """For pages: a visitor who is not signed in is sent to the sign-in form."""
    user = _signed_in(request, session)
    if user is None:
        raise SignInRequired()
    return user


def api_staff(request: Request, session: DbSession) -> StaffUser:
    """For the JSON API: 401 instead of a redirect."""
    user = _signed_in(request, session)
    if user is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, detail="Inicie sesión como personal.")
    return user


CurrentStaff = Annotated[StaffUser, Depends(current_staff)]
StaffApi = Annotated[StaffUser, Depends(api_staff)]


def client_address(request: HTTPConnection) -> str:
    """The client's IP address; behind a proxy, as SIA_FORWARDED_ALLOW_IPS lets uvicorn read it."""
    return request.client.host if request.client else "desconocida"
