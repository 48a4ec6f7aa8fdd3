"""Synthetic production avisos (DOMAIN §5) for loading tests and benches: `sia avisos synth`.

Pure and streaming: :func:`synthetic_avisos` yields one import line at a time (the §5 aviso
object plus ``registroPatronal``) and :func:`synthetic_lines` the same as JSON Lines text, so
millions of them never sit in memory; the same ``patrones``, ``avisos`` and seed give the same
lines, in the same order.

What makes them realistic:

- **Skew.** :func:`plan` gives the patrones Zipf-like sizes (the k-th largest gets a share
  proportional to ``1 / k ** ZIPF_EXPONENT``, what passes :data:`MAX_WORKERS_PER_PATRON` going
  to the next): a few with tens of thousands of workers, most with a handful. Which patrón is
  large is drawn from the seed. Workers hold about :data:`AVISOS_PER_WORKER` avisos each.
- **Valid identities.** RFC and CURP carry SAT's homoclave and check digit and RENAPO's check
  digit, the NSS IMSS's: names, letters and homoclaves come from ``rules.identities``'s
  generator, the check digits from its functions. NRPs have the registro patronal's shape and
  are distinct.
- **Plausible histories.** Each worker's avisos form one credit timeline with effective dates
  inside :data:`WINDOW`: a 01 Inicio de descuento, then modifications (03 tipo, 04 valor, 05
  número de crédito), suspensions followed by a reinicio (08 → 02) or a new credit
  (06, 07, 10 → 01), maybe a final suspension. Each is notified 1 to 30 days before it takes
  effect (a suspension maybe that day), as ``rules.testsets.avisos.notice_date`` does; tipos,
  valores and their decimals as the test sets draw them.
- **Unique folios** (an affine permutation of the line number over the 10-digit space) and
  NSS that do not repeat over the first 990,000 workers (subdelegación and sequence are a
  permutation of the worker number; beyond, a repeat also needs equal years of birth and
  affiliation).

Speed (≥ 100,000 avisos a second on one core) is why an aviso is drawn here as a tuple of
texts, with dates as precomputed strings, and written straight as a dict or as JSON text,
rather than through ``rules.testsets.avisos.Event``, ``aviso_document`` and ``json.dumps``;
tests/rules/test_synthetic.py holds them to the same §5 object, byte for byte.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from rules.avisos import AVISO_CATALOG, AVISO_DESCRIPTIONS, DiscountType
from rules.identities import (
    curp_check_digit,
    fake_numero_credito,
    fake_persona,
    nss_check_digit,
    rfc_check_digit,
)

__all__ = [
    "AVISOS_PER_WORKER",
    "DEFAULT_SEED",
    "MAX_WORKERS_PER_PATRON",
    "WINDOW",
    "ZIPF_EXPONENT",
    "PatronPlan",
    "SyntheticError",
    "plan",
    "synthetic_avisos",
    "synthetic_lines",
]

MAX_WORKERS_PER_PATRON = 50_000
AVISOS_PER_WORKER = 2  # on average, while the patrones can hold that many workers
ZIPF_EXPONENT = 1.5
DEFAULT_SEED = "0"
# Effective dates of the avisos (a fechaAviso may be up to 30 days earlier).
WINDOW = (date(2019, 1, 1), date(2026, 2, 28))

_BORN = (date(1965, 1, 1), date(2000, 12, 31))
_NAME_POOL = (64, 4096)  # distinct names per run: a 32nd of the workers, within these bounds
_NOTICE_DAYS = 30
_NSS_BLOCK = 99 * 10_000  # subdelegación 01–99 × sequence 0000–9999
_FOLIO_SPACE = 10**10
_NRP_LETTERS = "ABCDEFGHJKLMNPRSTVWXYZ"
_SUSPENSIONS = ("06", "07", "08", "10")
_MAX_GAP_DAYS = 400
_PLAIN_NAME = re.compile(r"[A-ZÑ ]+")  # as rules.identities writes names: nothing to escape

# A discount is (tipoDescuento, valorDescuento as §5 writes it).
_Discount = tuple[int, str]
_PORCENTAJES: tuple[_Discount, ...] = tuple(
    (int(DiscountType.PORCENTAJE), v) for v in ("20.00", "25.00", "30.00")
)
_CUOTA_FIJA_CENTS = (500_00, 5000_00)  # pesos a month
_VSM_UNITS = (8_0000, 35_0000)  # times the UMI, 4 decimals


class SyntheticError(ValueError):
    """Inputs that cannot make a synthetic load; Spanish message."""


@dataclass(frozen=True, slots=True)
class PatronPlan:
    """One patrón of a synthetic load: its NRP, how many workers and avisos it gets."""

    nrp: str
    trabajadores: int
    avisos: int


def _rng(seed: str, purpose: str) -> random.Random:
    digest = hashlib.sha256(f"{seed}|{purpose}".encode()).digest()
    # Reproducibility is the point: these avisos are fictitious.
    return random.Random(int.from_bytes(digest, "big"))  # noqa: S311


def _check(patrones: int, avisos: int) -> None:
    if patrones < 1:
        raise SyntheticError(f"Se necesita al menos un patrón; se pidieron {patrones}.")
    if avisos < patrones:
        raise SyntheticError(
            f"Cada patrón necesita al menos un aviso: se pidieron {avisos} avisos para "
            f"{patrones} patrones."
        )


def _apportion(total: int, weights: list[float], caps: list[int] | None = None) -> list[int]:
    """``total`` split in proportion to ``weights`` (largest remainder), none over its cap:
    what a capped share leaves goes to the others in proportion, as water fills."""
    shares = [0] * len(weights)
    open_ = [i for i in range(len(weights)) if caps is None or caps[i] > 0]
    left = total
    while left > 0 and open_:
        mass = sum(weights[i] for i in open_)
        exact = {i: left * weights[i] / mass for i in open_}
        capped = {i for i in open_ if caps is not None and exact[i] >= caps[i]}
        if capped and caps is not None:
            for i in capped:
                shares[i] = caps[i]
                left -= caps[i]
            open_ = [i for i in open_ if i not in capped]
            continue
        floors = {i: int(exact[i]) for i in open_}
        for i in open_:
            shares[i] = floors[i]
        rest = left - sum(floors.values())
        for i in sorted(open_, key=lambda i: (floors[i] - exact[i], i))[:rest]:
            shares[i] += 1
        left = 0
    return shares


def plan(*, patrones: int, avisos: int, seed: str = DEFAULT_SEED) -> list[PatronPlan]:
    """The patrones of a load, in the order their avisos come: Zipf-like numbers of workers
    (1 to MAX_WORKERS_PER_PATRON each) and of avisos (at least one a worker; ``avisos`` in all).
    Raises :class:`SyntheticError` on impossible inputs."""
    _check(patrones, avisos)
    rng = _rng(seed, "plan")
    workers = min(round(avisos / AVISOS_PER_WORKER), patrones * MAX_WORKERS_PER_PATRON)
    workers = max(patrones, workers)
    ranks = list(range(1, patrones + 1))
    rng.shuffle(ranks)
    weights = [1 / rank**ZIPF_EXPONENT for rank in ranks]
    extra_workers = _apportion(workers - patrones, weights, [MAX_WORKERS_PER_PATRON - 1] * patrones)
    per_patron = [1 + extra for extra in extra_workers]
    extra_avisos = _apportion(avisos - workers, [float(count) for count in per_patron])
    nrps: set[str] = set()
    plans = []
    for count, extra in zip(per_patron, extra_avisos, strict=True):
        nrp = _nrp(rng)
        while nrp in nrps:
            nrp = _nrp(rng)
        nrps.add(nrp)
        plans.append(PatronPlan(nrp=nrp, trabajadores=count, avisos=count + extra))
    return plans


def _nrp(rng: random.Random) -> str:
    letter = _NRP_LETTERS[int(rng.random() * len(_NRP_LETTERS))]
    return f"{letter}{rng.randrange(10**10):010d}"


@dataclass(frozen=True, slots=True)
class _Name:
    """What of a person's RFC and CURP depends on the name alone (not on the birth date)."""

    nombre: str  # NOMBRES PATERNO MATERNO, as IMSS writes it
    rfc_letters: str
    homoclave: str
    curp_letters: str
    curp_middle: str  # sexo, entidad and the three consonants


def _name_pool(rng: random.Random, size: int) -> list[_Name]:
    pool = []
    for _ in range(size):
        # rules.identities writes the name's letters, homoclave and consonants; only the birth
        # date, the homonym differentiator and the check digits change per worker.
        persona = fake_persona(rng, born_from=_BORN[0], born_to=_BORN[1])
        if not _PLAIN_NAME.fullmatch(persona.nombre_completo):
            raise AssertionError(f"a name that JSON would escape: {persona.nombre_completo!r}")
        pool.append(
            _Name(
                nombre=persona.nombre_completo,
                rfc_letters=persona.rfc[:4],
                homoclave=persona.rfc[10:12],
                curp_letters=persona.curp[:4],
                curp_middle=persona.curp[10:16],
            )
        )
    return pool


def _affine(rng: random.Random, modulus: int) -> tuple[int, int]:
    """(a, b) with a coprime to ``modulus``, so i ↦ (a·i + b) mod modulus is a permutation."""
    while True:
        a, b = rng.randrange(1, modulus), rng.randrange(modulus)
        x, y = a, modulus
        while y:
            x, y = y, x % y
        if x == 1:
            return a, b


def _discount(rng: random.Random) -> _Discount:
    """Cuota fija half of the time, VSM a third, porcentaje the rest (the test sets' ranges)."""
    r = rng.random()
    if r < 0.5:
        cents = rng.randint(*_CUOTA_FIJA_CENTS)
        return int(DiscountType.CUOTA_FIJA), f"{cents // 100}.{cents % 100:02d}"
    if r < 0.85:
        units = rng.randint(*_VSM_UNITS)
        return int(DiscountType.VSM), f"{units // 10_000}.{units % 10_000:04d}"
    return _PORCENTAJES[int(rng.random() * len(_PORCENTAJES))]


def _other_discount(rng: random.Random, current: _Discount) -> _Discount:
    while True:
        candidate = _discount(rng)
        if candidate != current:
            return candidate


# One aviso of a history: clave, effective day (ordinal), número de crédito, discount (None for
# a suspension).
_Event = tuple[str, int, str, _Discount | None]


def _days(rng: random.Random, count: int) -> list[int]:
    """``count`` effective days (ordinals) in order inside WINDOW, weeks to months apart."""
    first, last = WINDOW[0].toordinal(), WINDOW[1].toordinal()
    high = min(_MAX_GAP_DAYS, (last - first) // count)
    low = min(15, high)
    gaps = [low + int(rng.random() * (high - low + 1)) for _ in range(count - 1)]
    day = first + int(rng.random() * (last - first - sum(gaps) + 1))
    days = [day]
    for gap in gaps:
        day += gap
        days.append(day)
    return days


def _credito(rng: random.Random, day: int) -> str:
    return fake_numero_credito(rng, otorgado=date.fromordinal(day))


def _history(rng: random.Random, count: int) -> list[_Event]:
    """One worker's credit history of exactly ``count`` avisos, in effective-date order: only a
    RETENCION switches the discount on, and one follows every suspension but a final one."""
    days = _days(rng, count)
    credito = _credito(rng, days[0])
    discount = _discount(rng)
    events: list[_Event] = [("01", days[0], credito, discount)]
    restart: str | None = None  # what a suspension waits for: 02 reinicio or 01 new credit
    for i in range(1, count):
        day, left = days[i], count - i
        if restart == "01":
            credito, discount = _credito(rng, day), _discount(rng)
        if restart is not None:
            events.append((restart, day, credito, discount))
            restart = None
            continue
        r = rng.random()
        if r < 0.2 and left >= 2:
            clave = _SUSPENSIONS[int(rng.random() * len(_SUSPENSIONS))]
            events.append((clave, day, credito, None))
            restart = "02" if clave == "08" else "01"  # a prórroga ends, the credit goes on
        elif r < 0.3 and left == 1:
            events.append((_SUSPENSIONS[int(rng.random() * len(_SUSPENSIONS))], day, credito, None))
        elif r < 0.4:
            credito = _credito(rng, day)
            events.append(("05", day, credito, discount))
        else:
            new = _other_discount(rng, discount)
            events.append(("03" if new[0] != discount[0] else "04", day, credito, new))
            discount = new
    return events


def synthetic_avisos(
    *, patrones: int, avisos: int, seed: str = DEFAULT_SEED
) -> Iterator[dict[str, Any]]:
    """``avisos`` import lines (§5 aviso + ``registroPatronal``), patrón after patrón and worker
    after worker; raises :class:`SyntheticError` on impossible inputs before yielding any."""
    return _documents(_generate(plan(patrones=patrones, avisos=avisos, seed=seed), seed))


def synthetic_lines(*, patrones: int, avisos: int, seed: str = DEFAULT_SEED) -> Iterator[str]:
    """The same avisos as JSON Lines (UTF-8 characters as such, no spaces), each ending in a
    newline; raises :class:`SyntheticError` on impossible inputs before yielding any."""
    return _json_lines(_generate(plan(patrones=patrones, avisos=avisos, seed=seed), seed))


# One aviso as _generate draws it: folio, fechaAviso, clave, nss, rfc, curp, nombre,
# numeroCredito, discount (None for a suspension), its effective day, registroPatronal.
_Fields = tuple[str, str, str, str, str, str, str, str, _Discount | None, str, str]
_TIPOS = {
    clave: {"clave": clave, "descripcion": AVISO_DESCRIPTIONS[clave], "clase": str(clase)}
    for clave, clase in AVISO_CATALOG.items()
}


def _documents(avisos: Iterator[_Fields]) -> Iterator[dict[str, Any]]:
    for folio, notified, clave, nss, rfc, curp, nombre, credito, discount, day, nrp in avisos:
        yield {
            "folio": folio,
            "fechaAviso": notified,
            "tipoAviso": dict(_TIPOS[clave]),
            "nss": nss,
            "rfc": rfc,
            "curp": curp,
            "nombre": nombre,
            "numeroCredito": credito,
            "tipoDescuento": None if discount is None else discount[0],
            "valorDescuento": None if discount is None else discount[1],
            "fechaInicioDescuento": None if discount is None else day,
            "fechaFin": day if discount is None else None,
            "registroPatronal": nrp,
        }


def _json_lines(avisos: Iterator[_Fields]) -> Iterator[str]:
    """What ``json.dumps(document, ensure_ascii=False, separators=(",", ":"))`` writes for each
    of :func:`_documents`, three times faster: every text here is digits, dates, catalog words
    or a name of letters and spaces (``_name_pool`` checks), so none needs escaping."""
    tipos = {
        clave: json.dumps(tipo, ensure_ascii=False, separators=(",", ":"))
        for clave, tipo in _TIPOS.items()
    }
    for folio, notified, clave, nss, rfc, curp, nombre, credito, discount, day, nrp in avisos:
        if discount is None:
            descuento = (
                f'"tipoDescuento":null,"valorDescuento":null,"fechaInicioDescuento":null,'
                f'"fechaFin":"{day}"'
            )
        else:
            descuento = (
                f'"tipoDescuento":{discount[0]},"valorDescuento":"{discount[1]}",'
                f'"fechaInicioDescuento":"{day}","fechaFin":null'
            )
        yield (
            f'{{"folio":"{folio}","fechaAviso":"{notified}","tipoAviso":{tipos[clave]},'
            f'"nss":"{nss}","rfc":"{rfc}","curp":"{curp}","nombre":"{nombre}",'
            f'"numeroCredito":"{credito}",{descuento},"registroPatronal":"{nrp}"}}\n'
        )


def _generate(plans: list[PatronPlan], seed: str) -> Iterator[_Fields]:
    rng = _rng(seed, "avisos")
    workers = sum(p.trabajadores for p in plans)
    pool_size = min(max(workers // 32, _NAME_POOL[0]), _NAME_POOL[1])
    names = _name_pool(_rng(seed, "nombres"), pool_size)
    folio_a, folio_b = _affine(rng, _FOLIO_SPACE)
    nss_a, nss_b = _affine(rng, _NSS_BLOCK)
    # Every date a line can hold, as text, by ordinal.
    base = WINDOW[0].toordinal() - _NOTICE_DAYS
    iso = [date.fromordinal(o).isoformat() for o in range(base, WINDOW[1].toordinal() + 1)]
    born_first = _BORN[0].toordinal()
    born_span = _BORN[1].toordinal() - born_first
    random_ = rng.random
    line = worker = 0
    for patron in plans:
        nrp = patron.nrp
        extra = patron.avisos - patron.trabajadores
        for left in range(patron.trabajadores, 0, -1):
            # About the patrón's mean, re-centred on what is left so the last is not handed a
            # pile.
            mine = extra if left == 1 else min(extra, int(random_() * (2 * extra / left + 1)))
            extra -= mine
            events = _history(rng, 1 + mine)
            name = names[int(random_() * len(names))]
            born = date.fromordinal(born_first + int(random_() * born_span))
            yymmdd = f"{born.year % 100:02d}{born.month:02d}{born.day:02d}"
            # RENAPO's differentiator is a digit for people born before 2000, a letter after.
            differentiator = ("0123456789" if born.year < 2000 else "ABCDEFGHIJ")[
                int(random_() * 10)
            ]
            rfc = name.rfc_letters + yymmdd + name.homoclave
            rfc += rfc_check_digit(rfc)
            curp = name.curp_letters + yymmdd + name.curp_middle + differentiator
            curp += curp_check_digit(curp)
            nss = _nss(random_, (nss_a * worker + nss_b) % _NSS_BLOCK, born.year, events[0][1])
            worker += 1
            for clave, day, credito, discount in events:
                # Notified 1 to 30 days before it takes effect; a suspension maybe that day.
                earliest = discount is not None
                notice = day - earliest - int(random_() * (_NOTICE_DAYS + 1 - earliest))
                folio = f"{(folio_a * line + folio_b) % _FOLIO_SPACE:010d}"
                line += 1
                yield (
                    folio,
                    iso[notice - base],
                    clave,
                    nss,
                    rfc,
                    curp,
                    name.nombre,
                    credito,
                    discount,
                    iso[day - base],
                    nrp,
                )


def _nss(random_: Any, slot: int, born: int, first_credit: int) -> str:
    """Subdelegación and sequence from ``slot``; affiliated from 16 on, before the credit."""
    latest = max(born + 16, min(date.fromordinal(first_credit).year, 2023))
    affiliated = born + 16 + int(random_() * (latest - born - 15))
    subdelegacion, sequence = divmod(slot, 10_000)
    body = f"{subdelegacion + 1:02d}{affiliated % 100:02d}{born % 100:02d}{sequence:04d}"
    return body + nss_check_digit(body)
