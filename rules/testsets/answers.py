"""The expected answers of a test set, computed from the documents a vendor receives.

Answers are derived from ``set-de-pruebas.json`` and the avisos responses alone (never from the
generator's internal state), so that whoever holds those files can recompute them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from rules.retention.contract import calculate_json


def avisos_by_nss(avisos_docs: Iterable[Mapping[str, Any]]) -> dict[str, list[Mapping[str, Any]]]:
    """Every aviso of the responses, grouped by worker (an aviso served twice counts once)."""
    grouped: dict[str, dict[str, Mapping[str, Any]]] = {}
    for response in avisos_docs:
        for aviso in response["avisos"]:
            grouped.setdefault(aviso["nss"], {})[aviso["folio"]] = aviso
    return {nss: list(by_folio.values()) for nss, by_folio in grouped.items()}


def calculator_input(case: Mapping[str, Any], avisos: list[Mapping[str, Any]]) -> dict[str, Any]:
    """The §6 calculator input of one case of ``set-de-pruebas.json``."""
    return {
        "periodo": {"desde": case["periodo"]["desde"], "hasta": case["periodo"]["hasta"]},
        "trabajador": dict(case["trabajador"]),
        "avisos": avisos,
        "ausencias": list(case["ausencias"]),
        "incapacidades": list(case["incapacidades"]),
    }


def compute_answers(
    test_set_doc: Mapping[str, Any], avisos_docs: Iterable[Mapping[str, Any]]
) -> dict[str, dict[str, Any]]:
    """``respuestas.json``: the §6 output of every case, keyed by case id."""
    grouped = avisos_by_nss(avisos_docs)
    return {
        case["caso"]: calculate_json(calculator_input(case, grouped.get(case["nss"], [])))
        for case in test_set_doc["casos"]
    }
