"""``sia calendar``: business-day deadlines from the command line (DOMAIN §4).

The calendar is the statutory rest days plus the database's table of published non-working
days plus any ``--inhabil`` date given.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any, TypeVar

import click
from sqlalchemy.exc import OperationalError, ProgrammingError

from cli.params import DateParam, MomentParam, PositiveIntParam, SpanishGroup
from core.db import session_scope
from rules.calendar import (
    BusinessCalendar,
    add_business_days,
    business_days_between,
)
from workflow.calendar import load_calendar

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
    try:
        with session_scope() as session:
            published = load_calendar(session).extra
    except (OperationalError, ProgrammingError):
        raise click.ClickException(
            "No se pudo leer el calendario de la base de datos; ¿ya se ejecutó `sia migrate`?"
        ) from None
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
    deadline = add_business_days(event_date, n, _calendar(inhabiles))
    click.echo(deadline.date().isoformat())


@calendar_group.command(name="between")
@click.argument("start", type=DateParam())
@click.argument("end", type=DateParam())
@_inhabil_option
def between_command(start: date, end: date, inhabiles: tuple[date, ...]) -> None:
    """Imprime cuántos días hábiles hay después de START y hasta END inclusive."""
    click.echo(str(business_days_between(start, end, _calendar(inhabiles))))
