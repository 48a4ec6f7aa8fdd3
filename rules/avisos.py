"""Avisos (DOMAIN.md §5) as a typed model, and the discount timeline they form for one worker."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import IntEnum, StrEnum
from types import MappingProxyType

__all__ = [
    "AVISO_CATALOG",
    "AVISO_DESCRIPTIONS",
    "Aviso",
    "AvisoClass",
    "Discount",
    "DiscountChange",
    "DiscountType",
    "Modificacion",
    "Retencion",
    "Suspension",
    "Timeline",
    "build_timeline",
]


class AvisoClass(StrEnum):
    RETENCION = "RETENCION"
    MODIFICACION = "MODIFICACION"
    SUSPENSION = "SUSPENSION"


# *Decision* of §5: the catalog is ours (only 10 is public); the class, not the clave, drives the
# rules, so extending the catalog only means adding a clave here.
AVISO_CATALOG: Mapping[str, AvisoClass] = MappingProxyType(
    {
        "01": AvisoClass.RETENCION,
        "02": AvisoClass.RETENCION,
        "03": AvisoClass.MODIFICACION,
        "04": AvisoClass.MODIFICACION,
        "05": AvisoClass.MODIFICACION,
        "06": AvisoClass.SUSPENSION,
        "07": AvisoClass.SUSPENSION,
        "08": AvisoClass.SUSPENSION,
        "10": AvisoClass.SUSPENSION,
    }
)
AVISO_DESCRIPTIONS: Mapping[str, str] = MappingProxyType(
    {
        "01": "Inicio de descuento",
        "02": "Reinicio de descuento",
        "03": "Modificación de tipo de descuento",
        "04": "Modificación de valor de descuento",
        "05": "Modificación de número de crédito",
        "06": "Liquidación del crédito",
        "07": "Cancelación del crédito",
        "08": "Prórroga",
        "10": "Pronta culminación",
    }
)


class DiscountType(IntEnum):
    """``tipoDescuento`` of §5."""

    PORCENTAJE = 1
    CUOTA_FIJA = 2
    VSM = 3

    @property
    def decimals(self) -> int:
        """Decimal places of ``valorDescuento`` for this tipo."""
        return 4 if self is DiscountType.VSM else 2


@dataclass(frozen=True)
class Discount:
    """What is discounted while the credit is active: a tipo and its valor."""

    tipo: DiscountType
    valor: Decimal


@dataclass(frozen=True, kw_only=True)
class _Header:
    folio: str
    fecha_aviso: date
    clave: str
    nss: str
    numero_credito: str | None = None


@dataclass(frozen=True, kw_only=True)
class DiscountChange(_Header):
    """An aviso that sets the discount from ``fecha_inicio``."""

    fecha_inicio: date
    discount: Discount

    @property
    def effective(self) -> date:
        return self.fecha_inicio


@dataclass(frozen=True, kw_only=True)
class Retencion(DiscountChange):
    """Switches the discount on (claves 01, 02); the only aviso that can."""


@dataclass(frozen=True, kw_only=True)
class Modificacion(DiscountChange):
    """Changes tipo/valor; it never switches on a credit that is not active."""


@dataclass(frozen=True, kw_only=True)
class Suspension(_Header):
    """Stops the discount from ``fecha_fin``; that day is no longer discounted."""

    fecha_fin: date

    @property
    def effective(self) -> date:
        return self.fecha_fin


Aviso = Retencion | Modificacion | Suspension


@dataclass(frozen=True)
class Timeline:
    """The worker's discount as a step function of the day (date ordinals).

    From ``starts[i]`` until the next start the discount is ``discounts[i]`` (None: inactive).
    Before ``starts[0]`` the credit is inactive. Consecutive steps always differ.
    """

    starts: tuple[int, ...]
    discounts: tuple[Discount | None, ...]

    def discount_on(self, ordinal: int) -> Discount | None:
        i = bisect_right(self.starts, ordinal) - 1
        return self.discounts[i] if i >= 0 else None

    def first_active_from(self, ordinal: int) -> int | None:
        """The first day on or after ``ordinal`` on which the credit is active, if any."""
        i = bisect_right(self.starts, ordinal) - 1
        if i >= 0 and self.discounts[i] is not None:
            return ordinal
        for start, discount in zip(self.starts[i + 1 :], self.discounts[i + 1 :], strict=True):
            if discount is not None:
                return start
        return None


def _order(aviso: Aviso) -> tuple[date, date, str]:
    return aviso.effective, aviso.fecha_aviso, aviso.folio


def build_timeline(avisos: Iterable[Aviso]) -> Timeline:
    """Apply the avisos in §5 order (effective date, fechaAviso, folio), whatever their crédito."""
    active = False
    current: Discount | None = None
    # Several avisos may take effect the same day: only the state after the last one counts.
    state_from: dict[int, Discount | None] = {}
    for aviso in sorted(avisos, key=_order):
        if isinstance(aviso, Suspension):
            active = False
        else:
            current = aviso.discount
            active = active or isinstance(aviso, Retencion)
        state_from[aviso.effective.toordinal()] = current if active else None
    starts: list[int] = []
    discounts: list[Discount | None] = []
    previous: Discount | None = None
    for start, discount in state_from.items():
        if discount is not previous and discount != previous:
            starts.append(start)
            discounts.append(discount)
            previous = discount
    return Timeline(tuple(starts), tuple(discounts))
