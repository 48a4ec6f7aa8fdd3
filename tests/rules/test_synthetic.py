"""Synthetic production avisos (`sia avisos synth`): valid identities, the §5 object as the test
sets write it, plausible histories, a skewed distribution, determinism and unique folios."""

from __future__ import annotations

import json
import statistics
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from itertools import islice
from typing import Any

import pytest

from rules.avisos import AVISO_CATALOG, AvisoClass, Discount, DiscountType
from rules.identities import (
    Persona,
    curp,
    is_valid_curp,
    is_valid_nrp,
    is_valid_nss,
    is_valid_numero_credito,
    is_valid_rfc,
    rfc_persona_fisica,
)
from rules.synthetic import (
    MAX_WORKERS_PER_PATRON,
    WINDOW,
    SyntheticError,
    plan,
    synthetic_avisos,
    synthetic_lines,
)
from rules.testsets.avisos import Event, aviso_document

R, M, S = AvisoClass.RETENCION, AvisoClass.MODIFICACION, AvisoClass.SUSPENSION


@pytest.fixture(scope="module")
def load() -> list[dict[str, Any]]:
    return list(synthetic_avisos(patrones=40, avisos=6000, seed="pruebas"))


def _born(rfc: str) -> date:
    yy, mm, dd = int(rfc[4:6]), int(rfc[6:8]), int(rfc[8:10])
    return date(1900 + yy if yy >= 65 else 2000 + yy, mm, dd)


def _persona(aviso: dict[str, Any]) -> Persona:
    *nombres, paterno, materno = aviso["nombre"].split()
    return Persona(
        nombres=" ".join(nombres),
        paterno=paterno,
        materno=materno,
        sexo=aviso["curp"][10],
        nacimiento=_born(aviso["rfc"]),
        entidad=aviso["curp"][11:13],
        rfc=aviso["rfc"],
        curp=aviso["curp"],
    )


def _effective(aviso: dict[str, Any]) -> date:
    return date.fromisoformat(aviso["fechaInicioDescuento"] or aviso["fechaFin"])


def test_identities_carry_valid_check_digits_and_come_from_the_names(load):
    for aviso in load:
        assert is_valid_nrp(aviso["registroPatronal"])
        assert is_valid_nss(aviso["nss"]), aviso["nss"]
        assert is_valid_rfc(aviso["rfc"], kind="fisica"), aviso["rfc"]
        assert is_valid_curp(aviso["curp"]), aviso["curp"]
        assert is_valid_numero_credito(aviso["numeroCredito"])
        assert len(aviso["folio"]) == 10 and aviso["folio"].isdigit()
        # SAT's letters and homoclave, RENAPO's letters and consonants: as rules.identities
        # writes them for that name and birth date.
        p = _persona(aviso)
        assert aviso["rfc"] == rfc_persona_fisica(p.paterno, p.materno, p.nombres, p.nacimiento)
        assert aviso["curp"] == curp(
            p.paterno, p.materno, p.nombres, p.nacimiento, p.sexo, p.entidad, aviso["curp"][16]
        )
        # RENAPO: a digit before 2000, a letter from 2000 on.
        assert aviso["curp"][16].isdigit() == (p.nacimiento.year < 2000)
        # The NSS names the birth year and an affiliation at 16 or later.
        assert aviso["nss"][4:6] == f"{p.nacimiento.year % 100:02d}"


def test_each_line_is_the_test_sets_aviso_object_plus_the_nrp(load):
    for aviso in load:
        discount = None
        if aviso["tipoDescuento"] is not None:
            discount = Discount(
                DiscountType(aviso["tipoDescuento"]), Decimal(aviso["valorDescuento"])
            )
        event = Event(
            aviso["tipoAviso"]["clave"], _effective(aviso), aviso["numeroCredito"], discount
        )
        expected = aviso_document(
            event,
            folio=aviso["folio"],
            fecha_aviso=date.fromisoformat(aviso["fechaAviso"]),
            nss=aviso["nss"],
            persona=_persona(aviso),
        )
        assert {k: v for k, v in aviso.items() if k != "registroPatronal"} == expected
        assert list(aviso) == [*expected, "registroPatronal"]


def test_histories_are_plausible_timelines(load):
    workers: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for aviso in load:
        workers[aviso["nss"]].append(aviso)
    shapes = set()
    for avisos in workers.values():
        assert len({(a["rfc"], a["curp"], a["nombre"], a["registroPatronal"]) for a in avisos}) == 1
        claves = [a["tipoAviso"]["clave"] for a in avisos]
        shapes.update(claves)
        assert claves[0] == "01", claves
        days = [_effective(a) for a in avisos]
        assert days == sorted(days)
        for aviso, previous, day in zip(avisos[1:], avisos[:-1], days[1:], strict=True):
            clase = AVISO_CATALOG[aviso["tipoAviso"]["clave"]]
            if AVISO_CATALOG[previous["tipoAviso"]["clave"]] is S:
                # After a prórroga the credit restarts (02); after the end of one, a new one (01).
                assert clase is R
                if previous["tipoAviso"]["clave"] == "08":
                    assert aviso["tipoAviso"]["clave"] == "02"
                    assert aviso["numeroCredito"] == previous["numeroCredito"]
                else:
                    assert aviso["tipoAviso"]["clave"] == "01"
            assert WINDOW[0] <= day <= WINDOW[1]
        for aviso, day in zip(avisos, days, strict=True):
            notified = date.fromisoformat(aviso["fechaAviso"])
            earliest = 0 if aviso["tipoDescuento"] is None else 1
            assert day - timedelta(days=30) <= notified <= day - timedelta(days=earliest)
            if aviso["tipoDescuento"] is not None:
                decimals = aviso["valorDescuento"].split(".")[1]
                assert len(decimals) == DiscountType(aviso["tipoDescuento"]).decimals
                assert Decimal(aviso["valorDescuento"]) > 0
    assert shapes == set(AVISO_CATALOG), "every clave of the catalog appears"


def test_the_distribution_is_skewed_and_capped():
    patrones = plan(patrones=1000, avisos=500_000, seed="sesgo")
    workers = sorted((p.trabajadores for p in patrones), reverse=True)
    assert sum(p.avisos for p in patrones) == 500_000
    assert all(1 <= p.trabajadores <= p.avisos for p in patrones)
    assert workers[0] == MAX_WORKERS_PER_PATRON  # the largest reach the cap
    assert statistics.median(workers) <= 25  # most have few
    assert sum(workers[:10]) > 0.4 * sum(workers)  # 1 % of the patrones, over 40 % of workers
    assert len({p.nrp for p in patrones}) == 1000
    # Few patrones for many avisos: every one at the cap, the workers hold the rest.
    crowded = plan(patrones=2, avisos=1_000_000)
    assert [p.trabajadores for p in crowded] == [MAX_WORKERS_PER_PATRON] * 2
    assert sum(p.avisos for p in crowded) == 1_000_000


def test_the_lines_follow_the_plan(load):
    expected = {p.nrp: p for p in plan(patrones=40, avisos=6000, seed="pruebas")}
    avisos: dict[str, int] = defaultdict(int)
    workers: dict[str, set[str]] = defaultdict(set)
    for aviso in load:
        avisos[aviso["registroPatronal"]] += 1
        workers[aviso["registroPatronal"]].add(aviso["nss"])
    assert {nrp: p.avisos for nrp, p in expected.items()} == avisos
    assert {nrp: p.trabajadores for nrp, p in expected.items()} == {
        nrp: len(nss) for nrp, nss in workers.items()
    }


def test_the_same_seed_gives_the_same_lines_and_another_seed_others():
    first = list(synthetic_lines(patrones=20, avisos=3000, seed="7"))
    assert first == list(synthetic_lines(patrones=20, avisos=3000, seed="7"))
    assert first != list(synthetic_lines(patrones=20, avisos=3000, seed="8"))
    documents = list(synthetic_avisos(patrones=20, avisos=3000, seed="7"))
    assert [json.loads(line) for line in first] == documents
    compact = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    assert first == [compact(document) + "\n" for document in documents]  # byte for byte
    assert all(line.endswith("\n") and line.count("\n") == 1 for line in first)
    assert "\\u" not in "".join(first)  # UTF-8 as such (Ñ), nothing escaped


def test_folios_and_workers_are_unique():
    folios, nss, workers = set(), set(), set()
    count = 0
    for aviso in synthetic_avisos(patrones=300, avisos=120_000, seed="únicos"):
        folios.add(aviso["folio"])
        nss.add(aviso["nss"])
        workers.add((aviso["registroPatronal"], aviso["nss"]))
        count += 1
    assert count == len(folios) == 120_000
    assert len(nss) == len(workers)  # no NSS shared by two workers


def test_it_streams():
    # The first lines of a large load come at once: nothing is built ahead.
    first = list(islice(synthetic_avisos(patrones=10_000, avisos=10_000_000), 5))
    assert len(first) == 5


@pytest.mark.parametrize(
    ("patrones", "avisos", "message"),
    [
        (0, 10, "al menos un patrón"),
        (5, 4, "Cada patrón necesita al menos un aviso"),
    ],
)
def test_impossible_loads_are_refused_in_spanish(patrones, avisos, message):
    with pytest.raises(SyntheticError, match=message):
        synthetic_avisos(patrones=patrones, avisos=avisos)
    with pytest.raises(SyntheticError, match=message):
        synthetic_lines(patrones=patrones, avisos=avisos)
