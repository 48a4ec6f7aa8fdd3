"""Throughput of the retention calculator: ``python -m bench.retention [--periods N] [--seed S]``.

Random but realistic cases (7–31 day periods from 2024 on, 1–3 avisos per worker spread over the
credit's history and sometimes inside the period, some absences, some minimum-wage workers) go
through the whole JSON contract (parse, calculate, format) on one core; the goal is ≥ 10,000
periods per second of CPU time (issue 3; the machine may be shared, so the wall-clock figure is
recorded too, and the typed calculation alone). Exits 1 when the goal is missed.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import time
from datetime import date, timedelta
from typing import Any

from bench.report import record
from rules.retention.calculator import calculate
from rules.retention.contract import calculate_json, parse_case

TARGET = 10_000
_FIRST_DAY = date(2024, 1, 1)
_LAST_DAY = date(2026, 12, 1)
_LATER_AVISOS = (
    ("04", "MODIFICACION"),
    ("03", "MODIFICACION"),
    ("06", "SUSPENSION"),
    ("02", "RETENCION"),
)


def _aviso(rng: random.Random, n: int, clave: str, clase: str, day: date) -> dict[str, Any]:
    tipo = rng.choice((1, 2, 3))
    valor = {1: "20.00", 2: f"{rng.randint(500, 4000)}.{rng.randint(0, 99):02d}", 3: "22.2500"}
    return {
        "folio": f"05014{n:05d}",
        "fechaAviso": (day - timedelta(days=rng.randint(1, 20))).isoformat(),
        "tipoAviso": {"clave": clave, "clase": clase},
        "nss": "12345678901",
        "numeroCredito": "1234567890",
        "tipoDescuento": None if clase == "SUSPENSION" else tipo,
        "valorDescuento": None if clase == "SUSPENSION" else valor[tipo],
        "fechaInicioDescuento": None if clase == "SUSPENSION" else day.isoformat(),
        "fechaFin": day.isoformat() if clase == "SUSPENSION" else None,
    }


def random_case(rng: random.Random) -> dict[str, Any]:
    start = _FIRST_DAY + timedelta(days=rng.randrange((_LAST_DAY - _FIRST_DAY).days))
    length = rng.choice((7, 14, 15, 16, 28, 30, 31))
    end = start + timedelta(days=length - 1)
    credit_start = start - timedelta(days=rng.randint(-5, 400))
    avisos = [_aviso(rng, 1, "01", "RETENCION", credit_start)]
    # Later avisos belong to the credit's history; one in four takes effect inside the period.
    for n in range(2, rng.randint(1, 3) + 1):
        if rng.random() < 0.25:
            effective = start + timedelta(days=rng.randrange(length))
        else:
            effective = credit_start + timedelta(
                days=rng.randint(0, max(0, (start - credit_start).days))
            )
        kind = rng.choice(_LATER_AVISOS)
        avisos.append(_aviso(rng, n, *kind, effective))
    period_days = [start + timedelta(days=i) for i in range(length)]
    absent = rng.sample(period_days, rng.choice((0, 0, 0, 1, 2, 3)))
    minimum_wage = rng.random() < 0.2
    return {
        "periodo": {"desde": start.isoformat(), "hasta": end.isoformat()},
        "trabajador": {
            "sbc": "330.58" if minimum_wage else f"{rng.randint(400, 3000)}.00",
            "salarioDiario": "248.93" if minimum_wage else "390.00",
            "zona": rng.choice(("general", "general", "zlfn")),
        },
        "avisos": avisos,
        "ausencias": [day.isoformat() for day in absent[::2]],
        "incapacidades": [day.isoformat() for day in absent[1::2]],
    }


def _rate(count: int, seconds: float) -> float:
    return count / seconds if seconds else float("inf")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--periods", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=20260302)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    payloads = [random_case(rng) for _ in range(args.periods)]
    cases = [parse_case(payload) for payload in payloads]
    # The inputs held for the run are not the calculator's garbage: keep the collector off them.
    gc.collect()
    gc.freeze()

    wall, cpu = time.perf_counter(), time.process_time()
    with_subperiods = sum(1 for payload in payloads if calculate_json(payload)["subperiodos"])
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu

    core = time.process_time()
    for case in cases:
        calculate(case)
    core = time.process_time() - core

    rate = _rate(len(payloads), cpu)
    print(f"periods: {len(payloads):,} ({with_subperiods:,} with a discount)")
    print(f"cores: {os.cpu_count()} (the measurement uses one)")
    met = record(
        "retention: whole JSON contract (parse + calculate + format), CPU",
        rate,
        "periods/s",
        f"≥ {TARGET:,}/s",
        rate >= TARGET,
    )
    record("retention: whole JSON contract, wall", _rate(len(payloads), wall), "periods/s")
    record("retention: typed calculation alone, CPU", _rate(len(cases), core), "periods/s")
    if not met:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
