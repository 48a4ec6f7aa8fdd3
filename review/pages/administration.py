"""The administrator's pages: staff, calendar, dead letters, queues and workers.

Every change goes through a workflow function that audits it, and answers with a redirect to
the section (a success line named by a code in the query, read back from the database), or with
the section again and the Spanish refusal. A generated password is the exception: it is shown
once, in the answer to the form itself, and never stored where it could be shown again.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Form, Path, Query, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from core.clock import utcnow
from core.config import get_settings
from mailer.outbox import dead_letters
from review import routing
from review.deps import Administrator, DbSession
from review.inputs import DbId, Text
from review.refusals import http_status
from review.templating import render
from rules.formatting import fecha
from schema import OutboxEmail, StaffRole, StaffUser
from workers.status import ASK_SECONDS, broker_status
from workflow.calendar import add_non_working_day, non_working_days, remove_non_working_day
from workflow.dead_letters import retry_dead_letter
from workflow.refusals import (
    CalendarReason,
    CalendarRefused,
    OutboxRefused,
    Refused,
    StaffAccountRefused,
)
from workflow.staff_accounts import (
    MIN_PASSWORD_LENGTH,
    Password,
    change_role,
    choose_password,
    create_account,
    parse_role,
    reset_password,
    set_active,
    staff_accounts,
)

router = routing.router(include_in_schema=False)
PAGE = "/panel/administracion"
STAFF_PAGE = PAGE + "/personal"
CALENDAR_PAGE = PAGE + "/calendario"
MAIL_PAGE = PAGE + "/correos"
QUEUES_PAGE = PAGE + "/colas"
FIRST_YEAR, LAST_YEAR = 2000, 2100  # the calendar's years an administrator may page through

Code = Annotated[Text | None, Query(max_length=20)]  # which success line to show

ACCOUNT_NOTICES = {
    "creada": "Se creó la cuenta de {name} ({email}).",
    "rol": "{name} tiene ahora el rol «{role}»; sus sesiones abiertas se cerraron.",
    "desactivada": "Se desactivó la cuenta de {name} y se cerraron sus sesiones.",
    "reactivada": "Se reactivó la cuenta de {name}.",
    "contrasena": "Se cambió la contraseña de {name} y se cerraron sus sesiones.",
    "sin_cambios": "La cuenta de {name} ya estaba así; no se cambió nada.",
}


def _local_today() -> date:
    return utcnow().astimezone(get_settings().tz).date()


def _see_other(path: str, **query: Any) -> RedirectResponse:
    return RedirectResponse(f"{path}?{urlencode(query)}", status_code=status.HTTP_303_SEE_OTHER)


def _section(
    request: Request,
    staff: StaffUser,
    template: str,
    context: dict[str, Any],
    *,
    notice: str | None = None,
    refused: Refused | None = None,
) -> HTMLResponse:
    return render(
        request,
        template,
        {
            "staff": staff,
            "seccion": "administracion",
            "flower_url": get_settings().flower_url,
            "notice": notice,
            "error": str(refused) if refused else None,
            **context,
        },
        http_status(refused) if refused else status.HTTP_200_OK,
    )


@router.get(PAGE, response_class=HTMLResponse)
def administration(request: Request, staff: Administrator, session: DbSession) -> HTMLResponse:
    year = _local_today().year
    accounts = staff_accounts(session)
    context = {
        "apartado": None,
        "active_accounts": sum(1 for user in accounts if user.is_active),
        "accounts": len(accounts),
        "dead_letters": len(dead_letters(session)),
        "year": year,
        "published_days": sum(1 for d in non_working_days(session, year) if not d.statutory),
    }
    return _section(request, staff, "administracion.html", context)


# Staff accounts


def _accounts_page(
    request: Request,
    staff: StaffUser,
    session: Session,
    *,
    notice: str | None = None,
    refused: Refused | None = None,
    values: dict[str, str] | None = None,
    shown_password: tuple[StaffUser, str] | None = None,
) -> HTMLResponse:
    context = {
        "apartado": "personal",
        "accounts": staff_accounts(session),
        "roles": list(StaffRole),
        "min_password": MIN_PASSWORD_LENGTH,
        "values": values or {},
        "shown_password": shown_password,
    }
    page = _section(
        request, staff, "administracion_personal.html", context, notice=notice, refused=refused
    )
    if shown_password is not None:
        # The password is in this answer only: no cache, no back button, may keep it.
        page.headers["Cache-Control"] = "no-store"
    return page


def _account_notice(session: Session, code: str | None, account_id: int | None) -> str | None:
    template = ACCOUNT_NOTICES.get(code or "")
    user = session.get(StaffUser, account_id) if account_id else None
    if template is None or user is None:
        return None
    return template.format(name=user.full_name, email=user.email, role=user.role.value)


@router.get(STAFF_PAGE, response_class=HTMLResponse)
def accounts(
    request: Request,
    staff: Administrator,
    session: DbSession,
    hecho: Code = None,
    cuenta: Annotated[DbId | None, Query()] = None,
) -> HTMLResponse:
    notice = _account_notice(session, hecho, cuenta)
    return _accounts_page(request, staff, session, notice=notice)


def _account_change(
    request: Request,
    staff: StaffUser,
    session: Session,
    change: Callable[[], tuple[StaffUser, str, Password | None]],
    values: dict[str, str] | None = None,
) -> Response:
    """Run ``change`` (the account, its success code, the password to show once, if any) and
    answer with the section: a redirect, the refusal, or the generated password."""
    try:
        user, code, password = change()
    except StaffAccountRefused as refused:
        session.rollback()
        return _accounts_page(request, staff, session, refused=refused, values=values)
    session.commit()
    if password is not None and password.generated:
        notice = _account_notice(session, code, user.id)
        return _accounts_page(
            request, staff, session, notice=notice, shown_password=(user, password.value)
        )
    return _see_other(STAFF_PAGE, hecho=code, cuenta=user.id)


@router.post(STAFF_PAGE)
def create(
    request: Request,
    staff: Administrator,
    session: DbSession,
    email: Annotated[Text, Form(max_length=320)] = "",
    nombre: Annotated[Text, Form(max_length=1000)] = "",
    rol: Annotated[Text, Form(max_length=20)] = "",
    contrasena: Annotated[Text, Form(max_length=1024)] = "",
) -> Response:
    def change() -> tuple[StaffUser, str, Password]:
        password = choose_password(contrasena)
        user = create_account(
            session,
            email=email,
            full_name=nombre,
            role=parse_role(rol),
            password=password,
            actor=f"staff:{staff.id}",
        )
        return user, "creada", password

    values = {"email": email, "nombre": nombre, "rol": rol}
    return _account_change(request, staff, session, change, values)


AccountId = Annotated[DbId, Path(description="Identificador de la cuenta")]


@router.post(STAFF_PAGE + "/{cuenta}/rol")
def new_role(
    request: Request,
    staff: Administrator,
    session: DbSession,
    cuenta: AccountId,
    rol: Annotated[Text, Form(max_length=20)] = "",
) -> Response:
    def change() -> tuple[StaffUser, str, None]:
        user, changed = change_role(session, cuenta, parse_role(rol), actor=staff)
        return user, "rol" if changed else "sin_cambios", None

    return _account_change(request, staff, session, change)


def _activation(
    request: Request, staff: StaffUser, session: Session, account_id: int, active: bool
) -> Response:
    def change() -> tuple[StaffUser, str, None]:
        user, changed = set_active(session, account_id, active, actor=staff)
        done = "reactivada" if active else "desactivada"
        return user, done if changed else "sin_cambios", None

    return _account_change(request, staff, session, change)


@router.post(STAFF_PAGE + "/{cuenta}/desactivar")
def deactivate(
    request: Request, staff: Administrator, session: DbSession, cuenta: AccountId
) -> Response:
    return _activation(request, staff, session, cuenta, active=False)


@router.post(STAFF_PAGE + "/{cuenta}/reactivar")
def reactivate(
    request: Request, staff: Administrator, session: DbSession, cuenta: AccountId
) -> Response:
    return _activation(request, staff, session, cuenta, active=True)


@router.post(STAFF_PAGE + "/{cuenta}/contrasena")
def new_password(
    request: Request,
    staff: Administrator,
    session: DbSession,
    cuenta: AccountId,
    contrasena: Annotated[Text, Form(max_length=1024)] = "",
) -> Response:
    def change() -> tuple[StaffUser, str, Password]:
        password = choose_password(contrasena)
        return reset_password(session, cuenta, password, actor=staff), "contrasena", password

    return _account_change(request, staff, session, change)


# Non-working days


def _moved(count: int) -> str:
    if count == 0:
        return "ningún plazo en curso cambió"
    if count == 1:
        return "cambió la fecha límite de 1 plazo en curso"
    return f"cambió la fecha límite de {count} plazos en curso"


def _calendar_notice(code: str | None, day: date | None, moved: int | None) -> str | None:
    if day is None or moved is None:
        return None
    if code == "agregado":
        return f"Se agregó el {fecha(day)} como día inhábil; {_moved(moved)}."
    if code == "quitado":
        return f"El {fecha(day)} vuelve a ser día hábil; {_moved(moved)}."
    return None


def _calendar_page(
    request: Request,
    staff: StaffUser,
    session: Session,
    year: int,
    *,
    notice: str | None = None,
    refused: Refused | None = None,
    values: dict[str, str] | None = None,
) -> HTMLResponse:
    context = {
        "apartado": "calendario",
        "year": year,
        "years": (year - 1, year + 1),
        "first_year": FIRST_YEAR,
        "last_year": LAST_YEAR,
        "days": non_working_days(session, year),
        "values": values or {},
    }
    return _section(
        request, staff, "administracion_calendario.html", context, notice=notice, refused=refused
    )


@router.get(CALENDAR_PAGE, response_class=HTMLResponse)
def calendar(
    request: Request,
    staff: Administrator,
    session: DbSession,
    anio: Annotated[int | None, Query(ge=FIRST_YEAR, le=LAST_YEAR)] = None,
    hecho: Code = None,
    dia: Annotated[date | None, Query()] = None,
    movidos: Annotated[int | None, Query(ge=0)] = None,
) -> HTMLResponse:
    notice = _calendar_notice(hecho, dia, movidos)
    return _calendar_page(request, staff, session, anio or _local_today().year, notice=notice)


def _day(value: str) -> date:
    """The form's date, or the calendar's refusal in Spanish."""
    try:
        day: date | None = date.fromisoformat(value.strip())
    except ValueError:
        day = None
    if day is None or not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise CalendarRefused(
            CalendarReason.INVALID_DATE,
            f"La fecha «{value.strip()}» no es válida; escríbala como AAAA-MM-DD "
            f"(entre {FIRST_YEAR} y {LAST_YEAR}).",
        )
    return day


@router.post(CALENDAR_PAGE)
def add_day(
    request: Request,
    staff: Administrator,
    session: DbSession,
    dia: Annotated[Text, Form(max_length=40)] = "",
    motivo: Annotated[Text, Form(max_length=1000)] = "",
) -> Response:
    try:
        day = _day(dia)
        change = add_non_working_day(session, day, motivo, actor=f"staff:{staff.id}")
    except CalendarRefused as refused:
        session.rollback()
        values = {"dia": dia, "motivo": motivo}
        year = _local_today().year
        return _calendar_page(request, staff, session, year, refused=refused, values=values)
    session.commit()
    return _see_other(
        CALENDAR_PAGE, anio=day.year, hecho="agregado", dia=day, movidos=len(change.moved)
    )


@router.post(CALENDAR_PAGE + "/{dia}/quitar")
def remove_day(
    request: Request,
    staff: Administrator,
    session: DbSession,
    dia: Annotated[date, Path(description="Día inhábil publicado (AAAA-MM-DD)")],
) -> Response:
    try:
        change = remove_non_working_day(session, dia, actor=f"staff:{staff.id}")
    except CalendarRefused as refused:
        session.rollback()
        return _calendar_page(request, staff, session, dia.year, refused=refused)
    session.commit()
    return _see_other(
        CALENDAR_PAGE, anio=dia.year, hecho="quitado", dia=dia, movidos=len(change.moved)
    )


# Dead-lettered emails


def _mail_page(
    request: Request,
    staff: StaffUser,
    session: Session,
    *,
    notice: str | None = None,
    refused: Refused | None = None,
) -> HTMLResponse:
    context = {"apartado": "correos", "emails": dead_letters(session)}
    return _section(
        request, staff, "administracion_correos.html", context, notice=notice, refused=refused
    )


@router.get(MAIL_PAGE, response_class=HTMLResponse)
def mail(
    request: Request,
    staff: Administrator,
    session: DbSession,
    reintentado: Annotated[DbId | None, Query()] = None,
) -> HTMLResponse:
    row = session.get(OutboxEmail, reintentado) if reintentado else None
    notice = (
        f"El correo {row.id} («{row.template}») volvió a la cola de envío; "
        f"estado actual: {row.status.value}."
        if row is not None
        else None
    )
    return _mail_page(request, staff, session, notice=notice)


@router.post(MAIL_PAGE + "/{correo}/reintentar")
def retry(
    request: Request,
    staff: Administrator,
    session: DbSession,
    correo: Annotated[DbId, Path(description="Identificador del correo")],
) -> Response:
    try:
        retry_dead_letter(session, correo, actor=f"staff:{staff.id}")
    except OutboxRefused as refused:
        session.rollback()
        return _mail_page(request, staff, session, refused=refused)
    session.commit()
    return _see_other(MAIL_PAGE, reintentado=correo)


# Queues and workers


@router.get(QUEUES_PAGE, response_class=HTMLResponse)
async def queues(request: Request, staff: Administrator) -> HTMLResponse:
    # Off the event loop: the broker and the workers get up to a second each to answer.
    found = await run_in_threadpool(broker_status)
    context = {"apartado": "colas", "status": found, "seconds": ASK_SECONDS}
    return _section(request, staff, "administracion_colas.html", context)
