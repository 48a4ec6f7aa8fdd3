"""The public registry of certified vendors (issue 15): each certificate, in force or cancelled,
with its permanent URL, and a page of them."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from review.api.models.formats import IsoDateTime


class Certificado(BaseModel):
    """Un certificado del registro público: vigente o cancelado."""

    rfc: str = Field(description="RFC del desarrollador.", examples=["CAC840428RH1"])
    razon_social: str = Field(description="Razón social del desarrollador.")
    folio: str = Field(
        description="Folio de la certificación: 10 dígitos.", examples=["0500000001"]
    )
    certificado_desde: IsoDateTime = Field(
        description="Cuándo quedó certificado (ISO 8601, UTC); se conserva tras una cancelación."
    )
    estatus: Literal["certificado", "cancelado"] = Field(
        description="«certificado» mientras está vigente; «cancelado» después de cancelarse."
    )
    vigente: bool = Field(description="true mientras el certificado está vigente.")
    cancelado_el: IsoDateTime | None = Field(
        description="Cuándo se canceló (ISO 8601, UTC); null mientras está vigente."
    )
    url: str = Field(
        description="Dirección permanente del certificado, que muestra si está vigente.",
        examples=["https://sia.example/desarrolladores-certificados/0500000001"],
    )


class RegistroCertificados(BaseModel):
    """Una página del registro: sin «rfc», los certificados vigentes por razón social; con
    «rfc», todos los certificados de ese RFC, también los cancelados, del más reciente al más
    antiguo."""

    certificados: list[Certificado] = Field(
        description="Los certificados de esta página (a lo más «por_pagina»)."
    )
    pagina: int = Field(description="Número de esta página, desde 1.")
    por_pagina: int = Field(description="Cuántos certificados trae a lo más una página.")
    hay_mas: bool = Field(description="true cuando la página siguiente tiene más certificados.")
    siguiente: str | None = Field(
        description="Dirección de la página siguiente; null cuando esta es la última."
    )
