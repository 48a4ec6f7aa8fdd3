"""``sia calendar``: business-day deadlines from the command line (DOMAIN §4).

The calendar is the statutory rest days plus the database's table of published non-working
days plus any ``--inhabil`` date given.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import IO, Any, TypeVar

import click
from sqlalchemy.exc import OperationalError, ProgrammingError

from core.db import session_scope
from rules.calendar import (
    MEXICO_CITY,
    BusinessCalendar,
    add_business_days,
    business_days_between,
)
from workflow.calendar import load_calendar

F = TypeVar("F", bound=Callable[..., Any])


class EntradaInvalida(click.UsageError):
    """A usage error told in Spanish only (exit status 2 like any click usage error)."""

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(f"Error: {self.message}", file=file, err=True)
        if self.ctx is not None:
            click.echo(f"Consulte '{self.ctx.command_path} --help'.", file=file, err=True)


class _ComandoEnEspanol(click.Command):
    """Re-tells click's parsing errors in Spanish: click's own messages (missing argument,
    unknown option, the "Invalid value for" frame around ours) are English."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.MissingParameter as exc:
            raise EntradaInvalida(f"falta {_hint(exc, ctx)}.", ctx) from None
        except click.BadParameter as exc:
            raise EntradaInvalida(
                f"valor no válido para {_hint(exc, ctx)}: {exc.message}", ctx
            ) from None
        except (click.NoSuchOption, click.BadOptionUsage) as exc:
            raise EntradaInvalida(f"uso incorrecto de la opción {exc.option_name}.", ctx) from None
        except click.UsageError:
            raise EntradaInvalida("sobran argumentos.", ctx) from None


def _hint(exc: click.BadParameter, ctx: click.Context) -> str:
    return exc.param.get_error_hint(ctx) if exc.param is not None else "un argumento"


class _Fecha(click.ParamType[date]):
    name = "fecha"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> date:
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            self.fail(f"«{value}» no es una fecha AAAA-MM-DD.", param, ctx)


class _Evento(click.ParamType[datetime]):
    """A date or an ISO 8601 date-time; without an offset it is Mexico City local time."""

    name = "fecha u hora"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> datetime:
        if isinstance(value, datetime):
            return value
        try:
            # Python 3.11 also reads a bare date here, as midnight.
            moment = datetime.fromisoformat(str(value))
        except ValueError:
            self.fail(
                f"«{value}» no es una fecha AAAA-MM-DD ni una fecha y hora ISO 8601.", param, ctx
            )
        return moment if moment.tzinfo is not None else moment.replace(tzinfo=MEXICO_CITY)


class _DiasHabiles(click.ParamType[int]):
    name = "días hábiles"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        text = str(value).strip()
        if not text.isdecimal() or int(text) < 1:
            self.fail(
                f"«{value}» no es un número entero de días hábiles mayor que cero.", param, ctx
            )
        return int(text)


def _inhabil_option(command: F) -> F:
    return click.option(
        "--inhabil",
        "inhabiles",
        type=_Fecha(),
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


@click.group(name="calendar")
def calendar_group() -> None:
    """Días hábiles y plazos (calendario INFONAVIT)."""


@calendar_group.command(name="add", cls=_ComandoEnEspanol)
@click.argument("event_date", type=_Evento())
@click.argument("n", type=_DiasHabiles())
@_inhabil_option
def add_command(event_date: datetime, n: int, inhabiles: tuple[date, ...]) -> None:
    """Imprime la fecha límite: el N-ésimo día hábil después de EVENT_DATE."""
    deadline = add_business_days(event_date, n, _calendar(inhabiles))
    click.echo(deadline.date().isoformat())


@calendar_group.command(name="between", cls=_ComandoEnEspanol)
@click.argument("start", type=_Fecha())
@click.argument("end", type=_Fecha())
@_inhabil_option
def between_command(start: date, end: date, inhabiles: tuple[date, ...]) -> None:
    """Imprime cuántos días hábiles hay después de START y hasta END inclusive."""
    click.echo(str(business_days_between(start, end, _calendar(inhabiles))))
