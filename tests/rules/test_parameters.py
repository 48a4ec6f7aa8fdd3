"""The parameter table of DOMAIN.md §6 (UMI, minimum wages, UMA) and how it is read."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from rules.parameters import ParametersError, Series, Zone, default_parameters, parse_parameters


def test_shipped_table_values() -> None:
    params = default_parameters()

    def on(series: Series, day: str) -> Decimal | None:
        return series.value_on(date.fromisoformat(day).toordinal())

    assert on(params.umi, "2021-12-31") == Decimal("87.21")
    assert on(params.umi, "2022-06-01") is None  # unconfirmed: left out of the table
    assert on(params.umi, "2023-06-01") == Decimal("96.32")
    assert on(params.sm_general, "2026-01-01") == Decimal("315.04")
    assert on(params.minimum_wage(Zone.ZLFN), "2025-12-31") == Decimal("419.88")
    assert on(params.uma, "2026-01-31") == Decimal("113.14")  # UMA changes on 1 February
    assert on(params.uma, "2026-02-01") == Decimal("117.31")
    assert on(params.sm_general, "2027-01-01") is None  # a row holds one year at most
    assert on(params.sm_general, "2018-12-31") is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("parametro,fecha,valor,fuente\n", r"el encabezado debe ser"),
        ("parametro,vigencia,valor,fuente\numi,2026-13-01,1.00,\n", r"línea 2: .*no existe"),
        ("parametro,vigencia,valor,fuente\numi,1/1/2026,1.00,\n", r"no es una fecha AAAA-MM-DD"),
        ("parametro,vigencia,valor,fuente\numi,2026-01-01,-1,\n", r"no es un decimal positivo"),
        ("parametro,vigencia,valor,fuente\nsmg,2026-01-01,1.00,\n", r"Parámetro desconocido «smg»"),
        (
            "parametro,vigencia,valor,fuente\numi,2026-01-01,1.00,\numi,2026-01-01,2.00,\n",
            r"dos filas con vigencia 2026-01-01",
        ),
    ],
)
def test_a_malformed_parameter_table_is_rejected_in_spanish(text: str, message: str) -> None:
    with pytest.raises(ParametersError, match=message):
        parse_parameters(text, "prueba.csv")
