"""What the internal avisos import answers (``POST /api/v1/interno/avisos``)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from workflow.avisos.imports import ImportReport


class LineaRechazada(BaseModel):
    linea: int = Field(description="Número de la línea en el cuerpo, desde 1.")
    mensaje: str = Field(description="Por qué no se importó, en español.")


class ReporteImportacion(BaseModel):
    leidas: int = Field(description="Líneas con contenido leídas (las vacías no cuentan).")
    importadas: int = Field(description="Avisos nuevos guardados.")
    repetidas: int = Field(
        description="Avisos omitidos porque su folio ya estaba guardado o se repetía en el cuerpo."
    )
    errores: list[LineaRechazada] = Field(
        description="Líneas rechazadas, con su motivo (las primeras 1,000)."
    )
    errores_total: int = Field(description="Total de líneas rechazadas.")
    segundos: float = Field(description="Duración de la importación.")
    avisos_por_segundo: int = Field(description="Líneas procesadas por segundo.")

    @classmethod
    def of(cls, report: ImportReport) -> ReporteImportacion:
        return cls(
            leidas=report.leidas,
            importadas=report.importadas,
            repetidas=report.repetidas,
            errores=[LineaRechazada(linea=n, mensaje=m) for n, m in report.errores],
            errores_total=report.errores_total,
            segundos=round(report.segundos, 3),
            avisos_por_segundo=round(report.avisos_por_segundo),
        )
