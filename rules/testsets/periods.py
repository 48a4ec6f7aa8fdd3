"""Payroll periods of a test set: the four periodicidades and how to draw one at random.

A period's periodicidad is read from its dates alone (:func:`periodicidad_of`), so that the
coverage of a test set can be proved from its data rather than from the labels it carries.
"""

from __future__ import annotations

import calendar
import random
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

Periodicidad = Literal["semanal", "catorcenal", "quincenal", "mensual"]
PERIODICIDADES: tuple[Periodicidad, ...] = ("semanal", "catorcenal", "quincenal", "mensual")

_FIXED_LENGTH: dict[Periodicidad, int] = {"semanal": 7, "catorcenal": 14}
_ATTEMPTS = 200


class GenerationError(ValueError):
    """A test set cannot be generated from the inputs given; the message is Spanish."""


@dataclass(frozen=True, slots=True)
class Period:
    desde: date
    hasta: date
    periodicidad: Periodicidad

    def days(self) -> list[date]:
        return [self.desde + timedelta(days=i) for i in range((self.hasta - self.desde).days + 1)]


def _month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def bimester_start(day: date) -> date:
    return date(day.year, day.month - (day.month - 1) % 2, 1)


def bimester_starts(first: date, last: date) -> list[date]:
    """First days of the bimesters that start within ``[first, last]``."""
    starts = []
    day = bimester_start(first)
    while day <= last:
        if day >= first:
            starts.append(day)
        day = date(day.year + (day.month == 11), (day.month + 1) % 12 + 1, 1)
    return starts


def periodicidad_of(desde: date, hasta: date) -> Periodicidad | None:
    """The periodicidad the dates describe: calendar halves and months first, then lengths."""
    if desde.day == 1 and hasta == _month_end(desde):
        return "mensual"
    if (desde.day, hasta) in {(1, desde.replace(day=15)), (16, _month_end(desde))}:
        return "quincenal"
    length = (hasta - desde).days + 1
    for periodicidad, days in _FIXED_LENGTH.items():
        if length == days:
            return periodicidad
    return None


def _period_around(periodicidad: Periodicidad, anchor: date, offset: int) -> Period:
    """The period of that periodicidad holding ``anchor``; ``offset`` places fixed-length ones."""
    if periodicidad == "mensual":
        return Period(anchor.replace(day=1), _month_end(anchor), periodicidad)
    if periodicidad == "quincenal":
        if anchor.day <= 15:
            return Period(anchor.replace(day=1), anchor.replace(day=15), periodicidad)
        return Period(anchor.replace(day=16), _month_end(anchor), periodicidad)
    desde = anchor - timedelta(days=offset)
    return Period(desde, desde + timedelta(days=_FIXED_LENGTH[periodicidad] - 1), periodicidad)


Placement = Literal["any", "bimester-start", "crosses-bimester"]


def random_period(
    rng: random.Random,
    periodicidad: Periodicidad,
    first: date,
    last: date,
    *,
    placement: Placement = "any",
    containing: date | None = None,
) -> Period:
    """A random period inside ``[first, last]`` that starts a bimester, crosses one, holds a day.

    Draws are retried until the period fits and its dates read back as its periodicidad (a
    catorcena of 16–29 February 2024 would read as a quincena).
    """
    length = _FIXED_LENGTH.get(periodicidad, 1)
    if placement == "crosses-bimester" and periodicidad not in _FIXED_LENGTH:
        raise GenerationError(f"Un periodo {periodicidad} nunca cruza de un bimestre a otro.")
    # A crossing needs a bimester boundary strictly after the window's first day.
    boundaries = bimester_starts(first + timedelta(days=placement == "crosses-bimester"), last)
    if placement != "any" and not boundaries:
        raise GenerationError(
            f"No hay inicio de bimestre entre {first.isoformat()} y {last.isoformat()}."
        )
    for _ in range(_ATTEMPTS):
        if containing is not None:
            anchor, offset = containing, rng.randrange(length)
        elif placement == "bimester-start":
            anchor, offset = rng.choice(boundaries), 0
        elif placement == "crosses-bimester":
            anchor, offset = rng.choice(boundaries), rng.randint(1, length - 1)
        else:
            anchor = first + timedelta(days=rng.randint(0, (last - first).days))
            offset = rng.randrange(length)
        period = _period_around(periodicidad, anchor, offset)
        if (
            first <= period.desde
            and period.hasta <= last
            and periodicidad_of(period.desde, period.hasta) == periodicidad
            and (placement != "bimester-start" or period.desde == bimester_start(period.desde))
            and (
                placement != "crosses-bimester"
                or bimester_start(period.desde) != bimester_start(period.hasta)
            )
        ):
            return period
    raise GenerationError(
        f"No cabe un periodo {periodicidad} entre {first.isoformat()} y {last.isoformat()} "
        "con las condiciones pedidas."
    )
