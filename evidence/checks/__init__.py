"""Automatic checks of an evidence workbook's content against its round (DOMAIN §9).

``check_evidence`` is pure: a reading (``evidence.reading.read_workbook``) and the round's
documents in, a verdict and findings out. A tab with a blocking finding is not checked further:
the upload is refused anyway, and its content findings would only restate that it was not read.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from evidence.checks.calculations import check_calculations
from evidence.checks.cfdi import check_cfdi_tab
from evidence.checks.json_responses import check_json_tab
from evidence.checks.round import build_round, case_key
from evidence.checks.verdict import CheckResult, verdict_of
from evidence.findings import Code, Finding
from evidence.reading import WorkbookReading

__all__ = ["CheckResult", "check_evidence", "verdict_of"]


def check_evidence(
    reading: WorkbookReading,
    *,
    test_set: Mapping[str, Any],
    answers: Mapping[str, Mapping[str, Any]],
    avisos_responses: Sequence[Mapping[str, Any]],
    public_key: Ed25519PublicKey,
) -> CheckResult:
    """The verdict and every finding (the reading's and the checks') of one upload."""
    round_ = build_round(test_set, answers, avisos_responses)
    blocked = {f.tab for f in reading.findings if f.blocking}
    findings: list[Finding] = list(reading.findings)
    if reading.json_tab is not None and 1 not in blocked:
        findings += check_json_tab(reading.json_tab, round_, public_key)
    if reading.calculations is not None and 2 not in blocked:
        unreadable = frozenset(
            case_key(f.case) for f in reading.findings if f.code is Code.T2_NOT_NUMBER and f.case
        )
        findings += check_calculations(reading.calculations, round_, unreadable)
    if reading.cfdi is not None and 4 not in blocked:
        findings += check_cfdi_tab(reading.cfdi, round_)
    return CheckResult.of(findings)
