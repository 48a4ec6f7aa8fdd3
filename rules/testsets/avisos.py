"""The avisos of a test set: each worker's credit history as §5 objects, and the service response.

A worker's history is drawn as a list of :class:`Event` (what happens and when it takes effect);
each event then becomes one aviso with its own folio and a fechaAviso a few days earlier.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from rules.avisos import AVISO_CATALOG, AVISO_DESCRIPTIONS, Discount
from rules.identities import Persona

SUSPENSION_CLAVES = ("06", "07", "08", "10")
RESPONSE_VERSION = "1.0"

# How far back a credit history may reach before the payroll period (about four years).
_HISTORY_DAYS = 1500


@dataclass(frozen=True, slots=True)
class Event:
    """One change of a worker's credit; ``discount`` is None for a suspension."""

    clave: str
    effective: date
    numero_credito: str
    discount: Discount | None = None


def modification(previous: Discount, new: Discount, effective: date, credito: str) -> Event:
    """03 when the tipo changes, 04 when only the valor does."""
    return Event("03" if new.tipo != previous.tipo else "04", effective, credito, new)


def credit_history(
    rng: random.Random,
    desde: date,
    discount: Discount,
    new_credito: Callable[[date], str],
    other_discount: Callable[[], Discount],
) -> list[Event]:
    """Events that leave the credit active with ``discount`` on ``desde`` (from before it).

    Besides a plain start, a history may hold an earlier valor or tipo, a liquidated previous
    credit, or a prórroga followed by a reinicio, so that a vendor must apply the avisos in
    effective-date order rather than take the latest one.
    """
    shape = rng.choices(("inicio", "modificado", "liquidado", "prorroga"), (5, 2, 2, 2))[0]
    first = desde - timedelta(days=_HISTORY_DAYS)
    days = sorted(
        first + timedelta(days=offset) for offset in rng.sample(range(_HISTORY_DAYS), k=3)
    )
    if shape == "inicio":
        return [Event("01", days[-1], new_credito(days[-1]), discount)]
    credito = new_credito(days[0])
    if shape == "modificado":
        earlier = other_discount()
        return [
            Event("01", days[0], credito, earlier),
            modification(earlier, discount, days[-1], credito),
        ]
    if shape == "liquidado":
        return [
            Event("01", days[0], credito, other_discount()),
            Event("06", days[1], credito),
            Event("01", days[2], new_credito(days[2]), discount),
        ]
    return [
        Event("01", days[0], credito, discount),
        Event("08", days[1], credito),
        Event("02", days[2], credito, discount),
    ]


def _valor_text(discount: Discount) -> str:
    return f"{discount.valor:.{discount.tipo.decimals}f}"


def aviso_document(
    event: Event, *, folio: str, fecha_aviso: date, nss: str, persona: Persona
) -> dict[str, Any]:
    """The §5 object of one aviso; fields that do not apply to its class are null."""
    clase = AVISO_CATALOG[event.clave]
    discount = event.discount
    suspension = discount is None
    return {
        "folio": folio,
        "fechaAviso": fecha_aviso.isoformat(),
        "tipoAviso": {
            "clave": event.clave,
            "descripcion": AVISO_DESCRIPTIONS[event.clave],
            "clase": str(clase),
        },
        "nss": nss,
        "rfc": persona.rfc,
        "curp": persona.curp,
        "nombre": persona.nombre_completo,
        "numeroCredito": event.numero_credito,
        "tipoDescuento": None if discount is None else int(discount.tipo),
        "valorDescuento": None if discount is None else _valor_text(discount),
        "fechaInicioDescuento": None if suspension else event.effective.isoformat(),
        "fechaFin": event.effective.isoformat() if suspension else None,
    }


def notice_date(rng: random.Random, event: Event) -> date:
    """INFONAVIT notifies a change days before it takes effect (a suspension, maybe that day)."""
    earliest = 0 if event.discount is None else 1
    return event.effective - timedelta(days=rng.randint(earliest, 30))


def avisos_response(
    avisos: Sequence[dict[str, Any]], *, folio_consulta: str, nrp: str, generado: datetime
) -> dict[str, Any]:
    """The unsigned §5 response holding ``avisos``, from the first notice to ``generado``."""
    ordered = sorted(avisos, key=lambda aviso: (aviso["fechaAviso"], aviso["folio"]))
    return {
        "version": RESPONSE_VERSION,
        "folioConsulta": folio_consulta,
        "registroPatronal": nrp,
        "generado": generado.isoformat(timespec="seconds"),
        "desde": ordered[0]["fechaAviso"],
        "hasta": generado.date().isoformat(),
        "avisos": ordered,
    }
