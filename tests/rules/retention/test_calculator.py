"""Retention calculator (DOMAIN.md §6): the worked examples and the rules around them."""

from __future__ import annotations

import copy
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest

from rules.avisos import Discount, DiscountType, Modificacion, Retencion, Suspension, build_timeline
from rules.parameters import Parameters, Zone
from rules.retention.calculator import RetentionCase, Worker, calculate
from rules.retention.contract import calculate_json, parse_case
from rules.retention.errors import RetentionInputError
from tests.rules.retention.payloads import NSS, aviso, case, fixed

# --- the eight worked examples of §6 --------------------------------------------------------------


def test_example_1_capped_fixed_quota_2021() -> None:
    payload = case(
        "2021-07-16",
        "2021-07-29",
        [fixed("2450.00", "2020-03-02")],
        sbc="148.10484",
        salario="141.70",
    )

    result = calculate_json(payload)

    assert result["subperiodos"] == [
        {
            "desde": "2021-07-16",
            "hasta": "2021-07-29",
            "tipoDescuento": 2,
            "valorDescuento": "2450.00",
            "diasBimestre": 62,
            "diasDescontados": 14,
            "importeDiario": "79.03",
            "importeSinTope": "1106.45",
            "tope": "414.69",
            "amortizacion": "414.69",
        }
    ]
    assert (result["amortizacion"], result["seguroDanios"], result["total"]) == (
        "414.69",
        "0.00",
        "414.69",
    )
    (subperiod,) = calculate(parse_case(payload)).subperiods
    assert subperiod.uncapped == Fraction(2450 * 2 * 14, 62)
    assert abs(subperiod.uncapped - Fraction("1106.4516")) < Fraction(1, 10**4)
    assert subperiod.cap == 14 * Fraction("148.10484") * Fraction("0.20")


def test_example_2_vsm_across_year_end_with_umi_and_minimum_wage_change() -> None:
    payload = case(
        "2019-12-27",
        "2020-01-02",
        [aviso(inicio="2019-03-01", tipo=3, valor="22.25")],
        sbc="123.22",
        salario="117.89",
    )

    result = calculate_json(payload)

    december, january = result["subperiodos"]
    assert december == {
        "desde": "2019-12-27",
        "hasta": "2019-12-31",
        "tipoDescuento": 3,
        "valorDescuento": "22.2500",
        "diasBimestre": 61,
        "diasDescontados": 5,
        "importeDiario": "59.98",
        "importeSinTope": "299.90",
        "tope": None,  # 117.89 > 102.68, the 2019 minimum wage
        "amortizacion": "299.90",
    }
    assert january["diasBimestre"] == 60
    assert january["diasDescontados"] == 2
    assert january["tope"] == "49.29"  # 117.89 <= 123.22, the 2020 minimum wage
    assert january["amortizacion"] == "49.29"
    assert result["amortizacion"] == "349.19"
    assert result["seguroDanios"] == "15.00"
    assert result["total"] == "364.19"
    exact = calculate(parse_case(payload))
    december_exact = 5 * Fraction("22.25") * Fraction("82.22") * 2 / 61
    assert exact.subperiods[0].amortization == december_exact
    assert abs(december_exact - Fraction("299.9008")) < Fraction(1, 10**4)
    assert exact.subperiods[1].daily_amount == Fraction("22.25") * Fraction("84.55") * 2 / 60
    assert exact.subperiods[1].amortization == Fraction("49.288")  # 2 × 123.22 × 0.20
    assert exact.amortization_exact == december_exact + Fraction("49.288")


def test_example_3_fixed_quota_first_fortnight_of_the_year() -> None:
    result = calculate_json(case("2026-01-01", "2026-01-15", [fixed("3000.00", "2025-02-03")]))

    assert result == {
        "subperiodos": [
            {
                "desde": "2026-01-01",
                "hasta": "2026-01-15",
                "tipoDescuento": 2,
                "valorDescuento": "3000.00",
                "diasBimestre": 59,
                "diasDescontados": 15,
                "importeDiario": "101.69",
                "importeSinTope": "1525.42",
                "tope": None,
                "amortizacion": "1525.42",
            }
        ],
        "amortizacion": "1525.42",
        "seguroDanios": "15.00",
        "total": "1540.42",
    }


def test_example_4_percentage_of_sbc() -> None:
    payload = case("2026-01-12", "2026-01-18", [aviso(inicio="2025-05-01", tipo=1, valor="20.00")])

    result = calculate_json(payload)

    (subperiod,) = result["subperiodos"]
    assert subperiod["importeDiario"] == "100.00"
    assert subperiod["diasDescontados"] == 7
    assert (result["amortizacion"], result["seguroDanios"], result["total"]) == (
        "700.00",
        "0.00",
        "700.00",
    )


def test_example_5_vsm_first_fortnight_of_july() -> None:
    payload = case("2025-07-01", "2025-07-15", [aviso(inicio="2024-04-01", tipo=3, valor="22.25")])

    result = calculate_json(payload)

    (subperiod,) = result["subperiodos"]
    assert subperiod["diasBimestre"] == 62
    assert subperiod["importeSinTope"] == "1085.33"
    assert calculate(parse_case(payload)).subperiods[0].daily_amount == (
        Fraction("22.25") * Fraction("100.81") * 2 / 62
    )
    assert (result["amortizacion"], result["seguroDanios"], result["total"]) == (
        "1085.33",
        "15.00",
        "1100.33",
    )


def test_example_6_incapacidad_after_the_reform_is_discounted() -> None:
    payload = case(
        "2025-11-16",
        "2025-11-30",
        [fixed("2000.00", "2024-06-03")],
        incapacidades=["2025-11-18", "2025-11-19", "2025-11-20"],
    )

    result = calculate_json(payload)

    (subperiod,) = result["subperiodos"]
    assert subperiod["diasDescontados"] == 15
    assert result["amortizacion"] == "983.61"
    assert result["total"] == "983.61"


def test_example_6_incapacidad_before_the_reform_is_not_discounted() -> None:
    payload = case(
        "2025-09-16",
        "2025-09-30",
        [fixed("2000.00", "2024-06-03")],
        incapacidades=["2025-09-18", "2025-09-19", "2025-09-20"],
    )

    result = calculate_json(payload)

    (subperiod,) = result["subperiodos"]
    assert subperiod["diasBimestre"] == 61
    assert subperiod["diasDescontados"] == 12
    assert (subperiod["desde"], subperiod["hasta"]) == ("2025-09-16", "2025-09-30")
    assert result["amortizacion"] == "786.89"
    assert result["total"] == "786.89"


def test_example_7_minimum_wage_worker_is_capped() -> None:
    payload = case(
        "2026-03-02",
        "2026-03-08",
        [fixed("2450.00", "2025-02-03")],
        sbc="330.58",
        salario="315.04",
    )

    result = calculate_json(payload)

    (subperiod,) = result["subperiodos"]
    assert subperiod["importeSinTope"] == "562.30"
    assert subperiod["tope"] == "462.81"
    assert (result["amortizacion"], result["seguroDanios"], result["total"]) == (
        "462.81",
        "0.00",
        "462.81",
    )


def test_example_8_week_across_two_bimesters() -> None:
    result = calculate_json(case("2026-06-29", "2026-07-05", [fixed("2626.38", "2025-02-03")]))

    june, july = result["subperiodos"]
    assert (june["desde"], june["hasta"], june["diasBimestre"], june["diasDescontados"]) == (
        "2026-06-29",
        "2026-06-30",
        61,
        2,
    )
    assert (july["desde"], july["hasta"], july["diasBimestre"], july["diasDescontados"]) == (
        "2026-07-01",
        "2026-07-05",
        62,
        5,
    )
    assert (result["amortizacion"], result["seguroDanios"], result["total"]) == (
        "595.83",
        "15.00",
        "610.83",
    )


# --- bimesters, parameters, cap -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("desde", "hasta", "days"),
    [
        ("2024-02-01", "2024-02-29", 60),  # leap year
        ("2025-02-01", "2025-02-28", 59),
        ("2025-03-01", "2025-03-31", 61),
        ("2025-05-01", "2025-05-31", 61),
        ("2025-08-01", "2025-08-31", 62),
        ("2025-10-01", "2025-10-31", 61),
        ("2025-12-01", "2025-12-31", 61),
    ],
)
def test_bimester_days(desde: str, hasta: str, days: int) -> None:
    result = calculate_json(case(desde, hasta, [fixed("1000.00", "2023-01-02")]))

    assert result["subperiodos"][0]["diasBimestre"] == days


def test_leap_february_month_is_one_subperiod_of_29_days() -> None:
    result = calculate_json(case("2024-02-01", "2024-02-29", [fixed("3000.00", "2023-01-02")]))

    (subperiod,) = result["subperiodos"]
    assert subperiod["diasDescontados"] == 29
    assert result["amortizacion"] == "2900.00"  # 3000 × 2 / 60 × 29


def test_zlfn_worker_uses_the_zlfn_minimum_wage_for_the_condition() -> None:
    # 400.00 is above the general minimum wage of 2026 (315.04) but below the ZLFN one (440.87).
    general = calculate_json(
        case(
            "2026-03-02",
            "2026-03-08",
            [fixed("2450.00", "2025-01-06")],
            sbc="410.00",
            salario="400.00",
        )
    )
    zlfn = calculate_json(
        case(
            "2026-03-02",
            "2026-03-08",
            [fixed("2450.00", "2025-01-06")],
            sbc="410.00",
            salario="400.00",
            zona="zlfn",
        )
    )

    assert general["subperiodos"][0]["tope"] is None
    assert zlfn["subperiodos"][0]["tope"] == "574.00"  # 410 × 0.20 × 7
    assert zlfn["amortizacion"] == "562.30"  # the cap does not bind


def test_tope_is_shown_even_when_it_does_not_bind() -> None:
    result = calculate_json(
        case(
            "2026-03-02",
            "2026-03-08",
            [fixed("500.00", "2025-01-06")],
            sbc="330.58",
            salario="315.04",
        )
    )

    (subperiod,) = result["subperiodos"]
    assert subperiod["tope"] == "462.81"
    assert subperiod["amortizacion"] == subperiod["importeSinTope"] == "114.75"


def test_cap_condition_uses_salario_diario_and_cap_uses_sbc() -> None:
    # salarioDiario equal to the minimum wage holds the condition; the cap is 20 % of the SBC.
    result = calculate_json(
        case(
            "2026-03-02",
            "2026-03-02",
            [fixed("2450.00", "2025-01-06")],
            sbc="100.00",
            salario="315.04",
        )
    )

    assert result["subperiodos"][0]["tope"] == "20.00"
    assert result["amortizacion"] == "20.00"


def test_percentage_cap_for_a_percentage_credit() -> None:
    result = calculate_json(
        case(
            "2026-03-02",
            "2026-03-04",
            [aviso(inicio="2025-01-06", tipo=1, valor="25.00")],
            sbc="300.00",
            salario="300.00",
        )
    )

    (subperiod,) = result["subperiodos"]
    assert (subperiod["importeDiario"], subperiod["tope"], subperiod["amortizacion"]) == (
        "75.00",
        "180.00",
        "180.00",
    )


def test_a_missing_umi_is_a_clear_spanish_error() -> None:
    payload = case(
        "2022-03-01", "2022-03-07", [aviso(inicio="2021-05-03", tipo=3, valor="20.0000")]
    )

    with pytest.raises(RetentionInputError, match=r"no tiene la UMI vigente el 2022-03-01"):
        calculate_json(payload)


def test_a_missing_umi_does_not_matter_to_a_fixed_quota() -> None:
    result = calculate_json(case("2022-03-01", "2022-03-07", [fixed("2000.00", "2021-05-03")]))

    assert result["amortizacion"] == "459.02"  # 2000 × 2 / 61 × 7


def test_a_missing_minimum_wage_is_a_clear_spanish_error() -> None:
    with pytest.raises(RetentionInputError, match=r"salario mínimo de la zona general.*2018-03-05"):
        calculate_json(case("2018-03-05", "2018-03-11", [fixed("2000.00", "2017-05-01")]))


def test_parameters_missing_before_the_credit_starts_do_not_matter() -> None:
    result = calculate_json(case("2018-12-24", "2019-01-06", [fixed("2000.00", "2019-01-01")]))

    assert result["subperiodos"][0]["desde"] == "2019-01-01"


def _table(extra: Iterable[tuple[str, str, str]]) -> Parameters:
    rows = [
        ("umi", "2026-01-01", "100.81"),
        ("sm_general", "2026-01-01", "315.04"),
        ("sm_zlfn", "2026-01-01", "440.87"),
        ("uma", "2026-02-01", "117.31"),
        *extra,
    ]
    return Parameters.from_rows((n, date.fromisoformat(d), Decimal(v)) for n, d, v in rows)


def test_a_minimum_wage_change_inside_a_bimester_splits_the_subperiod() -> None:
    params = _table([("sm_general", "2026-01-10", "330.00")])
    parsed = parse_case(
        case(
            "2026-01-05",
            "2026-01-14",
            [fixed("2450.00", "2025-01-06")],
            sbc="320.00",
            salario="320.00",
        )
    )

    result = calculate(parsed, params)

    uncapped, capped = result.subperiods
    assert (uncapped.desde, uncapped.hasta, uncapped.cap) == (
        date(2026, 1, 5),
        date(2026, 1, 9),
        None,
    )
    assert (capped.desde, capped.hasta) == (date(2026, 1, 10), date(2026, 1, 14))
    assert capped.amortization == capped.cap == Fraction(320)  # 5 days × 320 × 0.20


def test_a_umi_change_inside_a_bimester_splits_only_vsm_credits() -> None:
    params = _table([("umi", "2026-01-10", "110.00")])
    vsm = parse_case(
        case("2026-01-05", "2026-01-14", [aviso(inicio="2025-01-06", tipo=3, valor="20.0000")])
    )
    pesos = parse_case(case("2026-01-05", "2026-01-14", [fixed("2450.00", "2025-01-06")]))

    assert [s.daily_amount for s in calculate(vsm, params).subperiods] == [
        Fraction(20) * Fraction("100.81") * 2 / 59,
        Fraction(20) * 110 * 2 / 59,
    ]
    assert len(calculate(pesos, params).subperiods) == 1


# --- absences -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("tipo", "valor"), [(1, "10.00"), (2, "2000.00"), (3, "15.0000")])
def test_absences_before_the_reform_are_not_discounted_for_every_tipo(
    tipo: int, valor: str
) -> None:
    credit = [aviso(inicio="2024-06-03", tipo=tipo, valor=valor)]
    absent = calculate(
        parse_case(case("2025-09-01", "2025-09-07", credit, ausencias=["2025-09-01", "2025-09-07"]))
    )
    present = calculate(parse_case(case("2025-09-02", "2025-09-06", credit)))

    (subperiod,) = absent.subperiods
    assert (subperiod.desde, subperiod.hasta) == (date(2025, 9, 1), date(2025, 9, 7))
    assert subperiod.discounted_days == 5
    assert absent.amortization_exact == present.amortization_exact


@pytest.mark.parametrize(("tipo", "valor"), [(1, "10.00"), (2, "2000.00"), (3, "15.0000")])
def test_absences_from_the_reform_on_are_discounted_for_every_tipo(tipo: int, valor: str) -> None:
    credit = [aviso(inicio="2024-06-03", tipo=tipo, valor=valor)]
    absent = calculate(
        parse_case(
            case(
                "2026-03-02",
                "2026-03-08",
                credit,
                ausencias=["2026-03-03"],
                incapacidades=["2026-03-04"],
            )
        )
    )
    present = calculate(parse_case(case("2026-03-02", "2026-03-08", credit)))

    assert absent == present


def test_a_day_both_absent_and_incapacitated_counts_once() -> None:
    result = calculate_json(
        case(
            "2025-09-01",
            "2025-09-07",
            [fixed("2000.00", "2024-06-03")],
            ausencias=["2025-09-03"],
            incapacidades=["2025-09-03"],
        )
    )

    assert result["subperiodos"][0]["diasDescontados"] == 6


def test_a_subperiod_made_only_of_absences_is_omitted() -> None:
    # The week crosses into Nov–Dec 2025 (reform); the two October days are both absences.
    result = calculate_json(
        case(
            "2025-10-30",
            "2025-11-05",
            [fixed("2000.00", "2024-06-03")],
            ausencias=["2025-10-30", "2025-10-31"],
        )
    )

    (november,) = result["subperiodos"]
    assert (november["desde"], november["diasDescontados"]) == ("2025-11-01", 5)


def test_the_reform_bimester_starts_on_1_november_2025() -> None:
    result = calculate_json(
        case(
            "2025-10-30",
            "2025-11-02",
            [fixed("2000.00", "2024-06-03")],
            ausencias=["2025-10-31", "2025-11-01"],
        )
    )

    october, november = result["subperiodos"]
    assert (october["diasDescontados"], november["diasDescontados"]) == (1, 2)


# --- avisos timeline ------------------------------------------------------------------------------


def test_a_modification_inside_the_period_splits_the_subperiod() -> None:
    result = calculate_json(
        case(
            "2026-03-02",
            "2026-03-15",
            [
                fixed("2450.00", "2025-01-06"),
                aviso(
                    "MODIFICACION", inicio="2026-03-09", tipo=1, valor="20.00", folio="0501400002"
                ),
            ],
        )
    )

    before, after = result["subperiodos"]
    assert (before["hasta"], before["tipoDescuento"], before["valorDescuento"]) == (
        "2026-03-08",
        2,
        "2450.00",
    )
    assert (after["desde"], after["tipoDescuento"], after["importeDiario"]) == (
        "2026-03-09",
        1,
        "100.00",
    )


def test_a_modification_that_changes_nothing_does_not_split() -> None:
    result = calculate_json(
        case(
            "2026-03-02",
            "2026-03-15",
            [
                fixed("2450.00", "2025-01-06"),
                aviso(
                    "MODIFICACION",
                    inicio="2026-03-09",
                    valor="2450.00",
                    clave="05",
                    folio="0501400002",
                    credito="9999999999",
                ),
            ],
        )
    )

    assert len(result["subperiodos"]) == 1


def test_a_suspension_stops_the_discount_from_its_fecha_fin() -> None:
    result = calculate_json(
        case(
            "2026-03-02",
            "2026-03-15",
            [
                fixed("2450.00", "2025-01-06"),
                aviso("SUSPENSION", fin="2026-03-10", folio="0501400002"),
            ],
        )
    )

    (subperiod,) = result["subperiodos"]
    assert (subperiod["desde"], subperiod["hasta"], subperiod["diasDescontados"]) == (
        "2026-03-02",
        "2026-03-09",
        8,
    )


def test_a_modification_never_reactivates_a_suspended_credit() -> None:
    result = calculate_json(
        case(
            "2026-03-02",
            "2026-03-15",
            [
                fixed("2450.00", "2025-01-06"),
                aviso("SUSPENSION", fin="2026-03-05", folio="0501400002"),
                aviso("MODIFICACION", inicio="2026-03-09", valor="3000.00", folio="0501400003"),
            ],
        )
    )

    (subperiod,) = result["subperiodos"]
    assert subperiod["hasta"] == "2026-03-04"


def test_a_reinicio_reactivates_with_its_own_discount_and_charges_no_second_seguro() -> None:
    result = calculate_json(
        case(
            "2026-03-02",
            "2026-03-15",
            [
                fixed("2450.00", "2025-01-06"),
                aviso("SUSPENSION", fin="2026-03-05", folio="0501400002"),
                fixed("1200.00", "2026-03-09", clave="02", folio="0501400003"),
            ],
        )
    )

    first, second = result["subperiodos"]
    assert (first["hasta"], second["desde"], second["valorDescuento"]) == (
        "2026-03-04",
        "2026-03-09",
        "1200.00",
    )
    assert result["seguroDanios"] == "0.00"


def test_avisos_apply_by_effective_date_then_fecha_aviso_then_folio_not_array_order() -> None:
    start = fixed("2450.00", "2025-01-06", folio="0501400000")
    late_suspension = aviso(
        "SUSPENSION", fin="2026-03-09", fecha_aviso="2026-03-05", folio="0501400009"
    )
    early_restart = fixed(
        "1000.00", "2026-03-09", clave="02", fecha_aviso="2026-03-01", folio="0501400001"
    )
    forwards = case("2026-03-02", "2026-03-15", [start, late_suspension, early_restart])
    backwards = case("2026-03-02", "2026-03-15", [early_restart, late_suspension, start])

    # Same effective day: the later fechaAviso (the suspension) wins.
    assert calculate_json(forwards) == calculate_json(backwards)
    assert calculate_json(forwards)["subperiodos"][-1]["hasta"] == "2026-03-08"


def test_folio_breaks_ties_of_the_same_day_and_fecha_aviso() -> None:
    start = fixed("2450.00", "2025-01-06", folio="0501400000")
    suspension = aviso("SUSPENSION", fin="2026-03-09", fecha_aviso="2026-03-01", folio="0501400002")
    restart = fixed(
        "1000.00", "2026-03-09", clave="02", fecha_aviso="2026-03-01", folio="0501400001"
    )

    result = calculate_json(case("2026-03-02", "2026-03-15", [restart, start, suspension]))

    assert result["subperiodos"][-1]["hasta"] == "2026-03-08"


def test_all_avisos_of_the_worker_form_one_timeline_whatever_the_credit_number() -> None:
    result = calculate_json(
        case(
            "2026-03-02",
            "2026-03-15",
            [
                fixed("2450.00", "2025-01-06", credito="1111111111"),
                aviso("SUSPENSION", fin="2026-03-09", folio="0501400002", credito="2222222222"),
            ],
        )
    )

    assert result["subperiodos"][0]["hasta"] == "2026-03-08"


def test_identical_repeated_avisos_are_harmless() -> None:
    start = fixed("2450.00", "2025-01-06")

    assert calculate_json(case("2026-03-02", "2026-03-08", [start, copy.deepcopy(start)])) == (
        calculate_json(case("2026-03-02", "2026-03-08", [start]))
    )


def test_build_timeline_merges_steps_that_change_nothing() -> None:
    def header(folio: str, day: date) -> dict[str, Any]:
        return {"folio": folio, "fecha_aviso": day, "clave": "01", "nss": NSS}

    discount = Discount(DiscountType.CUOTA_FIJA, Decimal("100.00"))
    timeline = build_timeline(
        [
            Suspension(**header("3", date(2026, 1, 1)), fecha_fin=date(2026, 1, 1)),
            Retencion(
                **header("1", date(2026, 2, 1)), fecha_inicio=date(2026, 2, 1), discount=discount
            ),
            Modificacion(
                **header("2", date(2026, 3, 1)),
                fecha_inicio=date(2026, 3, 1),
                discount=Discount(DiscountType.CUOTA_FIJA, Decimal("100")),
            ),
        ]
    )

    assert timeline.starts == (date(2026, 2, 1).toordinal(),)
    assert timeline.discount_on(date(2026, 3, 5).toordinal()) == discount
    assert timeline.first_active_from(date(2026, 1, 1).toordinal()) == date(2026, 2, 1).toordinal()


# --- seguro de daños ------------------------------------------------------------------------------


def test_seguro_is_charged_when_the_credit_starts_inside_the_period() -> None:
    result = calculate_json(case("2026-03-02", "2026-03-15", [fixed("2450.00", "2026-03-10")]))

    assert result["subperiodos"][0]["desde"] == "2026-03-10"
    assert result["seguroDanios"] == "15.00"


def test_seguro_counts_an_absent_first_active_day() -> None:
    result = calculate_json(
        case("2025-09-01", "2025-09-07", [fixed("2450.00", "2024-01-08")], ausencias=["2025-09-01"])
    )

    assert result["seguroDanios"] == "15.00"


def test_seguro_is_not_charged_again_when_the_credit_was_active_earlier_in_the_bimester() -> None:
    result = calculate_json(
        case(
            "2026-03-16",
            "2026-03-31",
            [
                fixed("2450.00", "2026-03-02"),
                aviso("SUSPENSION", fin="2026-03-05", folio="0501400002"),
                fixed("2450.00", "2026-03-20", clave="02", folio="0501400003"),
            ],
        )
    )

    assert result["subperiodos"][0]["desde"] == "2026-03-20"
    assert result["seguroDanios"] == "0.00"


def test_a_period_holding_two_first_active_days_charges_twice() -> None:
    result = calculate_json(case("2026-02-16", "2026-03-15", [fixed("2450.00", "2026-02-20")]))

    assert result["seguroDanios"] == "30.00"
    assert result["total"] == str(Decimal(result["amortizacion"]) + Decimal("30.00"))


def test_no_active_day_no_seguro_and_zero_totals() -> None:
    result = calculate_json(case("2026-03-02", "2026-03-15", []))

    assert result == {
        "subperiodos": [],
        "amortizacion": "0.00",
        "seguroDanios": "0.00",
        "total": "0.00",
    }


# --- rounding -------------------------------------------------------------------------------------


def test_period_amortization_rounds_the_exact_sum_not_the_rounded_subperiods() -> None:
    result = calculate_json(case("2026-02-27", "2026-03-05", [fixed("1008.00", "2025-01-06")]))

    assert [s["amortizacion"] for s in result["subperiodos"]] == ["68.34", "165.25"]
    assert result["amortizacion"] == "233.58"  # 4032/59 + 10080/61 = 233.5848…


def test_half_cent_ties_round_up() -> None:
    result = calculate_json(
        case(
            "2026-03-02",
            "2026-03-02",
            [aviso(inicio="2025-01-06", tipo=1, valor="10.00")],
            sbc="100.05",
        )
    )

    assert result["amortizacion"] == "10.01"  # exactly 10.005


# --- typed API ------------------------------------------------------------------------------------


def test_typed_core_matches_the_json_shell() -> None:
    typed = RetentionCase(
        desde=date(2026, 1, 1),
        hasta=date(2026, 1, 15),
        worker=Worker(sbc=Decimal("500.00"), daily_wage=Decimal("450.00"), zone=Zone.GENERAL),
        avisos=(
            Retencion(
                folio="1",
                fecha_aviso=date(2025, 2, 3),
                clave="01",
                nss=NSS,
                fecha_inicio=date(2025, 2, 3),
                discount=Discount(DiscountType.CUOTA_FIJA, Decimal("3000.00")),
            ),
        ),
    )

    result = calculate(typed)

    assert result.amortization == Decimal("1525.42")
    assert result.seguro_danios == Decimal("15.00")
    assert result.total == Decimal("1540.42")
    assert result.amortization_exact == Fraction(3000 * 2 * 15, 59)
