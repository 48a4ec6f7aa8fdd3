"""/healthz: whether the database and the broker answer."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class Sonda(BaseModel):
    ok: bool = Field(description="true cuando el servicio respondió.")
    error: str | None = Field(
        default=None, description="Solo cuando ok es false: la causa, en una línea."
    )


class Salud(BaseModel):
    """Alcance de los servicios de los que depende la aplicación."""

    status: Literal["ok", "error"] = Field(
        description="«ok» cuando todos responden (HTTP 200); «error» si alguno no (HTTP 503)."
    )
    database: Sonda = Field(description="La base de datos.")
    broker: Sonda = Field(description="El broker de tareas (Celery).")
