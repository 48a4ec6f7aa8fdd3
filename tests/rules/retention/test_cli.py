"""``sia retention``: JSON on stdin, JSON on stdout, exit code 2 and Spanish on bad input."""

from __future__ import annotations

import json
from typing import Any

import pytest
from click.testing import CliRunner, Result
from hypothesis import given, settings
from hypothesis import strategies as st

from cli.retention import retention
from rules.parameters import ParametersError
from tests.rules.retention.payloads import aviso, case, fixed

EXAMPLE_3 = case("2026-01-01", "2026-01-15", [fixed("3000.00", "2025-02-03")])


def _run(stdin: str | bytes, *args: str) -> Result:
    return CliRunner().invoke(retention, list(args), input=stdin)


def test_one_case_gives_one_result_object() -> None:
    result = _run(json.dumps(EXAMPLE_3))

    assert result.exit_code == 0, result.stderr
    output = json.loads(result.stdout)
    assert output["total"] == "1540.42"
    assert output["subperiodos"][0]["importeDiario"] == "101.69"
    assert result.stderr == ""


def test_an_array_of_cases_gives_the_results_in_the_same_order() -> None:
    minimum_wage = case(
        "2026-03-02",
        "2026-03-08",
        [fixed("2450.00", "2025-02-03")],
        sbc="330.58",
        salario="315.04",
    )
    result = _run(json.dumps([EXAMPLE_3, minimum_wage, case("2026-03-02", "2026-03-08", [])]))

    assert result.exit_code == 0, result.stderr
    assert [r["total"] for r in json.loads(result.stdout)] == ["1540.42", "462.81", "0.00"]


def test_compact_output_is_one_line() -> None:
    result = _run(json.dumps(EXAMPLE_3), "--compacto")

    assert result.exit_code == 0
    assert result.stdout.count("\n") == 1
    assert json.loads(result.stdout)["amortizacion"] == "1525.42"


def test_unquoted_decimals_are_read_exactly() -> None:
    text = json.dumps(EXAMPLE_3).replace('"500.00"', "500.00").replace('"3000.00"', "3000.00")

    result = _run(text)

    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["total"] == "1540.42"


def _refused(stdin: str | bytes) -> str:
    result = _run(stdin)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.stderr.startswith("Error: ")
    return result.stderr


def test_bad_json_exits_2_with_a_spanish_message() -> None:
    assert "no es JSON válido (línea 1, columna 13)" in _refused('{"periodo": }')


def test_empty_input_exits_2() -> None:
    assert "la entrada está vacía" in _refused("  \n")


def test_input_that_is_not_utf8_exits_2() -> None:
    assert "no está codificada en UTF-8" in _refused(b"\xff\xfe{}")


def test_nan_is_not_a_number() -> None:
    assert "NaN no es un número válido" in _refused('{"sbc": NaN}')


def test_a_scalar_is_neither_a_case_nor_a_list() -> None:
    assert "se esperaba un caso (objeto JSON) o una lista de casos" in _refused('"caso"')


def test_a_bad_case_exits_2_with_the_calculator_message() -> None:
    bad = case("2026-03-08", "2026-03-02", [])

    assert "El periodo termina (2026-03-02) antes de empezar (2026-03-08)." in _refused(
        json.dumps(bad)
    )


def test_a_bad_case_in_an_array_is_named_by_its_position() -> None:
    other_worker = case(
        "2026-03-02",
        "2026-03-08",
        [
            fixed("2450.00", "2025-02-03"),
            aviso("SUSPENSION", fin="2026-03-05", folio="2", nss="10987654321"),
        ],
    )

    message = _refused(json.dumps([EXAMPLE_3, other_worker]))

    assert message.startswith("Error: Caso 2: El aviso con folio 2 es del NSS 10987654321")


def test_unknown_tipo_exits_2() -> None:
    bad = case("2026-03-02", "2026-03-08", [aviso(inicio="2025-02-03", tipo=7)])

    assert "«avisos[0].tipoDescuento» debe ser 1 (porcentaje)" in _refused(json.dumps(bad))


def test_missing_fields_exit_2() -> None:
    bad: dict[str, Any] = dict(EXAMPLE_3)
    del bad["trabajador"]

    assert "Falta el campo «trabajador»." in _refused(json.dumps(bad))


def test_help_is_spanish() -> None:
    result = _run("", "--help")

    assert result.exit_code == 0
    assert "Calcula la retención" in result.stdout
    assert "Muestra esta ayuda y termina." in result.stdout


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=12),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=60, deadline=None)
@given(
    st.fixed_dictionaries(
        {},
        optional={
            "periodo": JSON_VALUES | st.just({"desde": "2026-01-01", "hasta": "2026-01-15"}),
            "trabajador": JSON_VALUES | st.just(EXAMPLE_3["trabajador"]),
            "avisos": JSON_VALUES | st.just(EXAMPLE_3["avisos"]),
            "ausencias": JSON_VALUES,
            "incapacidades": JSON_VALUES,
        },
    )
)
def test_random_json_never_gives_a_traceback(payload: dict[str, Any]) -> None:
    result = _run(json.dumps(payload))

    assert result.exit_code in (0, 2)
    assert result.exception is None or isinstance(result.exception, SystemExit)
    if result.exit_code == 2:
        assert result.stderr.startswith("Error: ")


def test_a_broken_parameter_table_exits_1_in_spanish(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken() -> None:
        raise ParametersError("rules/data/parametros.csv: el encabezado debe ser «…».")

    monkeypatch.setattr("rules.retention.calculator.default_parameters", broken)

    result = _run(json.dumps(EXAMPLE_3))

    assert result.exit_code == 1
    assert result.stderr.startswith("Error: la tabla de parámetros es inválida: rules/data/")
