"""The avisos of the production service (DOMAIN §2 process 4, §5): what INFONAVIT's systems
import per patrón and worker, and the record of every download by a vendor's payroll system."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from core.clock import utcnow
from schema.base import JSONType, UTCDateTime, enum_column

# SQLite gives an automatic key only to an INTEGER PRIMARY KEY (64-bit there anyway).
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


class AvisoClase(StrEnum):
    RETENCION = "RETENCION"
    MODIFICACION = "MODIFICACION"
    SUSPENSION = "SUSPENSION"


class Aviso(SQLModel, table=True):
    """One aviso as §5 gives it (``content``), with the fields a download filters on.

    ``id`` is also the download cursor: imports take a lock that serializes them, so ids become
    visible in increasing order and a reader that saw id N never later finds a smaller one.
    """

    __tablename__ = "avisos"
    __table_args__ = (
        # A page of a patrón's avisos after a cursor, with or without a worker's NSS or a class.
        sa.Index("ix_avisos_patron_nrp_id", "patron_nrp", "id"),
        sa.Index("ix_avisos_patron_nrp_nss_id", "patron_nrp", "nss", "id"),
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=BIG_ID)
    folio: str = Field(max_length=10, unique=True)
    patron_nrp: str = Field(max_length=11)
    nss: str = Field(max_length=11)
    fecha_aviso: date
    clase: AvisoClase = Field(sa_column=enum_column(AvisoClase, nullable=False))
    tipo_clave: str = Field(max_length=2)
    # The aviso object of §5, as it is served.
    content: dict[str, Any] = Field(sa_type=JSONType)
    imported_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class AvisoDownload(SQLModel, table=True):
    """One page served by the production service: who (vendor), for whom (patrón), which avisos
    and when. The patrón sees these in its portal; operators export them."""

    __tablename__ = "aviso_downloads"
    __table_args__ = (
        sa.Index("ix_aviso_downloads_patron_id_at", "patron_id", "at"),
        sa.Index("ix_aviso_downloads_vendor_id_at", "vendor_id", "at"),
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=BIG_ID)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    vendor_id: int = Field(foreign_key="organizations.id")
    patron_id: int = Field(foreign_key="organizations.id")
    relationship_id: int = Field(foreign_key="trust_relationships.id")
    folio_consulta: str = Field(max_length=10, unique=True)
    # The query as asked (dates, NSS, class, cursor) and the avisos served, by folio.
    query: dict[str, Any] = Field(sa_type=JSONType)
    folios: list[str] = Field(sa_type=JSONType)
    count: int
