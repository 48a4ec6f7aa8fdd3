"""The one error body of the API (``review.errors`` renders every error as it) and the
``responses=`` entries that document it per route."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, Field

INVALID = "La solicitud no es válida; «detail» dice qué dato y por qué."
THROTTLED = "Demasiados intentos fallidos; espere los segundos que indica «Retry-After»."

_RETRY_AFTER = {
    "Retry-After": {
        "description": "Segundos que debe esperar antes de volver a intentar.",
        "schema": {"type": "integer"},
    }
}


class ErrorBody(BaseModel):
    """Cuerpo de toda respuesta de error."""

    detail: str = Field(description="Explicación del error, en español.")


def error_responses(descriptions: Mapping[int, str]) -> dict[int | str, dict[str, Any]]:
    """One ``responses=`` entry per error status a route really answers with."""
    responses: dict[int | str, dict[str, Any]] = {}
    for code, description in descriptions.items():
        entry: dict[str, Any] = {"model": ErrorBody, "description": description}
        if code == 429:
            entry["headers"] = _RETRY_AFTER
        responses[code] = entry
    return responses
