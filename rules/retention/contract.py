"""The JSON contract of DOMAIN.md §6 around the calculator: one input object in, one out.

:func:`parse_case` reads the input object into a :class:`RetentionCase` (decimals as strings,
never floats; dates ISO), :func:`format_result` writes the output object (decimals as strings with
2 places), and :func:`calculate_json` / :func:`calculate_many` put both around
:func:`~rules.retention.calculator.calculate` for the command line and the test-set generator.
Every refusal is a :class:`RetentionInputError` whose Spanish message names the field.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from rules.avisos import (
    AVISO_CATALOG,
    Aviso,
    AvisoClass,
    Discount,
    DiscountType,
    Modificacion,
    Retencion,
    Suspension,
)
from rules.parameters import Zone
from rules.retention.calculator import RetentionCase, RetentionResult, Worker, calculate
from rules.retention.errors import RetentionInputError, clipped
from rules.retention.money import cents_text, money_text

__all__ = ["calculate_json", "calculate_many", "format_result", "parse_case"]

# Readers take the value plus where it came from (``path`` of the object and ``key``) and spell
# the location out only when the value is wrong: building paths eagerly costs more than the rest.

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_DECIMAL = re.compile(r"-?[0-9]+(\.[0-9]+)?")
_TIPOS = {tipo.value: tipo for tipo in DiscountType}
_ZONES = {zone.value: zone for zone in Zone}


def _where(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _shown(value: Any) -> str:
    """A value as the user wrote it (JSON), clipped so that a message stays readable."""
    try:
        return clipped(json.dumps(value, ensure_ascii=False, default=str))
    except ValueError:  # e.g. an integer too long to print
        return f"un valor de tipo {type(value).__name__}"


def _wrong(where: str, expected: str, value: Any) -> RetentionInputError:
    return RetentionInputError(f"«{where}» debe ser {expected}; se recibió {_shown(value)}.")


def _missing(path: str, key: object) -> RetentionInputError:
    return RetentionInputError(f"Falta el campo «{_where(path, str(key))}».")


def _object(value: Any, where: str) -> Mapping[str, Any]:
    if type(value) is dict or isinstance(value, Mapping):
        return value
    raise _wrong(where, "un objeto JSON", value)


def _array(value: Any, path: str, key: str) -> list[Any]:
    if type(value) is list:
        return value
    raise _wrong(_where(path, key), "una lista", value)


def _text(value: Any, path: str, key: str) -> str:
    if type(value) is str and value:
        return value
    raise _wrong(_where(path, key), "un texto no vacío", value)


def _digits(value: Any, path: str, key: str, length: int) -> str:
    if type(value) is str and len(value) == length and value.isascii() and value.isdigit():
        return value
    raise _wrong(_where(path, key), f"un texto de {length} dígitos", value)


@functools.lru_cache(maxsize=8192)
def _iso_date(text: str) -> date | None:
    # Payroll cases repeat the same few hundred dates: parsing each once pays off.
    if not _ISO_DATE.fullmatch(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _day(value: Any, path: str, key: str) -> date:
    parsed = _iso_date(value) if type(value) is str else None
    if parsed is None:
        raise _wrong(_where(path, key), "una fecha válida AAAA-MM-DD", value)
    return parsed


def _days(value: Any, key: str) -> frozenset[date]:
    items = _array(value, "", key)
    if not items:  # the usual case, worth skipping the generator for
        return frozenset()
    return frozenset(_day(item, "", f"{key}[{i}]") for i, item in enumerate(items))


def _decimal(value: Any, path: str, key: str) -> Decimal:
    # Floats are refused: a binary float may already have lost the cents it claims to carry.
    if type(value) is str:
        if _DECIMAL.fullmatch(value):
            return Decimal(value)
    elif type(value) is int or (isinstance(value, Decimal) and value.is_finite()):
        return Decimal(value)
    raise _wrong(_where(path, key), 'un decimal escrito como texto, p. ej. "500.00"', value)


def _tipo(value: Any, path: str, key: str) -> DiscountType:
    tipo = _TIPOS.get(value) if type(value) is int else None
    if tipo is None:
        raise _wrong(
            _where(path, key),
            "1 (porcentaje), 2 (cuota fija en pesos) o 3 (cuota fija en VSM)",
            value,
        )
    return tipo


def _zone(value: Any) -> Zone:
    zone = _ZONES.get(value) if type(value) is str else None
    if zone is None:
        raise _wrong("trabajador.zona", '"general" o "zlfn"', value)
    return zone


def _tipo_aviso(value: Any, path: str) -> tuple[str, AvisoClass]:
    path = f"{path}.tipoAviso"
    tipo_aviso = _object(value, path)
    try:
        clave = _text(tipo_aviso["clave"], path, "clave")
        clase = tipo_aviso["clase"]
    except KeyError as missing:
        raise _missing(path, missing.args[0]) from None
    expected = AVISO_CATALOG.get(clave)
    if expected is None:
        raise _wrong(
            _where(path, "clave"), f"una clave del catálogo ({', '.join(AVISO_CATALOG)})", clave
        )
    if clase != expected:
        raise _wrong(_where(path, "clase"), f"{expected} para la clave {clave}", clase)
    return clave, expected


def _aviso(value: Any, index: int) -> Aviso:
    path = f"avisos[{index}]"
    aviso = _object(value, path)
    try:
        clave, clase = _tipo_aviso(aviso["tipoAviso"], path)
        folio = _text(aviso["folio"], path, "folio")
        fecha_aviso = _day(aviso["fechaAviso"], path, "fechaAviso")
        nss = _digits(aviso["nss"], path, "nss", 11)
        credito = aviso.get("numeroCredito")
        numero_credito = None if credito is None else _digits(credito, path, "numeroCredito", 10)
        if clase is AvisoClass.SUSPENSION:
            return Suspension(
                folio=folio,
                fecha_aviso=fecha_aviso,
                clave=clave,
                nss=nss,
                numero_credito=numero_credito,
                fecha_fin=_day(aviso["fechaFin"], path, "fechaFin"),
            )
        kind = Retencion if clase is AvisoClass.RETENCION else Modificacion
        return kind(
            folio=folio,
            fecha_aviso=fecha_aviso,
            clave=clave,
            nss=nss,
            numero_credito=numero_credito,
            fecha_inicio=_day(aviso["fechaInicioDescuento"], path, "fechaInicioDescuento"),
            discount=Discount(
                _tipo(aviso["tipoDescuento"], path, "tipoDescuento"),
                _decimal(aviso["valorDescuento"], path, "valorDescuento"),
            ),
        )
    except KeyError as missing:
        raise _missing(path, missing.args[0]) from None


def _worker(value: Any) -> Worker:
    trabajador = _object(value, "trabajador")
    try:
        nss = trabajador.get("nss")
        return Worker(
            sbc=_decimal(trabajador["sbc"], "trabajador", "sbc"),
            daily_wage=_decimal(trabajador["salarioDiario"], "trabajador", "salarioDiario"),
            zone=_zone(trabajador["zona"]),
            nss=None if nss is None else _digits(nss, "trabajador", "nss", 11),
        )
    except KeyError as missing:
        raise _missing("trabajador", missing.args[0]) from None


def parse_case(payload: Mapping[str, Any]) -> RetentionCase:
    """The §6 input object as a :class:`RetentionCase`; raises :class:`RetentionInputError`."""
    case = _object(payload, "el caso")
    try:
        periodo = _object(case["periodo"], "periodo")
        try:
            desde = _day(periodo["desde"], "periodo", "desde")
            hasta = _day(periodo["hasta"], "periodo", "hasta")
        except KeyError as missing:
            raise _missing("periodo", missing.args[0]) from None
        return RetentionCase(
            desde=desde,
            hasta=hasta,
            worker=_worker(case["trabajador"]),
            avisos=tuple(
                _aviso(aviso, i) for i, aviso in enumerate(_array(case["avisos"], "", "avisos"))
            ),
            ausencias=_days(case["ausencias"], "ausencias"),
            incapacidades=_days(case["incapacidades"], "incapacidades"),
        )
    except KeyError as missing:
        raise _missing("", missing.args[0]) from None


def format_result(result: RetentionResult) -> dict[str, Any]:
    """The §6 output object: decimals as strings with 2 places, dates ISO."""
    return {
        "subperiodos": [
            {
                "desde": s.desde.isoformat(),
                "hasta": s.hasta.isoformat(),
                "tipoDescuento": s.discount.tipo.value,
                "valorDescuento": f"{s.discount.valor:.{s.discount.tipo.decimals}f}",
                "diasBimestre": s.bimester_days,
                "diasDescontados": s.discounted_days,
                "importeDiario": money_text(s.daily_amount),
                "importeSinTope": money_text(s.uncapped),
                "tope": None if s.cap is None else money_text(s.cap),
                "amortizacion": money_text(s.amortization),
            }
            for s in result.subperiods
        ],
        "amortizacion": money_text(result.amortization_exact),
        "seguroDanios": str(result.seguro_danios),
        "total": cents_text(result.total_cents),
    }


def calculate_json(payload: Mapping[str, Any]) -> dict[str, Any]:
    """§6 contract: one input object in, one output object out."""
    return format_result(calculate(parse_case(payload)))


def calculate_many(payloads: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Several cases in order; an error names the case (1-based) that caused it."""
    results: list[dict[str, Any]] = []
    for number, payload in enumerate(payloads, start=1):
        try:
            results.append(calculate_json(payload))
        except RetentionInputError as exc:
            raise RetentionInputError(f"Caso {number}: {exc}") from None
    return results
