"""A reviewer's decision as staff systems send it, and what the API answers."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from review.api.models.formats import IsoDateTime
from review.inputs import DbId, Paragraph
from schema import ReviewDecision
from workflow.decisions import MAX_TEXT


class DecisionSolicitada(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decision: ReviewDecision = Field(
        description="«aprobada» o «con_inconsistencias» (rechazo con hallazgos)."
    )
    motivo: Paragraph = Field(
        default="",
        max_length=MAX_TEXT,
        description="Al rechazar: lo que se dice al desarrollador. Al aprobar con errores "
        "automáticos: la justificación (interna). Al menos 10 caracteres en esos casos.",
    )
    hallazgos: list[DbId] = Field(
        default_factory=list,
        max_length=500,
        description="Al rechazar: identificadores de hallazgos automáticos que se envían al "
        "desarrollador (sin los importes esperados).",
    )
    evidencia: DbId | None = Field(
        default=None,
        description="La evidencia revisada; por omisión, la de la ronda en curso. Enviarla hace "
        "que repetir la misma solicitud devuelva la misma decisión.",
    )


class DecisionRegistrada(BaseModel):
    folio: str = Field(description="Folio de la certificación.")
    ronda: int = Field(description="Ronda decidida.")
    evidencia: int = Field(description="Evidencia decidida.")
    decision: ReviewDecision = Field(description="La decisión registrada.")
    revisor: str = Field(description="Nombre de quien decidió.")
    decidida: IsoDateTime = Field(description="Cuándo se decidió (ISO 8601, UTC).")
    estado: str = Field(description="Estado de la certificación después de la decisión.")
