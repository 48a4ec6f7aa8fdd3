"""Spanish parsing for the `sia` commands: parameter types and click's usage errors re-told in
Spanish (click's own messages are English), with click's exit status 2."""

from __future__ import annotations

from datetime import date, datetime
from typing import IO, Any

import click

from rules.calendar import MEXICO_CITY


class EntradaInvalida(click.UsageError):
    """A usage error told in Spanish only (exit status 2 like any click usage error)."""

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(f"Error: {self.message}", file=file, err=True)
        if self.ctx is not None:
            click.echo(f"Consulte '{self.ctx.command_path} --help'.", file=file, err=True)


class SpanishCommand(click.Command):
    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except EntradaInvalida:
            raise
        except click.MissingParameter as exc:
            if isinstance(exc.param, click.Option):
                raise EntradaInvalida(f"falta la opción {exc.param.opts[0]}.", ctx) from None
            raise EntradaInvalida(f"falta {_hint(exc, ctx)}.", ctx) from None
        except click.BadParameter as exc:
            raise EntradaInvalida(
                f"valor no válido para {_hint(exc, ctx)}: {exc.message}", ctx
            ) from None
        except (click.NoSuchOption, click.BadOptionUsage) as exc:
            raise EntradaInvalida(f"uso incorrecto de la opción {exc.option_name}.", ctx) from None
        except click.UsageError:
            raise EntradaInvalida("sobran argumentos.", ctx) from None


class SpanishGroup(click.Group):
    """A group whose subcommands (declared with ``@group.command``) parse in Spanish."""

    command_class = SpanishCommand


def _hint(exc: click.BadParameter, ctx: click.Context) -> str:
    return exc.param.get_error_hint(ctx) if exc.param is not None else "un argumento"


class DateParam(click.ParamType[date]):
    name = "fecha"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> date:
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            self.fail(f"«{value}» no es una fecha AAAA-MM-DD.", param, ctx)


class MomentParam(click.ParamType[datetime]):
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


class PositiveIntParam(click.ParamType[int]):
    """A whole number from 1 up, named in the error message (e.g. "días hábiles")."""

    def __init__(self, name: str) -> None:
        self.name = name

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        text = str(value).strip()
        if not text.isdecimal() or int(text) < 1:
            self.fail(
                f"«{value}» no es un número entero de {self.name} mayor que cero.", param, ctx
            )
        return int(text)
