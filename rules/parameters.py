"""Date-effective parameter tables of the retention rules (DOMAIN.md §6).

The table lives in ``rules/data/parametros.csv`` (columns ``parametro, vigencia, valor, fuente``),
one row per parameter and effective date, and an administrator extends it each January.

Every parameter is annual, so a row holds from its ``vigencia`` until the day before the next row
of the same parameter, and never longer than one year. A missing row (2022's unconfirmed UMI, or
next year's values before they are added) is therefore a gap the calculator reports instead of
silently carrying the previous year's value forward.
"""

from __future__ import annotations

import csv
import functools
import io
import re
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from importlib import resources
from pathlib import Path

__all__ = [
    "Parameters",
    "ParametersError",
    "Series",
    "Zone",
    "default_parameters",
    "load_parameters",
    "parse_parameters",
]

_DECIMAL = re.compile(r"\d+(\.\d+)?")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class ParametersError(ValueError):
    """The parameter table itself is malformed (an administrator's error, not a caller's)."""


class Zone(StrEnum):
    """Minimum-wage zone of a worker."""

    GENERAL = "general"
    ZLFN = "zlfn"


@dataclass(frozen=True)
class Series:
    """One parameter's values over time, as date ordinals for cheap lookups.

    ``starts[i] <= ordinal < ends[i]`` is the validity of ``values[i]``; outside every range the
    parameter is unknown.
    """

    name: str
    starts: tuple[int, ...]
    ends: tuple[int, ...]
    values: tuple[Decimal, ...]

    @functools.cached_property
    def change_days(self) -> tuple[int, ...]:
        """Sorted ordinals on which the value may change (a value starts or stops holding)."""
        return tuple(sorted({*self.starts, *self.ends}))

    def value_on(self, ordinal: int) -> Decimal | None:
        """The value in force on the day with this ordinal, or None when the table lacks it."""
        i = bisect_right(self.starts, ordinal) - 1
        if i < 0 or ordinal >= self.ends[i]:
            return None
        return self.values[i]


@dataclass(frozen=True)
class Parameters:
    """The tables the calculator reads (UMA is kept for completeness: no §6 formula uses it)."""

    umi: Series
    sm_general: Series
    sm_zlfn: Series
    uma: Series

    def minimum_wage(self, zone: Zone) -> Series:
        return self.sm_zlfn if zone is Zone.ZLFN else self.sm_general

    @classmethod
    def from_rows(cls, rows: Iterable[tuple[str, date, Decimal]]) -> Parameters:
        """Build the tables from ``(parametro, vigencia, valor)`` rows in any order."""
        by_name: dict[str, dict[date, Decimal]] = {name: {} for name in _NAMES}
        for name, since, value in rows:
            if name not in by_name:
                raise ParametersError(
                    f"Parámetro desconocido «{name}»; los válidos son {', '.join(_NAMES)}."
                )
            if since in by_name[name]:
                raise ParametersError(
                    f"El parámetro «{name}» tiene dos filas con vigencia {since.isoformat()}."
                )
            by_name[name][since] = value
        return cls(*(_series(name, by_name[name]) for name in _NAMES))


_NAMES = ("umi", "sm_general", "sm_zlfn", "uma")


def _one_year_after(day: date) -> date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return date(day.year + 1, 3, 1)


def _series(name: str, rows: dict[date, Decimal]) -> Series:
    starts = sorted(rows)
    ends = [
        min(_one_year_after(since), following)
        for since, following in zip(starts, [*starts[1:], date.max], strict=True)
    ]
    return Series(
        name=name,
        starts=tuple(day.toordinal() for day in starts),
        ends=tuple(day.toordinal() for day in ends),
        values=tuple(rows[day] for day in starts),
    )


def parse_parameters(text: str, source: str = "parametros.csv") -> Parameters:
    """Parse the CSV table; ``source`` names it in error messages."""
    reader = csv.DictReader(io.StringIO(text))
    expected = ["parametro", "vigencia", "valor", "fuente"]
    if reader.fieldnames != expected:
        raise ParametersError(f"{source}: el encabezado debe ser «{','.join(expected)}».")
    rows: list[tuple[str, date, Decimal]] = []
    for record in reader:
        where = f"{source}, línea {reader.line_num}"
        name = (record["parametro"] or "").strip()
        since = (record["vigencia"] or "").strip()
        value = (record["valor"] or "").strip()
        if not _ISO_DATE.fullmatch(since):
            raise ParametersError(f"{where}: la vigencia «{since}» no es una fecha AAAA-MM-DD.")
        try:
            since_day = date.fromisoformat(since)
        except ValueError:
            raise ParametersError(f"{where}: la vigencia «{since}» no existe.") from None
        if not _DECIMAL.fullmatch(value):
            raise ParametersError(f"{where}: el valor «{value}» no es un decimal positivo.")
        rows.append((name, since_day, Decimal(value)))
    try:
        return Parameters.from_rows(rows)
    except ParametersError as exc:
        raise ParametersError(f"{source}: {exc}") from None


def load_parameters(path: Path) -> Parameters:
    """Load a parameter table from a CSV file."""
    return parse_parameters(path.read_text(encoding="utf-8"), str(path))


@functools.cache
def default_parameters() -> Parameters:
    """The shipped table, parsed once per process."""
    table = resources.files("rules").joinpath("data", "parametros.csv")
    return parse_parameters(table.read_text(encoding="utf-8"), "rules/data/parametros.csv")
