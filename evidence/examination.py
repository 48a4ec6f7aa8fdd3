"""One upload's whole examination: read the workbook and, when it is readable, check it.

Both run in the same guarded child process (``evidence.guard``), so an untrusted file is parsed
once. The round's documents travel to the child as JSON; the examination comes back as its record
(``Examination.to_record``): the JSON forms the caller stores, and the bytes they leave out.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from evidence.checks import CheckResult, check_evidence
from evidence.reading import WorkbookReading, read_workbook

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RoundDocuments:
    """What an upload is checked against: its round's test set, answers and avisos responses,
    and the raw Ed25519 public key that signed those responses."""

    test_set: Mapping[str, Any]
    answers: Mapping[str, Mapping[str, Any]]
    avisos_responses: Sequence[Mapping[str, Any]]
    public_key: bytes

    def to_json(self) -> dict[str, Any]:
        return {
            "test_set": self.test_set,
            "answers": self.answers,
            "avisos_responses": list(self.avisos_responses),
            "public_key": self.public_key.hex(),
        }

    @classmethod
    def from_json(cls, document: Mapping[str, Any]) -> RoundDocuments:
        return cls(
            test_set=document["test_set"],
            answers=document["answers"],
            avisos_responses=document["avisos_responses"],
            public_key=bytes.fromhex(document["public_key"]),
        )


@dataclass(frozen=True)
class Examination:
    """The reading, and the checks when a round was given (an unreadable workbook's readable
    tabs are checked too: ``sia evidence check`` reports them; an upload that is refused keeps
    only its reading's findings).

    ``checks`` is None when the checks themselves failed on a readable workbook
    (``check_failed``): the upload stands, and the reviewer decides without automatic advice.
    """

    reading: WorkbookReading
    checks: CheckResult | None = None
    check_failed: bool = False

    def to_record(self) -> dict[str, Any]:
        """The examination as plain data (dicts, lists, text, numbers, bytes): the JSON forms of
        the reading and the checks, and the bytes the reading's form leaves out."""
        screenshots, cfdi = self.reading.contents()
        return {
            "reading": self.reading.to_json(),
            "screenshots": screenshots,
            "cfdi": cfdi,
            "checks": self.checks.to_json() if self.checks else None,
            "check_failed": self.check_failed,
        }

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Examination:
        """The examination again from its ``to_record``; ValueError, KeyError or TypeError when
        the record is not one."""
        if not isinstance(record["check_failed"], bool):
            raise TypeError("check_failed is not a bool")
        checks = record["checks"]
        return cls(
            WorkbookReading.from_json(record["reading"], record["screenshots"], record["cfdi"]),
            CheckResult.from_json(checks) if checks is not None else None,
            record["check_failed"],
        )


def examine(
    data: bytes, *, filename: str | None = None, against: RoundDocuments | None = None
) -> Examination:
    reading = read_workbook(data, filename=filename)
    if against is None:
        return Examination(reading)
    try:
        checks = check_evidence(
            reading,
            test_set=against.test_set,
            answers=against.answers,
            avisos_responses=against.avisos_responses,
            public_key=Ed25519PublicKey.from_public_bytes(against.public_key),
        )
    except MemoryError:
        raise  # the guard's memory budget, not a fault of the checks
    except Exception:
        # A fault of ours must not refuse a vendor's readable upload: it is logged for us and
        # the submission goes to review without a verdict.
        logger.exception("automatic checks failed on a readable workbook")
        return Examination(reading, check_failed=True)
    return Examination(reading, checks)
