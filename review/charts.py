"""Charts drawn on the server as inline SVG: the pages run no script of their own (CSP), so no
chart library. Each chart is an image with a title and a description for screen readers, every
point and bar names its value in a tooltip (an SVG ``<title>``), and the page beside it shows
the same numbers in a table.

Series are told apart by colour (Okabe–Ito, readable with the common colour-vision
deficiencies) and by the dash of their line, so a grey print still works. Every text that comes
from data is escaped, and characters XML does not allow are dropped: the SVG stays well formed
whatever a label holds. With nothing to draw, a chart is the Spanish "no data" note instead of
empty axes.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

NO_DATA = "Sin datos en el periodo."
WIDTH = 720
CHAR_WIDTH = 7  # rough width of a character at the charts' 12 px font, for layout only
MAX_LABELS = 10  # category labels under the axis; the rest are in tooltips and the table
PALETTE = ("#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#000000", "#7a1f2b")
DASHES = ("", "7 3", "2 3", "9 3 2 3")
REFERENCE_COLOUR = "#8a1c1c"
AXIS_COLOUR = "#6b7785"
GRID_COLOUR = "#dfe4ea"
# XML 1.0 admits tab, newline and carriage return of the C0 controls, and no lone surrogate.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")

Format = Callable[[float], str]


def number(value: float) -> str:
    """``1,234`` or ``2.5``: whole numbers without decimals."""
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def percent(value: float) -> str:
    """A share (0 to 1) as ``40 %`` or ``33.3 %``."""
    return f"{number(round(value * 100, 1))} %"


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | None]  # one per category; None where there is nothing to show


@dataclass(frozen=True)
class Reference:
    """A horizontal line across the plot (a target, a limit) and what it is."""

    value: float
    label: str


def _text(value: str) -> str:
    return escape(_NOT_XML.sub("", value), quote=True)


def _no_data() -> Markup:
    return Markup('<p class="nota">{}</p>').format(NO_DATA)


def _open(title: str, description: str, height: float, width: float = WIDTH) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="grafica" role="img" '
        f'aria-label="{_text(title)}" viewBox="0 0 {width:.0f} {height:.0f}" width="100%" '
        f'font-family="system-ui, sans-serif" font-size="12" fill="#1d2733">'
        f"<title>{_text(title)}</title><desc>{_text(description)}</desc>"
    )


def _close(parts: list[str]) -> Markup:
    # Safe by construction: every text that came from data went through _text.
    return Markup("".join([*parts, "</svg>"]))  # noqa: S704


def _ticks(maximum: float, top: float | None) -> list[float]:
    """0 and evenly spaced round values up to at least ``maximum`` (or exactly ``top``)."""
    if top is not None:
        return [top * i / 4 for i in range(5)]
    raw = max(maximum, 1) / 4
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    step = max(step, 1)  # the charts count things or days: no fractional ticks
    return [i * step for i in range(math.ceil(max(maximum, 1) / step) + 1)]


@dataclass(frozen=True)
class _Plot:
    """The plotting area of a chart with categories along x and values up y."""

    left: float
    top: float
    width: float
    height: float
    categories: int
    ceiling: float

    def x(self, i: int) -> float:
        return self.left + self.width * (i + 0.5) / self.categories

    def y(self, value: float) -> float:
        return self.top + self.height * (1 - value / self.ceiling)

    @property
    def bottom(self) -> float:
        return self.top + self.height


def _axes(plot: _Plot, ticks: Sequence[float], categories: Sequence[str], fmt: Format) -> str:
    parts = []
    for tick in ticks:
        y = plot.y(tick)
        parts.append(
            f'<line x1="{plot.left:.1f}" x2="{plot.left + plot.width:.1f}" y1="{y:.1f}" '
            f'y2="{y:.1f}" stroke="{GRID_COLOUR}"/>'
            f'<text x="{plot.left - 6:.1f}" y="{y + 4:.1f}" text-anchor="end" '
            f'fill="{AXIS_COLOUR}">{_text(fmt(tick))}</text>'
        )
    parts.append(
        f'<line x1="{plot.left:.1f}" x2="{plot.left + plot.width:.1f}" y1="{plot.bottom:.1f}" '
        f'y2="{plot.bottom:.1f}" stroke="{AXIS_COLOUR}"/>'
    )
    every = math.ceil(len(categories) / MAX_LABELS)
    for i, label in enumerate(categories):
        if i % every == 0:
            parts.append(
                f'<text x="{plot.x(i):.1f}" y="{plot.bottom + 18:.1f}" text-anchor="middle" '
                f'fill="{AXIS_COLOUR}">{_text(label)}</text>'
            )
    return "".join(parts)


def _reference(plot: _Plot, reference: Reference) -> str:
    y = plot.y(reference.value)
    right = plot.left + plot.width
    return (
        f'<line x1="{plot.left:.1f}" x2="{right:.1f}" y1="{y:.1f}" y2="{y:.1f}" '
        f'stroke="{REFERENCE_COLOUR}" stroke-width="1.5" stroke-dasharray="5 4"/>'
        f'<text x="{right:.1f}" y="{y - 5:.1f}" text-anchor="end" '
        f'fill="{REFERENCE_COLOUR}">{_text(reference.label)}</text>'
    )


def _legend(series: Sequence[Series], top: float) -> tuple[str, float]:
    """Legend entries in rows under the plot; the markup and the height it takes."""
    parts, x, y = [], 16.0, top + 12
    for k, item in enumerate(series):
        width = 34 + CHAR_WIDTH * len(item.name)
        if x > 16 and x + width > WIDTH - 16:
            x, y = 16.0, y + 20
        parts.append(
            f'<line x1="{x:.1f}" x2="{x + 24:.1f}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="{PALETTE[k % len(PALETTE)]}" stroke-width="2.5"'
            f"{_dash(k)}/>"
            f'<text x="{x + 30:.1f}" y="{y + 4:.1f}">{_text(item.name)}</text>'
        )
        x += width + 12
    return "".join(parts), y + 12 - top


def _dash(k: int) -> str:
    dash = DASHES[k % len(DASHES)]
    return f' stroke-dasharray="{dash}"' if dash else ""


def line_chart(
    *,
    title: str,
    description: str,
    categories: Sequence[str],
    series: Sequence[Series],
    y_label: str,
    fmt: Format = number,
    top: float | None = None,
    reference: Reference | None = None,
) -> Markup:
    """One line per series over the categories; a gap where a value is None."""
    values = [v for s in series for v in s.values if v is not None]
    if not categories or not values:
        return _no_data()
    highest = max([*values, reference.value if reference else 0])
    ticks = _ticks(highest * (1.1 if reference else 1), top)
    plot = _Plot(56, 30, WIDTH - 56 - 16, 200, len(categories), ticks[-1])
    legend, legend_height = _legend(series, plot.bottom + 30)
    parts = [
        _open(title, description, plot.bottom + 30 + legend_height + 8),
        f'<text x="{plot.left:.1f}" y="16" fill="{AXIS_COLOUR}">{_text(y_label)}</text>',
        _axes(plot, ticks, categories, fmt),
    ]
    if reference is not None:
        parts.append(_reference(plot, reference))
    for k, item in enumerate(series):
        colour = PALETTE[k % len(PALETTE)]
        run: list[str] = []
        for i, value in enumerate([*item.values, None]):
            if value is not None:
                run.append(f"{plot.x(i):.1f},{plot.y(value):.1f}")
                continue
            if len(run) > 1:
                parts.append(
                    f'<polyline points="{" ".join(run)}" fill="none" stroke="{colour}" '
                    f'stroke-width="2"{_dash(k)}/>'
                )
            run = []
        for i, value in enumerate(item.values):
            if value is not None:
                parts.append(
                    f'<circle cx="{plot.x(i):.1f}" cy="{plot.y(value):.1f}" r="3.5" '
                    f'fill="{colour}"><title>{_text(item.name)} · {_text(categories[i])}: '
                    f"{_text(fmt(value))}</title></circle>"
                )
    parts.append(legend)
    return _close(parts)


def column_chart(
    *,
    title: str,
    description: str,
    categories: Sequence[str],
    values: Sequence[float | None],
    y_label: str,
    fmt: Format = number,
    top: float | None = None,
    alert: Sequence[bool] = (),
    alert_label: str = "",
) -> Markup:
    """A vertical bar per category, its value written over it; none where a value is None.
    The bars ``alert`` marks are drawn in the alert colour, which ``alert_label`` explains."""
    present = [v for v in values if v is not None]
    if not categories or not present:
        return _no_data()
    ticks = _ticks(max(present), top)
    # Deeper top margin than a line chart's: the tallest bar's value is written over it.
    plot = _Plot(56, 42, WIDTH - 56 - 16, 200, len(categories), ticks[-1])
    band = plot.width / len(categories)
    bar = band * 0.7
    parts = [
        _open(title, description, plot.bottom + 30),
        f'<text x="{plot.left:.1f}" y="16" fill="{AXIS_COLOUR}">{_text(y_label)}</text>',
        _axes(plot, ticks, categories, fmt),
    ]
    if any(alert):
        x = WIDTH - 16 - CHAR_WIDTH * len(alert_label)
        parts.append(
            f'<rect x="{x - 18:.1f}" y="6" width="12" height="12" fill="{REFERENCE_COLOUR}"/>'
            f'<text x="{x:.1f}" y="16">{_text(alert_label)}</text>'
        )
    # Written values would overlap on thin bars; the tooltips and the table still have them.
    written = band >= CHAR_WIDTH * 6
    for i, value in enumerate(values):
        if value is None:
            continue
        y = plot.y(value)
        colour = REFERENCE_COLOUR if i < len(alert) and alert[i] else PALETTE[0]
        parts.append(
            f'<rect x="{plot.x(i) - bar / 2:.1f}" y="{y:.1f}" width="{bar:.1f}" '
            f'height="{plot.bottom - y:.1f}" fill="{colour}">'
            f"<title>{_text(categories[i])}: {_text(fmt(value))}</title></rect>"
        )
        if written:
            parts.append(
                f'<text x="{plot.x(i):.1f}" y="{y - 4:.1f}" text-anchor="middle">'
                f"{_text(fmt(value))}</text>"
            )
    return _close(parts)


def bar_chart(
    *,
    title: str,
    description: str,
    categories: Sequence[str],
    values: Sequence[float],
    notes: Sequence[str] | None = None,
    fmt: Format = number,
) -> Markup:
    """A horizontal bar per category, longest first as given, its value (or note) beside it."""
    if not categories or not any(values):
        return _no_data()
    written = [notes[i] if notes else fmt(v) for i, v in enumerate(values)]
    left = 16 + CHAR_WIDTH * max(len(c) for c in categories)
    right = 16 + CHAR_WIDTH * max(len(w) for w in written)
    width = max(WIDTH - left - right, 120)  # long labels widen the chart instead
    row = 26
    highest = max(values)
    parts = [_open(title, description, 16 + row * len(categories) + 8, left + width + right)]
    for i, (label, value) in enumerate(zip(categories, values, strict=True)):
        y = 16 + row * i
        length = width * value / highest
        parts.append(
            f'<text x="{left - 8:.1f}" y="{y + 15:.1f}" text-anchor="end">{_text(label)}</text>'
            f'<rect x="{left:.1f}" y="{y + 3:.1f}" width="{length:.1f}" height="{row - 8}" '
            f'fill="{PALETTE[0]}"><title>{_text(label)}: {_text(written[i])}</title></rect>'
            f'<text x="{left + length + 6:.1f}" y="{y + 15:.1f}">{_text(written[i])}</text>'
        )
    return _close(parts)
