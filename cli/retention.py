"""``sia retention``: the §6 retention calculator on the command line (JSON in, JSON out)."""

from __future__ import annotations

import json
import sys
from decimal import Decimal
from typing import Any, NoReturn

import click

from cli.params import SpanishCommand

EXIT_BAD_INPUT = 2
EXIT_BAD_TABLE = 1


def _refuse_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} no es un número válido en JSON")


def _fail(message: str, code: int) -> NoReturn:
    click.echo(f"Error: {message}", err=True)
    raise click.exceptions.Exit(code)


def _read_payload(raw: bytes) -> Any:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        _fail("la entrada no está codificada en UTF-8.", EXIT_BAD_INPUT)
    if not text.strip():
        _fail(
            "la entrada está vacía; se esperaba un caso JSON o una lista de casos.", EXIT_BAD_INPUT
        )
    try:
        # Numbers written without quotes stay exact: they become Decimal, never float.
        return json.loads(text, parse_float=Decimal, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        _fail(
            f"la entrada no es JSON válido (línea {exc.lineno}, columna {exc.colno}).",
            EXIT_BAD_INPUT,
        )
    except (ValueError, RecursionError) as exc:
        _fail(f"la entrada no es JSON válido ({exc}).", EXIT_BAD_INPUT)


@click.command("retention", cls=SpanishCommand, add_help_option=False)
@click.option("--compacto", is_flag=True, help="Escribe el JSON en una sola línea.")
@click.help_option("-h", "--help", help="Muestra esta ayuda y termina.")
def retention(compacto: bool) -> None:
    """Calcula la retención de crédito INFONAVIT de uno o varios periodos de nómina.

    Lee de la entrada estándar un caso JSON (periodo, trabajador, avisos, ausencias,
    incapacidades) o una lista de casos, y escribe el resultado (o la lista de resultados, en el
    mismo orden) en la salida estándar. Con datos inválidos termina con código 2 y explica el
    problema en la salida de errores.
    """
    from rules.parameters import ParametersError
    from rules.retention.contract import calculate_json, calculate_many
    from rules.retention.errors import RetentionInputError

    payload = _read_payload(sys.stdin.buffer.read())
    try:
        result: Any
        if isinstance(payload, list):
            result = calculate_many(payload)
        elif isinstance(payload, dict):
            result = calculate_json(payload)
        else:
            _fail("se esperaba un caso (objeto JSON) o una lista de casos.", EXIT_BAD_INPUT)
    except RetentionInputError as exc:
        _fail(str(exc), EXIT_BAD_INPUT)
    except ParametersError as exc:
        _fail(f"la tabla de parámetros es inválida: {exc}", EXIT_BAD_TABLE)
    click.echo(json.dumps(result, ensure_ascii=False, indent=None if compacto else 2))
