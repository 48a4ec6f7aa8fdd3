"""Findings of the evidence checks (DOMAIN §9): stable codes, severities and the blocking set."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal

Severity = Literal["error", "warning"]


class Code(StrEnum):
    """Finding codes; their values are stable API (DOMAIN §9)."""

    WB_FORMAT = "WB-FORMAT"
    WB_SIZE = "WB-SIZE"
    WB_SHEET_MISSING = "WB-SHEET-MISSING"
    T1_NO_ZIP = "T1-NO-ZIP"
    T1_ZIP_INVALID = "T1-ZIP-INVALID"
    T1_ZIP_LIMIT = "T1-ZIP-LIMIT"
    T1_JSON_INVALID = "T1-JSON-INVALID"
    T1_SIGNATURE = "T1-SIGNATURE"
    T1_FOREIGN = "T1-FOREIGN"
    T1_MISSING = "T1-MISSING"
    T2_UNREADABLE = "T2-UNREADABLE"
    T2_MISSING_CASE = "T2-MISSING-CASE"
    T2_NOT_NUMBER = "T2-NOT-NUMBER"
    T2_STEP_MISMATCH = "T2-STEP-MISMATCH"
    T2_TOTAL_MISMATCH = "T2-TOTAL-MISMATCH"
    T2_UNKNOWN_CASE = "T2-UNKNOWN-CASE"
    T3_NO_IMAGE = "T3-NO-IMAGE"
    T3_IMAGE_INVALID = "T3-IMAGE-INVALID"
    T4_NO_CFDI = "T4-NO-CFDI"
    T4_XML_INVALID = "T4-XML-INVALID"
    T4_SCHEMA = "T4-SCHEMA"
    T4_NO_DEDUCTION = "T4-NO-DEDUCTION"
    T4_DEDUCTION_TYPE = "T4-DEDUCTION-TYPE"
    T4_AMOUNT_MISMATCH = "T4-AMOUNT-MISMATCH"
    T4_UNKNOWN_WORKER = "T4-UNKNOWN-WORKER"
    T4_SIGNED = "T4-SIGNED"
    T4_TOTALS = "T4-TOTALS"


# A tab that cannot be read at all makes the upload `ilegible` (DOMAIN §9), and so does any WB-*.
BLOCKING_CODES: frozenset[Code] = frozenset(
    {
        Code.WB_FORMAT,
        Code.WB_SIZE,
        Code.WB_SHEET_MISSING,
        Code.T1_NO_ZIP,
        Code.T1_ZIP_INVALID,
        Code.T1_ZIP_LIMIT,
        Code.T2_UNREADABLE,
        Code.T3_NO_IMAGE,
        Code.T4_NO_CFDI,
        Code.T4_XML_INVALID,
    }
)

WARNING_CODES: frozenset[Code] = frozenset({Code.T4_SIGNED})


@dataclass(frozen=True)
class Finding:
    """One observation about an upload; ``message`` is shown to people, so it is Spanish."""

    code: Code
    severity: Severity
    tab: int | None
    case: str | None
    message: str
    expected: str | None = None
    actual: str | None = None

    @property
    def blocking(self) -> bool:
        return self.code in BLOCKING_CODES

    def to_json(self) -> dict[str, str | int | None]:
        return {
            "code": self.code.value,
            "severity": self.severity,
            "tab": self.tab,
            "case": self.case,
            "message": self.message,
            "expected": self.expected,
            "actual": self.actual,
        }

    @classmethod
    def from_json(cls, document: Mapping[str, Any]) -> Finding:
        """The finding again from its ``to_json``."""
        severity = document["severity"]
        if severity not in ("error", "warning"):
            raise ValueError(f"unknown severity {severity!r}")
        return cls(
            Code(document["code"]),
            severity,
            document["tab"],
            document["case"],
            document["message"],
            document["expected"],
            document["actual"],
        )


def finding(
    code: Code,
    message: str,
    *,
    tab: int | None = None,
    case: str | None = None,
    expected: str | None = None,
    actual: str | None = None,
) -> Finding:
    """Build a finding with the severity its code always has."""
    severity: Severity = "warning" if code in WARNING_CODES else "error"
    return Finding(code, severity, tab, case, message, expected, actual)


class FindingError(Exception):
    """Raised deep inside a reader to abandon a unit of work with one finding."""

    def __init__(self, result: Finding) -> None:
        super().__init__(result.message)
        self.finding = result
