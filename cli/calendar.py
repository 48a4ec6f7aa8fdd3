"""``sia calendar``: business-day deadlines from the command line (DOMAIN §4).

The calendar is the statutory rest days plus the database's table of published non-working
days plus any ``--inhabil`` date given.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, TypeVar

import click

from cli.database import prepare_database
from cli.params import DateParam, MomentParam, PositiveIntParam, SpanishGroup

if TYPE_CHECKING:
    from sqlmodel import Session

    from rules.calendar import BusinessCalendar
    from workflow.calendar import CalendarChange

F = TypeVar("F", bound=Callable[..., Any])


def _inhabil_option(command: F) -> F:
    return click.option(
        "--inhabil",
        "inhabiles",
        type=DateParam(),
        multiple=True,
        metavar="FECHA",
        help="Día inhábil adicional (AAAA-MM-DD); puede repetirse.",
    )(command)


def _calendar(inhabiles: tuple[date, ...]) -> BusinessCalendar:
    from sqlalchemy.exc import OperationalError, ProgrammingError

    from cli.database import NOT_MIGRATED
    from core.db import session_scope
    from rules.calendar import BusinessCalendar
    from workflow.calendar import load_calendar

    prepare_database()
    try:
        with session_scope() as session:
            published = load_calendar(session).extra
    except (OperationalError, ProgrammingError):
        raise click.ClickException(NOT_MIGRATED) from None
    return BusinessCalendar.with_extra(published | frozenset(inhabiles))


@click.group(name="calendar", cls=SpanishGroup)
def calendar_group() -> None:
    """Días hábiles, plazos y días inhábiles publicados (calendario INFONAVIT)."""


@calendar_group.command(name="add")
@click.argument("event_date", type=MomentParam())
@click.argument("n", type=PositiveIntParam("días hábiles"))
@_inhabil_option
def add_command(event_date: datetime, n: int, inhabiles: tuple[date, ...]) -> None:
    """Imprime la fecha límite: el N-ésimo día hábil después de EVENT_DATE."""
    from rules.calendar import add_business_days

    deadline = add_business_days(event_date, n, _calendar(inhabiles))
    click.echo(deadline.date().isoformat())


@calendar_group.command(name="between")
@click.argument("start", type=DateParam())
@click.argument("end", type=DateParam())
@_inhabil_option
def between_command(start: date, end: date, inhabiles: tuple[date, ...]) -> None:
    """Imprime cuántos días hábiles hay después de START y hasta END inclusive."""
    from rules.calendar import business_days_between

    click.echo(str(business_days_between(start, end, _calendar(inhabiles))))


@calendar_group.command(name="list")
@click.argument("year", type=PositiveIntParam("año"), required=False)
def list_command(year: int | None) -> None:
    """Lista los días inhábiles de YEAR (por omisión, el año en curso): los de ley y los
    publicados por el INFONAVIT."""
    from core.clock import utcnow
    from core.config import get_settings
    from core.db import session_scope
    from rules.formatting import fecha
    from workflow.calendar import non_working_days

    prepare_database()
    year = year or utcnow().astimezone(get_settings().tz).year
    with session_scope() as session:
        days = non_working_days(session, year)
    for day in days:
        origin = "ley" if day.statutory else "publicado"
        click.echo(f"{day.day.isoformat()}  {fecha(day.day)}  [{origin}]  {day.reason}")


@calendar_group.command(name="add-day")
@click.argument("day", type=DateParam(), metavar="FECHA")
@click.argument("reason", metavar="MOTIVO")
def add_day_command(day: date, reason: str) -> None:
    """Publica FECHA como día inhábil por MOTIVO; los plazos en curso que la incluyen se
    recorren un día hábil (queda en la bitácora de auditoría)."""
    from workflow.calendar import add_non_working_day

    _change(lambda session: add_non_working_day(session, day, reason, actor="cli"))


@calendar_group.command(name="remove-day")
@click.argument("day", type=DateParam(), metavar="FECHA")
def remove_day_command(day: date) -> None:
    """Quita FECHA de los días inhábiles publicados; los plazos en curso que la incluían se
    recorren de vuelta. Un plazo ya vencido no se reabre."""
    from workflow.calendar import remove_non_working_day

    _change(lambda session: remove_non_working_day(session, day, actor="cli"))


def _change(apply: Callable[[Session], CalendarChange]) -> None:
    from core.config import get_settings
    from core.db import session_scope
    from rules.formatting import fecha, fecha_hora
    from workflow.refusals import CalendarRefused

    prepare_database()
    tz = get_settings().tz
    try:
        with session_scope() as session:
            change = apply(session)
            lines = [
                f"  folio {_folio(session, m.clock.certification_id)} ({m.clock.kind.value}, "
                f"ronda {m.clock.round}): {fecha_hora(m.before, tz)} → "
                f"{fecha_hora(m.clock.due_at, tz)}"
                for m in change.moved
            ]
    except CalendarRefused as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Calendario actualizado ({fecha(change.day)}); plazos recorridos: {len(lines)}.")
    for line in lines:
        click.echo(line)


def _folio(session: Session, certification_id: int) -> str:
    from schema import Certification

    certification = session.get(Certification, certification_id)
    return certification.folio if certification else str(certification_id)
