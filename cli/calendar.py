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
    from rules.calendar import BusinessCalendar

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
    """Días hábiles y plazos (calendario INFONAVIT)."""


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
