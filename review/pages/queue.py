"""The review queue (/panel), the reviewers' landing page.

Every filter, the order and the page are query parameters, so a filtered view is a URL that can
be bookmarked or shared. A value the queue does not understand is answered with the page itself,
its filters as sent and a Spanish message of what to correct (422), never with a server error.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, TypeVar
from urllib.parse import urlencode

from fastapi import Query, Request
from fastapi.responses import HTMLResponse

from core.clock import utcnow
from review import routing
from review.deps import CurrentStaff, DbSession
from review.inputs import Text
from review.templating import render
from schema import CertificationState, Verdict
from workflow.calendar import load_calendar
from workflow.queue import BadCursor, Cursor, QueueFilter, QueueOrder, fetch_page, state_counts

router = routing.router(include_in_schema=False)
Choice = TypeVar("Choice", bound=StrEnum)

MAX_ROUND = 99
MAX_DUE_WITHIN = 90  # business days: twice the longest term (45)
MIN_SEARCH = 3  # fewer characters match nearly every vendor (and no trigram)
MAX_SEARCH = 100

VERDICT_BADGES = {
    Verdict.SIN_INCONSISTENCIAS: "ok",
    Verdict.CON_INCONSISTENCIAS: "aviso",
    Verdict.ILEGIBLE: "alerta",
}
ORDER_LABELS = {
    QueueOrder.REQUESTED: "Solicitud más reciente",
    QueueOrder.DEADLINE: "Plazo más próximo",
    QueueOrder.STATE_CHANGED: "Cambio de estatus más reciente",
}
# The filters' parameters, in the order links repeat them.
FILTER_PARAMS = ("estado", "ronda", "desarrollador", "veredicto", "vence_en", "vencidas", "orden")


class BadQuery(ValueError):
    """A query parameter the queue cannot use; the message says what to correct, in Spanish."""


@dataclass(frozen=True)
class Wanted:
    filter: QueueFilter
    after: Cursor | None
    before: Cursor | None


def _shown(value: str) -> str:
    return value if len(value) <= 40 else value[:40] + "…"


def _whole(value: str, low: int, high: int, problem: str) -> int:
    text = value.strip()
    # Length first: int() refuses strings of thousands of digits with a ValueError.
    if len(text) > 9 or not text.isascii() or not text.isdigit() or not low <= int(text) <= high:
        raise BadQuery(problem)
    return int(text)


def _one_of(kind: type[Choice], value: str | None, what: str) -> Choice | None:
    if value is None:
        return None
    try:
        return kind(value.strip())
    except ValueError:
        raise BadQuery(f"{what} «{_shown(value)}» no existe. Elija uno de la lista.") from None


def _cursor(value: str) -> Cursor:
    try:
        return Cursor.decode(value.strip())
    except BadCursor:
        raise BadQuery(
            "El enlace de paginación no es válido. Vuelva a la primera página de la cola."
        ) from None


def parse(values: Mapping[str, str]) -> Wanted:
    """The queue a reviewer asked for; empty parameters (a GET form sends them) mean no filter."""
    given = {name: value for name, value in values.items() if value.strip()}
    state = _one_of(CertificationState, given.get("estado"), "El estatus")
    verdict = _one_of(Verdict, given.get("veredicto"), "El veredicto")
    order = _one_of(QueueOrder, given.get("orden"), "El orden") or QueueOrder.REQUESTED
    round_ = None
    if "ronda" in given:
        round_ = _whole(
            given["ronda"], 1, MAX_ROUND, f"La ronda debe ser un número entero de 1 a {MAX_ROUND}."
        )
    due_within = None
    if "vence_en" in given:
        due_within = _whole(
            given["vence_en"],
            0,
            MAX_DUE_WITHIN,
            f"«Vence en» debe ser un número entero de días hábiles, de 0 a {MAX_DUE_WITHIN}.",
        )
    breached = False
    if "vencidas" in given:
        if given["vencidas"].strip() != "1":
            raise BadQuery(
                "«Solo revisiones fuera de plazo» admite únicamente el valor 1 (marcado)."
            )
        breached = True
    vendor = " ".join(given.get("desarrollador", "").split()) or None
    if vendor is not None and not MIN_SEARCH <= len(vendor) <= MAX_SEARCH:
        raise BadQuery(
            f"Para buscar por RFC o razón social escriba de {MIN_SEARCH} a {MAX_SEARCH} caracteres."
        )
    if "despues" in given and "antes" in given:
        raise BadQuery(
            "El enlace de paginación no es válido. Vuelva a la primera página de la cola."
        )
    return Wanted(
        QueueFilter(state, round_, vendor, verdict, due_within, breached, order),
        _cursor(given["despues"]) if "despues" in given else None,
        _cursor(given["antes"]) if "antes" in given else None,
    )


def _link(values: Mapping[str, str], **page: str) -> str:
    kept = [(name, values[name].strip()) for name in FILTER_PARAMS if values.get(name, "").strip()]
    query = urlencode(kept + list(page.items()))
    return f"/panel?{query}" if query else "/panel"


Param = Annotated[Text | None, Query()]


@router.get("/panel", response_class=HTMLResponse)
def queue(
    request: Request,
    staff: CurrentStaff,
    session: DbSession,
    estado: Param = None,
    ronda: Param = None,
    desarrollador: Param = None,
    veredicto: Param = None,
    vence_en: Param = None,
    vencidas: Param = None,
    orden: Param = None,
    despues: Param = None,
    antes: Param = None,
) -> HTMLResponse:
    given = dict(
        estado=estado,
        ronda=ronda,
        desarrollador=desarrollador,
        veredicto=veredicto,
        vence_en=vence_en,
        vencidas=vencidas,
        orden=orden,
        despues=despues,
        antes=antes,
    )
    sent = {name: value for name, value in given.items() if value is not None}
    counts = state_counts(session)
    context = {
        "staff": staff,
        "seccion": "cola",
        "valores": sent,
        "counts": counts,
        "total": sum(counts.values()),
        "states": list(CertificationState),
        "verdicts": list(Verdict),
        "badges": VERDICT_BADGES,
        "orders": ORDER_LABELS,
    }
    try:
        wanted = parse(sent)
    except BadQuery as problem:
        return render(request, "cola.html", {**context, "problema": str(problem)}, 422)
    page = fetch_page(
        session,
        wanted.filter,
        utcnow(),
        load_calendar(session),
        after=wanted.after,
        before=wanted.before,
    )
    return render(
        request,
        "cola.html",
        {
            **context,
            "page": page,
            "deadline_order": wanted.filter.order is QueueOrder.DEADLINE,
            "siguiente": _link(sent, despues=page.next.encode()) if page.next else None,
            "anterior": _link(sent, antes=page.previous.encode()) if page.previous else None,
        },
    )
