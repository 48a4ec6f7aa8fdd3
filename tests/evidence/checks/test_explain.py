"""Reviewers' explanations: the expected path of each tab-2 case, as text and as a table."""

from __future__ import annotations

import json
from typing import Any

from evidence.checks.explain import explain_case, explain_round
from rules.retention.contract import calculate_json
from tests.evidence.checks.builder import generated


def _aviso(folio: str, clave: str, clase: str, **fields: Any) -> dict[str, Any]:
    return {
        "folio": folio,
        "fechaAviso": "2019-12-01",
        "tipoAviso": {"clave": clave, "descripcion": f"aviso {clave}", "clase": clase},
        "nss": "12345678901",
        "rfc": "PEPJ800101AB1",
        "curp": "PEPJ800101HDFRRN09",
        "nombre": "JUAN PEREZ PEREZ",
        "numeroCredito": "1234567890",
        "tipoDescuento": None,
        "valorDescuento": None,
        "fechaInicioDescuento": None,
        "fechaFin": None,
        **fields,
    }


def _case(desde: str, hasta: str, trabajador: dict[str, str], **extra: Any) -> dict[str, Any]:
    return {
        "caso": "M01",
        "seccion": "muestra",
        "nss": "12345678901",
        "nombre": "JUAN PEREZ PEREZ",
        "periodo": {"desde": desde, "hasta": hasta, "periodicidad": "catorcenal"},
        "trabajador": trabajador,
        "ausencias": [],
        "incapacidades": [],
        "cfdi": False,
        **extra,
    }


def _explained(case: dict[str, Any], avisos: list[dict[str, Any]]) -> Any:
    answer = calculate_json({**case, "avisos": avisos})
    return explain_case(case, answer, [{"avisos": avisos}])


def test_capped_minimum_wage_case_of_domain_example_1() -> None:
    avisos = [
        _aviso(
            "0000000001",
            "01",
            "RETENCION",
            tipoDescuento=2,
            valorDescuento="2450.00",
            fechaInicioDescuento="2020-01-01",
        )
    ]
    case = _case(
        "2021-07-16",
        "2021-07-29",
        {"sbc": "148.10484", "salarioDiario": "141.70", "zona": "general"},
    )
    explained = _explained(case, avisos)
    table = explained.to_json()
    (step,) = table["subperiodos"]
    assert (step["diasBimestre"], step["diasDescontados"]) == (62, 14)
    assert step["salarioMinimo"] == "141.70"
    assert (step["importeSinTope"], step["tope"], step["topeLimita"]) == ("1106.45", "414.69", True)
    assert table["total"] == "414.69" and table["seguroDanios"] == "0.00"
    assert "valor × 2 / días del bimestre = 2450.00 × 2 / 62" in explained.text
    assert "≤ salario mínimo 141.70: tope = SBC × 0.20 × 14 = 414.69 (limita)" in explained.text
    assert "Total a retener: 414.69." in explained.text


def test_vsm_case_shows_the_umi_and_the_seguro_of_domain_example_5() -> None:
    avisos = [
        _aviso(
            "0000000002",
            "01",
            "RETENCION",
            tipoDescuento=3,
            valorDescuento="22.2500",
            fechaInicioDescuento="2024-01-01",
        )
    ]
    case = _case(
        "2025-07-01", "2025-07-15", {"sbc": "900.00", "salarioDiario": "850.00", "zona": "general"}
    )
    explained = _explained(case, avisos)
    assert explained.to_json()["subperiodos"][0]["umi"] == "100.81"
    assert "22.2500 × 100.81 × 2 / 62" in explained.text
    assert explained.bimestres_con_seguro == 1
    assert "Total a retener: 1100.33." in explained.text


def test_absences_before_the_reform_and_avisos_in_effective_order() -> None:
    avisos = [
        _aviso("0000000005", "08", "SUSPENSION", fechaFin="2025-09-25"),
        _aviso(
            "0000000004",
            "01",
            "RETENCION",
            tipoDescuento=2,
            valorDescuento="2000.00",
            fechaInicioDescuento="2024-01-01",
        ),
    ]
    case = _case(
        "2025-09-16",
        "2025-09-30",
        {"sbc": "900.00", "salarioDiario": "850.00", "zona": "general"},
        incapacidades=["2025-09-17", "2025-09-18"],
    )
    explained = _explained(case, avisos)
    assert [a.folio for a in explained.avisos] == ["0000000004", "0000000005"]
    assert "suspende el descuento" in explained.text
    (step,) = explained.subperiodos
    assert (step.dias, step.dias_descontados) == (9, 7)
    assert "2 de ausencia sin descuento" in explained.text


def test_every_case_of_a_generated_set_is_explained_with_its_answer() -> None:
    gen = generated()
    explained = explain_round(gen.test_set, gen.answers, gen.avisos)
    assert [e.caso for e in explained] == [c["caso"] for c in gen.test_set["casos"]]
    for item in explained:
        table = json.loads(json.dumps(item.to_json(), ensure_ascii=False))
        answer = gen.answers[item.caso]
        assert table["total"] == answer["total"]
        assert [s["amortizacion"] for s in table["subperiodos"]] == [
            s["amortizacion"] for s in answer["subperiodos"]
        ]
        assert table["texto"].startswith(f"Caso {item.caso} (")
        assert item.avisos, "every case's worker has avisos"
