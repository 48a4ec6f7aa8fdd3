"""The §6 JSON contract: several cases at once, and bad input refused in Spanish."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from rules.retention.contract import calculate_json, calculate_many
from rules.retention.errors import RetentionInputError
from tests.rules.retention.payloads import aviso, case, fixed


def test_calculate_many_keeps_the_order_and_names_the_failing_case() -> None:
    good = case("2026-01-01", "2026-01-15", [fixed("3000.00", "2025-02-03")])
    empty = case("2026-01-01", "2026-01-15", [])

    assert [r["total"] for r in calculate_many([good, empty])] == ["1540.42", "0.00"]
    with pytest.raises(RetentionInputError, match=r"^Caso 2: .*trabajador\.zona"):
        calculate_many([good, case("2026-01-01", "2026-01-15", [], zona="norte")])


# --- bad input ------------------------------------------------------------------------------------

Mutation = Callable[[dict[str, Any]], None]


def _base() -> dict[str, Any]:
    return case("2026-03-02", "2026-03-08", [fixed("2450.00", "2025-01-06")])


def _set(path: str, value: Any) -> Mutation:
    def mutate(payload: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = payload
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        target[last] = value

    return mutate


def _drop(path: str) -> Mutation:
    def mutate(payload: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = payload
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        del target[last]

    return mutate


def _add_aviso(**kwargs: Any) -> Mutation:
    def mutate(payload: dict[str, Any]) -> None:
        payload["avisos"].append(aviso(**kwargs))

    return mutate


BAD_INPUT: dict[str, tuple[Mutation, str]] = {
    "unknown tipo": (_set("avisos.0.tipoDescuento", 4), r"«avisos\[0\]\.tipoDescuento» debe ser 1"),
    "tipo as text": (
        _set("avisos.0.tipoDescuento", "2"),
        r"tipoDescuento» debe ser 1 \(porcentaje",
    ),
    "malformed date": (_set("periodo.desde", "2026-3-2"), r"«periodo\.desde» debe ser una fecha"),
    "impossible date": (
        _set("avisos.0.fechaAviso", "2026-02-30"),
        r"fechaAviso» debe ser una fecha",
    ),
    "end before start": (_set("periodo.hasta", "2026-03-01"), r"termina \(2026-03-01\) antes"),
    "negative sbc": (_set("trabajador.sbc", "-1.00"), r"«trabajador\.sbc» no puede ser negativo"),
    "negative salary": (
        _set("trabajador.salarioDiario", "-0.01"),
        r"«trabajador\.salarioDiario» no puede ser negativo",
    ),
    "absurd amount": (_set("trabajador.sbc", "1" + "0" * 5000), r"menor que 10\^12"),
    "float amount": (_set("trabajador.sbc", 500.0), r"decimal escrito como texto"),
    "unknown zone": (_set("trabajador.zona", "norte"), r'«trabajador\.zona» debe ser "general"'),
    "another NSS": (
        _add_aviso(clase="SUSPENSION", fin="2026-03-05", folio="0501400002", nss="10987654321"),
        r"es del NSS 10987654321, pero el caso es del NSS 12345678901",
    ),
    "worker of another NSS": (_set("trabajador.nss", "10987654321"), r"es del NSS 12345678901"),
    "short NSS": (_set("avisos.0.nss", "1234567890"), r"«avisos\[0\]\.nss» debe ser .*11 dígitos"),
    "missing periodo": (_drop("periodo"), r"Falta el campo «periodo»"),
    "missing hasta": (_drop("periodo.hasta"), r"Falta el campo «periodo\.hasta»"),
    "missing sbc": (_drop("trabajador.sbc"), r"Falta el campo «trabajador\.sbc»"),
    "missing ausencias": (_drop("ausencias"), r"Falta el campo «ausencias»"),
    "missing folio": (_drop("avisos.0.folio"), r"Falta el campo «avisos\[0\]\.folio»"),
    "missing clave": (_drop("avisos.0.tipoAviso.clave"), r"«avisos\[0\]\.tipoAviso\.clave»"),
    "suspension without fechaFin": (
        _set("avisos.0.tipoAviso", {"clave": "06", "clase": "SUSPENSION"}),
        r"«avisos\[0\]\.fechaFin» debe ser una fecha",
    ),
    "missing valor": (_drop("avisos.0.valorDescuento"), r"Falta el campo «avisos\[0\]\.valorDes"),
    "unknown clave": (_set("avisos.0.tipoAviso.clave", "99"), r"una clave del catálogo \(01, 02"),
    "clave of another clase": (
        _set("avisos.0.tipoAviso.clave", "06"),
        r"«avisos\[0\]\.tipoAviso\.clase» debe ser SUSPENSION para la clave 06",
    ),
    "absence outside the period": (
        _set("ausencias", ["2026-03-09"]),
        r"La fecha 2026-03-09 de «ausencias» está fuera del periodo",
    ),
    "bad absence": (_set("incapacidades", ["ayer"]), r"«incapacidades\[0\]» debe ser una fecha"),
    "duplicate folio": (
        _add_aviso(clase="SUSPENSION", fin="2026-03-05"),
        r"El folio 0501400001 aparece en dos avisos distintos",
    ),
    "too many decimals": (_set("avisos.0.valorDescuento", "2450.001"), r"admite 2 decimales"),
    "percentage over 100": (
        _add_aviso(inicio="2026-03-04", tipo=1, valor="100.01", folio="0501400002"),
        r"es un porcentaje y no puede pasar de 100",
    ),
    "avisos not a list": (_set("avisos", {"folio": "1"}), r"«avisos» debe ser una lista"),
    "aviso not an object": (_set("avisos", ["01"]), r"«avisos\[0\]» debe ser un objeto JSON"),
    "trabajador not an object": (_set("trabajador", "Juan"), r"«trabajador» debe ser un objeto"),
}


@pytest.mark.parametrize(("mutate", "message"), BAD_INPUT.values(), ids=BAD_INPUT.keys())
def test_bad_input_is_a_spanish_retention_input_error(mutate: Mutation, message: str) -> None:
    payload = _base()
    mutate(payload)

    with pytest.raises(RetentionInputError, match=message):
        calculate_json(payload)


def test_a_payload_that_is_not_an_object_is_refused() -> None:
    with pytest.raises(RetentionInputError, match=r"«el caso» debe ser un objeto JSON"):
        calculate_json([])  # type: ignore[arg-type]


def test_retention_input_error_is_a_value_error() -> None:
    assert issubclass(RetentionInputError, ValueError)
