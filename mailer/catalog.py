"""Every email the back office sends and the context each one needs (DOMAIN §3).

A template's context is the TypedDict of the same name in ``CATALOG``. Rule for values: the
context is validated against it when the email is queued (a missing or misspelt key fails there,
in the caller's transaction, not minutes later in the relay) and stored in its JSON form, as
pydantic's JSON mode writes it: datetimes as ISO 8601 with their offset, nested dicts and lists
as they are. Rendering validates the stored form again, so templates always see typed values
(aware datetimes, which the ``fecha`` filter shows as local dates). Instants must be aware: a
deadline is the end of a business day in ``settings.timezone``, never a naive local time.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from types import MappingProxyType
from typing import Annotated, Any, NotRequired

from pydantic import (
    AwareDatetime,
    ConfigDict,
    Field,
    NonNegativeInt,
    PositiveInt,
    TypeAdapter,
    ValidationError,
    with_config,
)
from typing_extensions import TypedDict  # pydantic needs it on Python < 3.12

_CLOSED = ConfigDict(extra="forbid")  # a stray key is a typo in the caller, not data to ignore

Folio = Annotated[str, Field(pattern=r"^\d{10}$")]
Texto = Annotated[str, Field(min_length=1)]


@with_config(_CLOSED)
class Sandbox(TypedDict):
    """How to reach the sandbox avisos service: the vendor's RFC and SIA password plus the NRP
    (and password) of the test set's fictitious patrón (DOMAIN §5)."""

    url: Texto
    rfc: Texto
    # None when the vendor already received its password: a password is never shown twice.
    password: Texto | None
    nrp: Texto
    patron_password: NotRequired[Texto]


@with_config(_CLOSED)
class Hallazgo(TypedDict):
    """A finding the vendor may see: its stable code and Spanish message (DOMAIN §9)."""

    codigo: Texto
    mensaje: Texto


@with_config(_CLOSED)
class SetDePruebas(TypedDict):
    """Round 1 test set dispatched (enters `En espera de documentos`); the caller attaches the
    test-set file and the evidence template."""

    folio: Folio
    ronda: PositiveInt
    razon_social: Texto
    fecha_limite: AwareDatetime
    dias_habiles: NotRequired[PositiveInt]  # the term the deadline ends, shown when given
    sandbox: Sandbox


@with_config(_CLOSED)
class EvidenciaRecibida(TypedDict):
    """Evidence accepted for review (enters `En análisis`)."""

    folio: Folio
    ronda: PositiveInt
    razon_social: Texto
    archivo: Texto
    recibida: AwareDatetime


@with_config(_CLOSED)
class EvidenciaRechazada(TypedDict):
    """Upload refused as unreadable: the blocking findings, and the clock keeps running."""

    folio: Folio
    ronda: PositiveInt
    razon_social: Texto
    archivo: Texto
    recibida: AwareDatetime
    hallazgos: Annotated[list[Hallazgo], Field(min_length=1)]
    fecha_limite: AwareDatetime
    dias_restantes: NotRequired[NonNegativeInt]  # business days left after today


@with_config(_CLOSED)
class Inconsistencias(TypedDict):
    """Reviewer rejected the round: findings plus the next round's test set (attached)."""

    folio: Folio
    ronda: PositiveInt  # the new round
    razon_social: Texto
    hallazgos: list[Hallazgo]  # the reviewer's; may be empty (the portal has the detail)
    fecha_limite: AwareDatetime
    dias_habiles: NotRequired[PositiveInt]
    sandbox: Sandbox


@with_config(_CLOSED)
class Aprobacion(TypedDict):
    """Reviewer approved: the vendor must sign the approval terms with its e.firma."""

    folio: Folio
    razon_social: Texto


@with_config(_CLOSED)
class Certificacion(TypedDict):
    """Approval terms signed: the vendor is certified."""

    folio: Folio
    razon_social: Texto
    rfc: Texto
    certificada: AwareDatetime


@with_config(_CLOSED)
class Cancelacion(TypedDict):
    """The vendor cancelled with its e.firma; the acuse may be attached."""

    folio: Folio
    razon_social: Texto
    cancelada: AwareDatetime


@with_config(_CLOSED)
class Vencimiento(TypedDict):
    """The evidence deadline passed with no accepted upload (`Vencida`)."""

    folio: Folio
    ronda: PositiveInt
    razon_social: Texto
    fecha_limite: AwareDatetime


@with_config(_CLOSED)
class RecordatorioPlazo(TypedDict):
    """Reminder 10 and 3 business days before the evidence deadline, and on its last day."""

    folio: Folio
    ronda: PositiveInt
    razon_social: Texto
    dias_restantes: NonNegativeInt  # business days left; 0 on the last day
    fecha_limite: AwareDatetime


@with_config(_CLOSED)
class RevisionVencida(TypedDict):
    folio: Folio
    ronda: PositiveInt
    razon_social: Texto
    evidencia_recibida: AwareDatetime
    fecha_limite_revision: AwareDatetime
    revisor: Texto | None


@with_config(_CLOSED)
class AlertaSlaRevision(TypedDict):
    """To the reviewers' supervisors: certifications whose review SLA has passed."""

    certificaciones: Annotated[list[RevisionVencida], Field(min_length=1)]


CATALOG: Mapping[str, type[Any]] = MappingProxyType(
    {
        "set_de_pruebas": SetDePruebas,
        "evidencia_recibida": EvidenciaRecibida,
        "evidencia_rechazada": EvidenciaRechazada,
        "inconsistencias": Inconsistencias,
        "aprobacion": Aprobacion,
        "certificacion": Certificacion,
        "cancelacion": Cancelacion,
        "vencimiento": Vencimiento,
        "recordatorio_plazo": RecordatorioPlazo,
        "alerta_sla_revision": AlertaSlaRevision,
    }
)


class UnknownTemplateError(LookupError):
    def __init__(self, template: str) -> None:
        super().__init__(f"unknown email template {template!r}; known: {', '.join(CATALOG)}")


class ContextError(ValueError):
    """A context that does not match its template's TypedDict, with every problem listed."""

    def __init__(self, template: str, error: ValidationError) -> None:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in item['loc']) or '(context)'}: {item['msg']}"
            for item in error.errors()
        )
        super().__init__(f"invalid context for email template {template!r}: {problems}")
        self.template = template


@cache
def _adapter(template: str) -> TypeAdapter[Any]:
    try:
        return TypeAdapter(CATALOG[template])
    except KeyError:
        raise UnknownTemplateError(template) from None


def validate_context(template: str, context: Mapping[str, Any]) -> dict[str, Any]:
    """The context with typed values (aware datetimes), or ContextError."""
    try:
        typed: dict[str, Any] = _adapter(template).validate_python(dict(context))
    except ValidationError as exc:
        raise ContextError(template, exc) from None
    return typed


def context_to_json(template: str, context: Mapping[str, Any]) -> dict[str, Any]:
    """The validated context in the JSON form stored on the outbox row."""
    stored: dict[str, Any] = _adapter(template).dump_python(
        validate_context(template, context), mode="json"
    )
    return stored
