"""Every email the back office sends and the context each one needs (DOMAIN §3).

A template's context is the TypedDict of the same name in ``CATALOG``. Rule for values: the
context is validated against it when the email is queued (a missing or misspelt key fails there,
in the caller's transaction, not minutes later in the relay) and stored in its JSON form, as
pydantic's JSON mode writes it: datetimes as ISO 8601 with their offset, nested dicts and lists
as they are. Rendering validates the stored form again, so templates always see typed values
(aware datetimes, which the ``fecha`` filter shows as local dates). Instants must be aware: a
deadline is the end of a business day in ``settings.timezone``, never a naive local time. A
calendar date with no time of day (a relationship's «Fin de vigencia») is a ``Dia``: a
``datetime.date``, stored as "YYYY-MM-DD", never a datetime, whose date would depend on its zone.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from functools import cache
from types import MappingProxyType
from typing import Annotated, Any, NotRequired

from pydantic import (
    AwareDatetime,
    BeforeValidator,
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


def _calendar_date(value: object) -> object:
    """Let through only a date or its stored form: pydantic's own ``date`` would also take a
    datetime at midnight (in any zone), a timestamp or "YYYY-MM-DDT00:00:00"."""
    if isinstance(value, datetime) or not isinstance(value, date | str):
        raise ValueError(f"expected a datetime.date, not {type(value).__name__}")
    if isinstance(value, str) and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise ValueError("expected a date as YYYY-MM-DD")
    return value


Dia = Annotated[date, BeforeValidator(_calendar_date)]  # a local calendar date


@with_config(_CLOSED)
class Sandbox(TypedDict):
    """How to reach the sandbox avisos service: the vendor's RFC (its SIA password is the one it
    generated in the portal, never emailed here) plus the NRP and password of the test set's
    fictitious patrón (DOMAIN §5)."""

    url: Texto
    rfc: Texto
    # When false the email tells the vendor to generate its password before calling the sandbox.
    tiene_contrasena: bool
    nrp: Texto
    patron_password: NotRequired[Texto]


@with_config(_CLOSED)
class ContrasenaSia(TypedDict):
    """A freshly generated SIA password; nested so that ``mailer.secrets`` seals it by path."""

    password: Texto


@with_config(_CLOSED)
class CuentaConfirmacion(TypedDict):
    """A company registered in the portal: it must open the link to activate its account."""

    razon_social: Texto
    rfc: Texto
    enlace: Texto  # absolute confirmation URL
    vence: AwareDatetime


@with_config(_CLOSED)
class ContrasenaGenerada(TypedDict):
    """SIA password generated (DOMAIN §2, process 1); the caller attaches the signed responsiva."""

    folio: Folio  # the responsiva's
    rfc: Texto
    razon_social: Texto
    generada: AwareDatetime
    sia: ContrasenaSia


@with_config(_CLOSED)
class ContrasenaRecuperada(TypedDict):
    """A new SIA password after «Recuperar contraseña»; the previous one stopped working."""

    rfc: Texto
    razon_social: Texto
    recuperada: AwareDatetime
    sia: ContrasenaSia


@with_config(_CLOSED)
class ContrasenaCancelada(TypedDict):
    """The SIA password was cancelled: no service accepts it any more."""

    rfc: Texto
    razon_social: Texto
    cancelada: AwareDatetime


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
class SolicitudCertificacion(TypedDict):
    """The vendor signed its request in the portal (`Solicitada`); the signed responsiva is
    attached. The test set follows in its own email."""

    folio: Folio
    razon_social: Texto
    rfc: Texto
    solicitada: AwareDatetime


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


@with_config(_CLOSED)
class RelacionPatron(TypedDict):
    """To a patrón about one of its relaciones de confianza (DOMAIN §2, process 3)."""

    folio: Folio  # the relationship's «No. de Caso»
    razon_social: Texto  # the patrón's
    nrp: Texto
    desarrollador_rfc: Texto
    desarrollador_razon_social: Texto


@with_config(_CLOSED)
class RelacionVigente(RelacionPatron):
    """The relationship was registered («Relación Vigente»); the caller attaches the acuse."""

    servicio: Texto  # the Servicio de Intercomunicación's label: "Avisos"
    inicio_vigencia: Dia  # «Fecha inicio vigencia»
    fin_vigencia: Dia  # «Fin de vigencia»: the first day without it (rules.vigencia)


@with_config(_CLOSED)
class RelacionCancelada(RelacionPatron):
    """The patrón cancelled it with its e.firma («Borrar»); the caller attaches the acuse."""

    cancelada: AwareDatetime


@with_config(_CLOSED)
class RelacionPorVencer(RelacionPatron):
    """Reminder 15 days before the vigencia ends, and again the day before."""

    fin_vigencia: Dia
    dias: PositiveInt  # days until fin_vigencia: 15 or 1


@with_config(_CLOSED)
class RelacionNoVigente(RelacionPatron):
    """Its vigencia ended («Relación no vigente»)."""

    fin_vigencia: Dia


@with_config(_CLOSED)
class RelacionSinEfecto(RelacionPatron):
    """The vendor's certification was cancelled: the relationship stopped at once."""

    fecha: AwareDatetime  # when


@with_config(_CLOSED)
class RelacionNoProcedente(RelacionPatron):
    """The request was not registered: the vendor stopped being certified meanwhile."""


@with_config(_CLOSED)
class RelacionNuevaDesarrollador(TypedDict):
    """To the vendor: a patrón registered a relación de confianza with it."""

    folio: Folio  # the relationship's «No. de Caso»
    razon_social: Texto  # the vendor's
    patron_rfc: Texto
    patron_nrp: Texto
    patron_razon_social: Texto
    servicio: Texto
    inicio_vigencia: Dia
    fin_vigencia: Dia


CATALOG: Mapping[str, type[Any]] = MappingProxyType(
    {
        "solicitud_certificacion": SolicitudCertificacion,
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
        "cuenta_confirmacion": CuentaConfirmacion,
        "contrasena_generada": ContrasenaGenerada,
        "contrasena_recuperada": ContrasenaRecuperada,
        "contrasena_cancelada": ContrasenaCancelada,
        "relacion_vigente": RelacionVigente,
        "relacion_cancelada": RelacionCancelada,
        "relacion_por_vencer": RelacionPorVencer,
        "relacion_no_vigente": RelacionNoVigente,
        "relacion_sin_efecto": RelacionSinEfecto,
        "relacion_no_procedente": RelacionNoProcedente,
        "relacion_nueva_desarrollador": RelacionNuevaDesarrollador,
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
