"""An evidence workbook as the vendor's systems see it: its reception and its status."""

from __future__ import annotations

from pydantic import BaseModel, Field

from review.api.models.formats import IsoDateTime
from schema import SubmissionStatus


class CertificacionResumen(BaseModel):
    folio: str = Field(description="Folio de la solicitud de certificación.")
    estado: str = Field(
        description="Estado de la certificación, como se muestra a las personas.",
        examples=["En espera de documentos"],
    )


class HallazgoBloqueante(BaseModel):
    """Por qué no se pudo leer el libro (solo hallazgos de formato, nunca de contenido)."""

    codigo: str = Field(description="Código estable del hallazgo.", examples=["WB-FORMAT"])
    mensaje: str = Field(description="Explicación en español.")


class EstadoEvidencia(BaseModel):
    """Estado de un libro de evidencias subido."""

    id: int = Field(description="Identificador de la evidencia.")
    estado: SubmissionStatus = Field(
        description="recibida (en lectura), ilegible (rechazada: no se pudo leer), aceptada "
        "(para revisión), descartada (la certificación se cerró durante la lectura) o revisada."
    )
    archivo: str = Field(description="Nombre del archivo como se subió.")
    sha256: str = Field(description="SHA-256 del contenido, en hexadecimal.")
    tamano: int = Field(description="Tamaño en bytes.")
    recibida: IsoDateTime = Field(description="Cuándo se recibió (ISO 8601, UTC).")
    ronda: int = Field(description="Ronda de la certificación a la que corresponde.")
    certificacion: CertificacionResumen
    url: str = Field(description="Dónde consultar este estado.", examples=["/api/v1/evidencias/17"])
    hallazgos: list[HallazgoBloqueante] = Field(
        default_factory=list,
        description="Solo cuando el estado es «ilegible»: por qué no se pudo leer.",
    )


class EvidenciaRecibida(EstadoEvidencia):
    """El estado de la evidencia recién subida."""

    duplicada: bool = Field(
        description="true cuando el mismo archivo ya se había recibido en esta ronda (respuesta "
        "200 con la evidencia original)."
    )
