"""Tab 1 checks: the JSON responses are ours, unaltered, of this round, and cover its avisos.

A response *belongs* to the round when it is validly signed, its ``registroPatronal`` is the
round's patrón and every aviso it holds is one of the round's avisos (folios are never reused,
DOMAIN §2). A narrower consulta (fewer avisos, another window, its own folioConsulta) therefore
belongs too, and so does a response with no avisos for this patrón.

``T1-MISSING`` is reported once per worker, listing that worker's missing folios: a vendor who
left out a whole response learns which cases it hurts without one finding per aviso.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from evidence.checks.round import Round
from evidence.findings import Code, Finding, finding
from evidence.tabs.json_responses import JsonDocument, JsonTab
from rules.signing import InvalidSignatureError, check_document

TAB = 1


def _name(document: JsonDocument) -> str:
    return f"«{document.path}» del zip «{document.zip_name}»"


def _aviso_folios(document: Mapping[str, Any]) -> list[str]:
    avisos = document.get("avisos")
    if not isinstance(avisos, list):
        return []
    return [str(aviso.get("folio")) for aviso in avisos if isinstance(aviso, dict)]


def _foreign(document: JsonDocument, round_: Round) -> Finding | None:
    """T1-FOREIGN when the signed ``document`` is not a response of this round."""
    nrp = document.document.get("registroPatronal")
    consulta = document.document.get("folioConsulta")
    if nrp != round_.nrp:
        return finding(
            Code.T1_FOREIGN,
            f"La respuesta {_name(document)} (consulta {consulta}) está firmada por el back "
            f"office, pero es del registro patronal {nrp}, no del patrón de este set de pruebas "
            f"({round_.nrp}).",
            tab=TAB,
            expected=round_.nrp,
            actual=str(nrp),
        )
    known = round_.aviso_folios
    strangers = [folio for folio in _aviso_folios(document.document) if folio not in known]
    if strangers:
        return finding(
            Code.T1_FOREIGN,
            f"La respuesta {_name(document)} (consulta {consulta}) está firmada por el back "
            f"office, pero contiene avisos que no son de este set de pruebas: "
            f"{', '.join(strangers)}.",
            tab=TAB,
            actual=", ".join(strangers),
        )
    return None


def _missing(round_: Round, present: set[str]) -> list[Finding]:
    missing_by_nss: dict[str, list[str]] = {}
    for aviso in round_.avisos:
        if aviso.folio not in present:
            missing_by_nss.setdefault(aviso.nss, []).append(aviso.folio)
    findings = []
    for nss, folios in missing_by_nss.items():
        case = round_.case_of_worker(nss)
        who = f"NSS {nss}" + (f", caso {case.caso}" if case else "")
        findings.append(
            finding(
                Code.T1_MISSING,
                f"Ninguna respuesta firmada de este set de pruebas trae "
                f"{'el aviso' if len(folios) == 1 else 'los avisos'} {', '.join(folios)} "
                f"({who}).",
                tab=TAB,
                case=case.caso if case else None,
                expected=", ".join(folios),
            )
        )
    return findings


def response_problem(
    document: JsonDocument, round_: Round, public_key: Ed25519PublicKey
) -> Finding | None:
    """T1-SIGNATURE or T1-FOREIGN for one response; None when it is a response of this round."""
    try:
        check_document(
            document.document, public_key, json_without_floats=document.json_without_floats
        )
    except (InvalidSignatureError, RecursionError) as exc:
        # A document nested deeper than any response of ours cannot be one (RecursionError).
        reason = exc if isinstance(exc, InvalidSignatureError) else "no es una respuesta."
        return finding(
            Code.T1_SIGNATURE,
            f"La respuesta {_name(document)} no pasa la verificación de firma: {reason}",
            tab=TAB,
        )
    return _foreign(document, round_)


def check_json_tab(tab: JsonTab, round_: Round, public_key: Ed25519PublicKey) -> list[Finding]:
    """T1-SIGNATURE, T1-FOREIGN and T1-MISSING for the responses read from tab 1."""
    findings: list[Finding] = []
    present: set[str] = set()
    for document in tab.documents:
        problem = response_problem(document, round_, public_key)
        if problem:
            findings.append(problem)
        else:
            present.update(_aviso_folios(document.document))
    return findings + _missing(round_, present)
