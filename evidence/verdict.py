"""The verdict of an upload (DOMAIN §9): the one enum the reader, the checks and the database share.

The values are stored in ``evidence_submissions.verdict``; renaming one needs a data migration.
"""

from __future__ import annotations

from enum import StrEnum


class Verdict(StrEnum):
    ILEGIBLE = "ilegible"
    CON_INCONSISTENCIAS = "con_inconsistencias"
    SIN_INCONSISTENCIAS = "sin_inconsistencias"

    @property
    def label(self) -> str:
        """As people read it (the value is the stable API code)."""
        return _LABELS[self]


_LABELS = {
    Verdict.ILEGIBLE: "Ilegible",
    Verdict.CON_INCONSISTENCIAS: "Con inconsistencias",
    Verdict.SIN_INCONSISTENCIAS: "Sin inconsistencias",
}
