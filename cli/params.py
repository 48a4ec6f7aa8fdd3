"""Spanish for the `sia` commands: parameter types, help pages and click's usage errors re-told
in Spanish (click's own words are English), with click's exit status 2.

Only click is imported here: every `sia` module imports this one, and `sia --help` must not pay
for the database, Celery or the workbook readers.
"""

from __future__ import annotations

import sys
from datetime import date, datetime
from typing import IO, Any

import click

HELP_OPTION_HELP = "Muestra esta ayuda y termina."


class EntradaInvalida(click.UsageError):
    """A usage error told in Spanish only (exit status 2 like any click usage error)."""

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(f"Error: {self.message}", file=file, err=True)
        if self.ctx is not None:
            click.echo(f"Consulte '{self.ctx.command_path} --help'.", file=file, err=True)


class SpanishCommand(click.Command):
    """A command whose help page and usage errors are in Spanish."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("options_metavar", "[OPCIONES]")
        super().__init__(*args, **kwargs)
        for param in self.params:
            if isinstance(param, click.Option) and param.metavar is None:
                param.metavar = _spanish_metavar(param.type)

    def format_usage(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        pieces = self.collect_usage_pieces(ctx)
        formatter.write_usage(ctx.command_path, " ".join(pieces), prefix="Uso: ")

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [
            record
            for param in self.get_params(ctx)
            if isinstance(param, click.Option) and (record := _option_record(param, ctx))
        ]
        if rows:
            with formatter.section("Opciones"):
                formatter.write_dl(rows)

    def get_help_option(self, ctx: click.Context) -> click.Option | None:
        option = super().get_help_option(ctx)
        if option is not None:
            option.help = HELP_OPTION_HELP
        return option

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except (EntradaInvalida, click.exceptions.NoArgsIsHelpError):
            raise
        except click.MissingParameter as exc:
            if isinstance(exc.param, click.Option):
                raise EntradaInvalida(f"falta la opción {exc.param.opts[0]}.", ctx) from None
            raise EntradaInvalida(f"falta {_hint(exc, ctx)}.", ctx) from None
        except click.BadParameter as exc:
            raise EntradaInvalida(
                f"valor no válido para {_hint(exc, ctx)}: {_problem(exc)}", ctx
            ) from None
        except (click.NoSuchOption, click.BadOptionUsage) as exc:
            raise EntradaInvalida(f"uso incorrecto de la opción {exc.option_name}.", ctx) from None
        except click.UsageError:
            raise EntradaInvalida("sobran argumentos.", ctx) from None


class SpanishGroup(SpanishCommand, click.Group):
    """A group in Spanish whose subcommands (declared with ``@group.command`` or
    ``@group.group``) are in Spanish too."""

    command_class = SpanishCommand
    group_class = type

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("subcommand_metavar", "COMANDO [ARGS]...")
        super().__init__(*args, **kwargs)

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        super().format_options(ctx, formatter)
        self.format_commands(ctx, formatter)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        commands = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                commands.append((name, command))
        if commands:
            limit = formatter.width - 6 - max(len(name) for name, _ in commands)
            with formatter.section("Comandos"):
                formatter.write_dl(
                    [(name, command.get_short_help_str(limit)) for name, command in commands]
                )

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        try:
            return super().resolve_command(ctx, args)
        except click.NoSuchCommand as exc:
            raise EntradaInvalida(f"no existe el comando «{exc.command_name}».", ctx) from None


def _spanish_metavar(kind: click.ParamType[Any]) -> str | None:
    """The placeholder of click's own types in Spanish (click writes TEXT, INTEGER, PATH…)."""
    if isinstance(kind, click.Path):
        if not kind.file_okay:
            return "CARPETA"
        return "ARCHIVO" if not kind.dir_okay else "RUTA"
    if isinstance(kind, click.types.IntParamType):
        return "ENTERO"
    if isinstance(kind, click.types.FloatParamType):
        return "NÚMERO"
    if isinstance(kind, click.types.StringParamType):
        return "TEXTO"
    return None


def _option_record(option: click.Option, ctx: click.Context) -> tuple[str, str] | None:
    """click's help line for OPTION, with its bracketed notes (default, required) in Spanish."""
    record = option.get_help_record(ctx)
    if record is None:
        return None
    extra = option.get_help_extra(ctx)
    notes = []
    if "default" in extra:
        notes.append(f"por omisión: {extra['default']}")
    if "range" in extra:
        notes.append(extra["range"])
    if "required" in extra:
        notes.append("obligatoria")
    text = option.help or ""
    if notes:
        text = f"{text}  [{'; '.join(notes)}]" if text else f"[{'; '.join(notes)}]"
    return record[0], text


def _hint(exc: click.BadParameter, ctx: click.Context) -> str:
    return exc.param.get_error_hint(ctx) if exc.param is not None else "un argumento"


def _problem(exc: click.BadParameter) -> str:
    """The parameter type's complaint: ours are Spanish already, click's own types are told here."""
    kind = exc.param.type if exc.param is not None else None
    if isinstance(kind, click.Choice):
        return f"se esperaba uno de: {', '.join(str(choice) for choice in kind.choices)}."
    if isinstance(kind, click.types.IntParamType):
        return "se esperaba un número entero."
    if isinstance(kind, click.types.FloatParamType):
        return "se esperaba un número."
    if isinstance(kind, click.Path):
        return "la ruta no existe o no es del tipo esperado (archivo o carpeta)."
    return exc.message


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
        if moment.tzinfo is not None:
            return moment
        from rules.calendar import MEXICO_CITY

        return moment.replace(tzinfo=MEXICO_CITY)


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


def stdin_is_terminal() -> bool:
    return sys.stdin.isatty()


def stdin_line() -> str:
    """A secret given on standard input (a script's pipe): its first line, without the newline."""
    return sys.stdin.readline().rstrip("\r\n")
