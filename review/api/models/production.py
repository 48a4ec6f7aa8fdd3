"""The production avisos service (DOMAIN §2 process 4, §5): the session of a vendor and a patrón
together, and the signed page of avisos."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from review.api.models.sandbox import Aviso, CredencialDesarrollador
from review.inputs import Text


class CredencialPatronProduccion(BaseModel):
    nrp: Text = Field(
        min_length=11,
        max_length=11,
        examples=["Y5412345107"],
        description="Registro patronal del patrón que confía en el desarrollador.",
    )
    password: Text = Field(
        min_length=1,
        max_length=200,
        description="Contraseña SIA del patrón (pestaña «Generación de contraseña»).",
    )


class SolicitudSesionProduccion(BaseModel):
    """Las dos credenciales a la vez: el sistema del desarrollador y el patrón."""

    desarrollador: CredencialDesarrollador
    patron: CredencialPatronProduccion


class RespuestaAvisosProduccion(BaseModel):
    """Una página firmada de los avisos del patrón (formato v1 del proyecto, con paginación)."""

    version: str = Field(examples=["1.0"], description="Versión del formato de la respuesta.")
    folioConsulta: str = Field(description="Folio de esta consulta (queda registrada).")
    registroPatronal: str = Field(description="NRP del patrón consultado.")
    desarrollador: str = Field(description="RFC del desarrollador que consultó.")
    generado: datetime = Field(description="Cuándo se generó la respuesta (ISO 8601).")
    desde: date | None = Field(description="Fecha de aviso inicial pedida, si la hubo.")
    hasta: date | None = Field(description="Fecha de aviso final pedida, si la hubo.")
    avisos: list[Aviso] = Field(description="Avisos de esta página, en el orden en que llegaron.")
    siguiente: str = Field(
        description="Cursor para continuar (parámetro «cursor»). Guárdelo aunque no haya más: "
        "con los mismos filtros, más tarde devuelve sólo los avisos que llegaron después."
    )
    hayMas: bool = Field(description="Si hay más avisos después de esta página, ahora mismo.")
    firma: str = Field(
        description="Firma Ed25519 en base64 sobre la forma canónica del documento sin «firma»; "
        "verifíquela con GET /api/v1/llave-publica."
    )
