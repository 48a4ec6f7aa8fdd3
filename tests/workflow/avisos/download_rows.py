"""Downloads of avisos written straight into the database, for tests of what reads them (the
portal's «Consultas de sus avisos», the staff's patrón page, `sia avisos descargas`): two
patrones, two vendors, their relationships, and ``AvisoDownload`` rows at chosen moments.

Nothing here goes through the production service: the rows are what it leaves behind.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session

from schema import AvisoDownload, Organization, TrustRelationship
from tests.workflow.relationships.helpers import make_patron, make_relationship, make_vendor

NRP_OTHER = "A1234567890"
PATRON_OTHER_RFC = "OTR850315AB1"
PATRON_OTHER_NAME = "OTRO PATRON SA DE CV"
VENDOR_B_RFC = "PME380607P35"
VENDOR_B_NAME = "SAMA GROUP Ñ"

_folios = itertools.count(1)


def folio_consulta() -> str:
    return f"09{next(_folios):08d}"


def make_download(
    session: Session,
    relationship: TrustRelationship,
    at: datetime,
    *,
    folios: tuple[str, ...] = ("0501423523", "0501423524"),
    query: dict[str, Any] | None = None,
    folio: str | None = None,
) -> AvisoDownload:
    """One page served under ``relationship`` at ``at`` (aware)."""
    assert relationship.id is not None
    download = AvisoDownload(
        at=at,
        vendor_id=relationship.vendor_id,
        patron_id=relationship.patron_id,
        relationship_id=relationship.id,
        folio_consulta=folio or folio_consulta(),
        query=query if query is not None else {"desde": "2026-01-01", "hasta": "2026-03-01"},
        folios=list(folios),
        count=len(folios),
    )
    session.add(download)
    session.flush()
    return download


@dataclass
class World:
    patron: Organization
    other_patron: Organization
    vendor: Organization  # tests.workflow.relationships.helpers.VENDOR_RFC
    vendor_b: Organization
    downloads: dict[str, str]  # folio_consulta by name


def at(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    """A moment of March 2026 in UTC (Mexico City is UTC−6 all year)."""
    return datetime(2026, 3, day, hour, minute, second, tzinfo=UTC)


def make_world(session: Session) -> World:
    """Patrón (NRP Y5412345107) with downloads by both vendors; another patrón with one of its
    own, by the first vendor. The caller commits.

    ======  ========  ==========================  =================================
    name    patrón    vendor                       at (UTC) → local (UTC−6)
    ======  ========  ==========================  =================================
    early   patrón    vendor                       01 mar 12:00 → 01/mar 06:00:00
    late    patrón    vendor_b                     02 mar 05:30 → 01/mar 23:30:00
    next    patrón    vendor                       02 mar 06:00:05 → 02/mar 00:00:05
    newest  patrón    vendor_b (no folios served)  03 mar 16:00 → 03/mar 10:00:00
    other   other     vendor                       02 mar 18:00 → 02/mar 12:00:00
    ======  ========  ==========================  =================================
    """
    patron = make_patron(session)
    other = make_patron(
        session, nrp=NRP_OTHER, rfc=PATRON_OTHER_RFC, razon_social=PATRON_OTHER_NAME
    )
    vendor = make_vendor(session)
    vendor_b = make_vendor(session, rfc=VENDOR_B_RFC, razon_social=VENDOR_B_NAME)
    mine = make_relationship(session, patron, vendor)
    mine_b = make_relationship(session, patron, vendor_b)
    theirs = make_relationship(session, other, vendor)
    downloads = {
        "early": make_download(session, mine, at(1, 12)),
        "late": make_download(
            session,
            mine_b,
            at(2, 5, 30),
            folios=("0501423525",),
            query={"nss": "12345678901", "clase": "RETENCION", "cursor": "17"},
        ),
        "next": make_download(session, mine, at(2, 6, 0, 5), query={}),
        "newest": make_download(session, mine_b, at(3, 16), folios=()),
        "other": make_download(session, theirs, at(2, 18), folios=("0509999999",)),
    }
    return World(
        patron, other, vendor, vendor_b, {k: v.folio_consulta for k, v in downloads.items()}
    )
