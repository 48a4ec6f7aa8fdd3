"""What reviewers see of a submission (DOMAIN §9): verdict, findings and, per case, the
expected calculation path to explain to the vendor."""

from __future__ import annotations

from pydantic import BaseModel, Field

from review.api.models.formats import IsoDate, IsoDateTime
from schema import FindingSource, Severity, SubmissionStatus, Verdict


class CertificacionRevisada(BaseModel):
    folio: str = Field(description="Folio de la solicitud de certificación.")
    estado: str = Field(description="Estado de la certificación, como se muestra a las personas.")
    rfc: str = Field(description="RFC del desarrollador.")
    razonSocial: str = Field(description="Razón social del desarrollador.")


class Hallazgo(BaseModel):
    codigo: str = Field(description="Código estable del hallazgo.", examples=["T2-TOTAL-MISMATCH"])
    severidad: Severity = Field(description="error o warning (advertencia).")
    origen: FindingSource = Field(description="Revisión automática o de una persona revisora.")
    pestana: int | None = Field(description="Pestaña del libro (1 a 4), si aplica.")
    caso: str | None = Field(description="Caso del set de pruebas, si aplica.", examples=["E03"])
    mensaje: str = Field(description="Explicación en español.")
    esperado: str | None = Field(description="Valor esperado, si aplica.")
    dado: str | None = Field(description="Valor que trae el libro, si aplica.")


class PasoAviso(BaseModel):
    """Un aviso del trabajador, en el orden en que se aplica."""

    folio: str = Field(description="Folio del aviso.")
    clave: str = Field(description="Clave del catálogo de avisos.", examples=["01"])
    descripcion: str = Field(description="Descripción de la clave.")
    efecto: IsoDate = Field(
        description="Fecha de efecto: fechaInicioDescuento, o fechaFin en una SUSPENSION."
    )
    tipoDescuento: int | None = Field(description="null en una SUSPENSION.")
    valorDescuento: str | None = Field(description="null en una SUSPENSION.")


class PasoSubperiodo(BaseModel):
    """Un subperiodo del cálculo esperado (DOMAIN §6)."""

    desde: IsoDate = Field(description="Primer día del subperiodo.")
    hasta: IsoDate = Field(description="Último día del subperiodo.")
    diasBimestre: int = Field(description="Días del bimestre que contiene el subperiodo.")
    dias: int = Field(description="Días naturales del subperiodo.")
    diasDescontados: int = Field(description="Días que se descuentan.")
    tipoDescuento: int = Field(description="1 porcentaje, 2 cuota fija en pesos, 3 VSM.")
    valorDescuento: str = Field(description="Valor del descuento, decimal como texto.")
    umi: str | None = Field(description="UMI del día (solo tipo 3).")
    salarioMinimo: str | None = Field(description="Salario mínimo de la zona, para el tope.")
    formula: str = Field(description="La fórmula con los valores del caso.")
    importeDiario: str = Field(description="Importe de un día, redondeado a centavos.")
    importeSinTope: str = Field(description="Importe del subperiodo antes del tope.")
    tope: str | None = Field(description="Tope por salario mínimo, cuando aplica la condición.")
    topeLimita: bool = Field(description="true cuando el tope es menor que el importe sin tope.")
    amortizacion: str = Field(description="Amortización del subperiodo.")


class ExplicacionCaso(BaseModel):
    """El camino esperado de un caso del set de pruebas a su respuesta."""

    caso: str = Field(description="Caso del set de pruebas.", examples=["M01"])
    seccion: str = Field(description="«muestra» o «evaluacion».")
    nss: str = Field(description="NSS del trabajador.")
    nombre: str = Field(description="Nombre del trabajador.")
    periodo: dict[str, str] = Field(description="desde, hasta y periodicidad del periodo de pago.")
    trabajador: dict[str, str] = Field(description="sbc, salarioDiario y zona del trabajador.")
    ausencias: list[IsoDate] = Field(description="Días de ausencia.")
    incapacidades: list[IsoDate] = Field(description="Días de incapacidad.")
    avisos: list[PasoAviso] = Field(description="Avisos del trabajador, por fecha de efecto.")
    subperiodos: list[PasoSubperiodo] = Field(description="Los pasos del cálculo.")
    amortizacion: str = Field(description="Amortización del periodo, redondeada a centavos.")
    seguroDanios: str = Field(description="Seguro de daños del periodo («0.00» si no hay).")
    bimestresConSeguro: int = Field(description="Bimestres cuyo seguro cae en este periodo.")
    total: str = Field(description="Total a retener: amortización más seguro de daños.")
    texto: str = Field(description="La explicación completa, en español, para el desarrollador.")


class RevisionEvidencia(BaseModel):
    """Una evidencia con todo lo que la persona revisora necesita para decidir."""

    id: int = Field(description="Identificador de la evidencia.")
    certificacion: CertificacionRevisada
    ronda: int = Field(description="Ronda de la certificación a la que corresponde.")
    archivo: str = Field(description="Nombre del archivo como se subió.")
    sha256: str = Field(description="SHA-256 del contenido, en hexadecimal.")
    recibida: IsoDateTime = Field(description="Cuándo se recibió (ISO 8601, UTC).")
    estado: SubmissionStatus = Field(description="Estado de la evidencia.")
    veredicto: Verdict | None = Field(description="null mientras no se ha leído el libro.")
    revisada: IsoDateTime | None = Field(
        description="Cuándo terminó la revisión automática (ISO 8601, UTC)."
    )
    hallazgos: list[Hallazgo] = Field(description="Hallazgos automáticos y de revisión.")
    explicaciones: list[ExplicacionCaso] = Field(
        description="Por caso, el cálculo esperado, para explicarlo al desarrollador."
    )
