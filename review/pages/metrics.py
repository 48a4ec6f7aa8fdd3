"""Metrics with plots (server-rendered SVG), and the same figures as .xlsx; for supervisors.

Both routes take the period as ``desde`` and ``hasta`` (AAAA-MM-DD, both days included); by
default the last twelve months. A date that is not one, or a period that cannot be shown, is a
Spanish 422 naming what is wrong.
"""

from __future__ import annotations

import io
import re
from collections.abc import Collection, Sequence
from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import HTTPException, Query, Request, status
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from core.clock import utcnow
from core.config import get_settings
from review import routing
from review.charts import (
    NO_DATA,
    Reference,
    Series,
    bar_chart,
    column_chart,
    line_chart,
    number,
    percent,
)
from review.deps import DbSession, Supervisor
from review.templating import render
from rules.formatting import fecha
from schema import CertificationState
from workflow.metrics import (
    Bucket,
    Granularity,
    Metrics,
    Period,
    PeriodRefused,
    ReviewTimes,
    compute_metrics,
    default_period,
    make_period,
)

router = routing.router(include_in_schema=False)

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_ISO_DAY = re.compile("[0-9]{4}-[0-9]{2}-[0-9]{2}")
TOP_FINDINGS = 10  # bars in the chart; the table and the workbook list every code
LONGEST_SHOWN = 20  # business days; longer reviews share the page's last bar (not the workbook's)
DayParam = Annotated[str | None, Query(max_length=40)]


def _day(name: str, value: str | None) -> date | None:
    """An empty field (a form sent with no date) means the default, as a missing one does."""
    if value is None or not value.strip():
        return None
    if _ISO_DAY.fullmatch(value.strip()):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise HTTPException(
        status.HTTP_422_UNPROCESSABLE_CONTENT,
        detail=f"La fecha «{name}» debe ser un día válido con la forma AAAA-MM-DD "
        "(por ejemplo, 2026-03-15).",
    )


def _period(desde: str | None, hasta: str | None) -> Period:
    start, end = _day("desde", desde), _day("hasta", hasta)
    today = utcnow().astimezone(get_settings().tz).date()
    try:
        if start is None:
            return default_period(end or today)
        return make_period(start, end or today)
    except PeriodRefused as refused:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail=str(refused)) from None


def _short(bucket: Bucket, granularity: Granularity) -> str:
    """Under a chart's axis: ``02/mar`` for a week, ``mar/2026`` for a month (from ``fecha``'s
    ``dd/mmm/aaaa``)."""
    day, month, year = fecha(bucket.start).split("/")
    return f"{day}/{month}" if granularity is Granularity.SEMANA else f"{month}/{year}"


def _long(bucket: Bucket) -> str:
    if bucket.start == bucket.end:
        return fecha(bucket.start)
    return f"{fecha(bucket.start)} al {fecha(bucket.end)}"


def _days(value: float | None) -> str:
    return "—" if value is None else number(value)


def _distribution(metrics: Metrics) -> list[tuple[str, int, bool]]:
    """The page's histogram of review times: label, reviews, over the SLA."""
    counts = metrics.review_times_overall.histogram
    shown = [(number(d), n, d > metrics.sla_days) for d, n in enumerate(counts[:LONGEST_SHOWN])]
    if len(counts) > LONGEST_SHOWN:
        shown.append((f"{LONGEST_SHOWN} o más", sum(counts[LONGEST_SHOWN:]), True))
    return shown


def _occupied(metrics: Metrics) -> list[CertificationState]:
    """The states some certification was in at the end of some bucket, in the states' order."""
    return [s for s in CertificationState if any(row.counts[s] for row in metrics.states)]


def _charts(metrics: Metrics) -> dict[str, Markup]:
    granularity = metrics.period.granularity
    labels = [_short(row.bucket, granularity) for row in metrics.states]
    unit = "semana" if granularity is Granularity.SEMANA else "mes"
    top = metrics.findings.codes[:TOP_FINDINGS]
    times = metrics.review_times
    distribution = _distribution(metrics)
    return {
        "estados": line_chart(
            title="Certificaciones por estado",
            description=f"Cuántas certificaciones había en cada estado al cierre de cada {unit}.",
            categories=labels,
            series=[
                Series(state.label, [row.counts[state] for row in metrics.states])
                for state in _occupied(metrics)
            ],
            y_label="Certificaciones",
        ),
        "primera_ronda": column_chart(
            title="Aprobación en la primera ronda",
            description=f"De las primeras rondas decididas en cada {unit}, la parte aprobada.",
            categories=labels,
            values=[row.rate for row in metrics.first_rounds],
            y_label="Aprobadas",
            fmt=percent,
            top=1,
        ),
        "hallazgos": bar_chart(
            title="Hallazgos automáticos más frecuentes",
            description="Hallazgos de cada código en las evidencias recibidas en el periodo.",
            categories=[f.code for f in top],
            values=[f.findings for f in top],
            notes=[f"{number(f.findings)} · {percent(f.share)} de las evidencias" for f in top],
        ),
        "tiempos": line_chart(
            title="Tiempos de revisión",
            description=(
                f"Días hábiles de la aceptación de la evidencia a la decisión, por {unit}: "
                f"mediana, percentil 90 y máximo, frente al plazo de {metrics.sla_days} días."
            ),
            categories=labels,
            series=[
                Series("Mediana", [t.median for t in times]),
                Series("Percentil 90", [t.p90 for t in times]),
                Series("Máximo", [t.maximum for t in times]),
            ],
            y_label="Días hábiles",
            reference=Reference(metrics.sla_days, f"Plazo: {metrics.sla_days} días hábiles"),
        ),
        "distribucion": column_chart(
            title="Distribución de los tiempos de revisión",
            description=(
                "Cuántas revisiones del periodo tomaron cada número de días hábiles; "
                f"en otro color, las de más de {metrics.sla_days} días."
            ),
            categories=[label for label, _, _ in distribution],
            values=[n for _, n, _ in distribution],
            y_label="Revisiones",
            alert=[late for _, _, late in distribution],
            alert_label=f"Más de {metrics.sla_days} días hábiles",
        ),
    }


def _query(period: Period) -> str:
    return urlencode({"desde": period.start.isoformat(), "hasta": period.end.isoformat()})


@router.get("/panel/metricas", response_class=HTMLResponse)
def metrics_page(
    request: Request,
    staff: Supervisor,
    session: DbSession,
    desde: DayParam = None,
    hasta: DayParam = None,
) -> HTMLResponse:
    period = _period(desde, hasta)
    metrics = compute_metrics(session, period)
    return render(
        request,
        "metricas.html",
        {
            "staff": staff,
            "seccion": "metricas",
            "m": metrics,
            "charts": _charts(metrics),
            "distribution": _distribution(metrics),
            "states": _occupied(metrics),
            "weekly": period.granularity is Granularity.SEMANA,
            "xlsx_url": f"/panel/metricas.xlsx?{_query(period)}",
            "sin_datos": NO_DATA,
            "periodo": _long,
            "dias": _days,
            "porcentaje": percent,
            "cifra": number,
        },
    )


@router.get("/panel/metricas.xlsx")
def metrics_workbook(
    staff: Supervisor, session: DbSession, desde: DayParam = None, hasta: DayParam = None
) -> Response:
    period = _period(desde, hasta)
    name = f"metricas_{period.start.isoformat()}_{period.end.isoformat()}.xlsx"
    return Response(
        _workbook(compute_metrics(session, period)),
        media_type=XLSX_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


DATE_FORMAT = "dd/mm/yyyy"
SHARE_FORMAT = "0.0%"


def _workbook(metrics: Metrics) -> bytes:
    """Six sheets of real numbers and dates (no formatted text), for people to work on."""
    book = Workbook(write_only=True)
    period, overall, findings = metrics.period, metrics.review_times_overall, metrics.findings
    _sheet(
        book,
        "Resumen",
        ["Concepto", "Valor"],
        [
            ["Desde", period.start],
            ["Hasta", period.end],
            ["Agrupación", "Semanal" if period.granularity is Granularity.SEMANA else "Mensual"],
            ["Plazo de revisión (días hábiles)", metrics.sla_days],
            ["Evidencias examinadas", findings.examined],
            ["Revisiones decididas", overall.decided],
            ["Mediana de revisión (días hábiles)", overall.median],
            ["Percentil 90 de revisión (días hábiles)", overall.p90],
            ["Revisiones fuera de plazo", overall.late],
        ],
    )
    states = _occupied(metrics) or list(CertificationState)
    _sheet(
        book,
        "Estados",
        ["Inicio", "Fin", *[s.label for s in states]],
        [[r.bucket.start, r.bucket.end, *[r.counts[s] for s in states]] for r in metrics.states],
    )
    _sheet(
        book,
        "Primera ronda",
        ["Inicio", "Fin", "Primeras rondas decididas", "Aprobadas", "Tasa de aprobación"],
        [
            [r.bucket.start, r.bucket.end, r.decided, r.approved, r.rate]
            for r in metrics.first_rounds
        ],
        shares={4},
    )
    _sheet(
        book,
        "Hallazgos",
        ["Código", "Hallazgos", "Evidencias con el código", "Parte de las evidencias"],
        [[f.code, f.findings, f.submissions, f.share] for f in findings.codes],
        shares={3},
    )
    _sheet(
        book,
        "Tiempos de revisión",
        [
            "Inicio",
            "Fin",
            "Revisiones decididas",
            "Mediana (días hábiles)",
            "Percentil 90 (días hábiles)",
            "Máximo (días hábiles)",
            "Fuera de plazo",
        ],
        [_times_row(t) for t in metrics.review_times],
    )
    _sheet(
        book,
        "Distribución de tiempos",
        ["Días hábiles", "Revisiones", "Fuera de plazo"],
        [[d, n, "Sí" if d > metrics.sla_days else "No"] for d, n in enumerate(overall.histogram)],
    )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _times_row(times: ReviewTimes) -> list[Any]:
    return [
        times.bucket.start,
        times.bucket.end,
        times.decided,
        times.median,
        times.p90,
        times.maximum,
        times.late,
    ]


def _sheet(
    book: Workbook,
    title: str,
    headers: Sequence[str],
    rows: Sequence[Sequence[Any]],
    shares: Collection[int] = (),
) -> None:
    """A sheet with a bold header row; dates as dates, the columns ``shares`` as percentages;
    an empty cell where there is no value (no decision in a week)."""
    sheet = book.create_sheet(title)
    for i, header in enumerate(headers, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = max(12, len(header) + 2)
    bold = Font(bold=True)
    heading = []
    for header in headers:
        cell = WriteOnlyCell(sheet, value=header)
        cell.font = bold
        heading.append(cell)
    sheet.append(heading)
    for row in rows:
        cells = []
        for i, value in enumerate(row):
            cell = WriteOnlyCell(sheet, value=value)
            if isinstance(value, date):
                cell.number_format = DATE_FORMAT
            elif i in shares:
                cell.number_format = SHARE_FORMAT
            cells.append(cell)
        sheet.append(cells)
