"""How the checks decide an upload's verdict (DOMAIN §9), and the result they hand back."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from evidence.findings import Finding
from evidence.verdict import Verdict


def verdict_of(findings: Iterable[Finding]) -> Verdict:
    """``ilegible`` with any blocking finding, ``con_inconsistencias`` with any other error.

    T3-IMAGE-INVALID is not blocking: when no image decodes the reader adds T3-NO-IMAGE, which is.
    """
    findings = list(findings)
    if any(f.blocking for f in findings):
        return Verdict.ILEGIBLE
    if any(f.severity == "error" for f in findings):
        return Verdict.CON_INCONSISTENCIAS
    return Verdict.SIN_INCONSISTENCIAS


@dataclass(frozen=True)
class CheckResult:
    verdict: Verdict
    findings: tuple[Finding, ...]

    @classmethod
    def of(cls, findings: Iterable[Finding]) -> CheckResult:
        """Findings without repeats, by tab (workbook-wide first), each tab in the order found."""
        unique = list(dict.fromkeys(findings))
        ordered = tuple(sorted(unique, key=lambda f: -1 if f.tab is None else f.tab))
        return cls(verdict_of(ordered), ordered)

    def to_json(self) -> dict[str, Any]:
        return {"verdict": self.verdict.value, "findings": [f.to_json() for f in self.findings]}

    @classmethod
    def from_json(cls, document: Mapping[str, Any]) -> CheckResult:
        """The result again from its ``to_json``."""
        return cls(
            Verdict(document["verdict"]), tuple(map(Finding.from_json, document["findings"]))
        )
