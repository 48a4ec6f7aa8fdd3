"""The server-rendered SVG charts: well formed, accessible, escaped, and a note when empty."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from markupsafe import Markup

from review.charts import (
    NO_DATA,
    PALETTE,
    REFERENCE_COLOUR,
    Reference,
    Series,
    bar_chart,
    column_chart,
    line_chart,
    number,
    percent,
)

SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = '<script>alert("x")</script> & \x01 «ñ»'


def _parse(chart: Markup) -> ET.Element:
    root = ET.fromstring(str(chart))
    assert root.tag == f"{SVG}svg"
    return root


def _child_text(element: ET.Element, tag: str) -> str | None:
    child = element.find(f"{SVG}{tag}")
    assert child is not None, tag
    return child.text


def _texts(root: ET.Element) -> list[str]:
    return [el.text or "" for el in root.iter() if el.tag in (f"{SVG}text", f"{SVG}title")]


def _line(**overrides):
    arguments = {
        "title": "Certificaciones por estado",
        "description": "Al cierre de cada semana.",
        "categories": ["05/ene", "12/ene", "19/ene"],
        "series": [Series("En análisis", [2, 2, 0]), Series("Aprobada", [0, None, 2])],
        "y_label": "Certificaciones",
    }
    return line_chart(**(arguments | overrides))


def test_a_line_chart_is_an_accessible_image():
    root = _parse(_line())
    assert root.get("role") == "img"
    assert root.get("aria-label") == "Certificaciones por estado"
    assert _child_text(root, "title") == "Certificaciones por estado"
    assert _child_text(root, "desc") == "Al cierre de cada semana."
    assert root.get("viewBox", "").startswith("0 0 720 ")
    # Every point says what it is; a None leaves a gap (no point, the line is cut).
    points = [_child_text(c, "title") for c in root.iter(f"{SVG}circle")]
    assert points == [
        "En análisis · 05/ene: 2",
        "En análisis · 12/ene: 2",
        "En análisis · 19/ene: 0",
        "Aprobada · 05/ene: 0",
        "Aprobada · 19/ene: 2",
    ]
    assert len(list(root.iter(f"{SVG}polyline"))) == 1  # Aprobada has no two points in a row
    assert {"En análisis", "Aprobada", "Certificaciones", "05/ene"} <= set(_texts(root))


def test_labels_are_escaped_and_characters_xml_refuses_are_dropped():
    chart = _line(
        title=HOSTILE,
        description=HOSTILE,
        categories=[HOSTILE, "b", "c"],
        series=[Series(HOSTILE, [1, 2, 3])],
        y_label=HOSTILE,
    )
    assert "<script>" not in str(chart)
    root = _parse(chart)
    clean = HOSTILE.replace("\x01", "")
    assert root.get("aria-label") == clean
    assert clean in _texts(root)
    for chart in (
        bar_chart(title=HOSTILE, description=HOSTILE, categories=[HOSTILE], values=[3]),
        column_chart(
            title=HOSTILE, description="", categories=[HOSTILE], values=[0.5], y_label=HOSTILE
        ),
    ):
        assert "<script>" not in str(chart)
        assert clean in _texts(_parse(chart))


def test_a_reference_line_is_drawn_and_fits_in_the_axis():
    root = _parse(
        _line(
            series=[Series("Mediana", [1, 2, 3])],
            reference=Reference(5, "Plazo: 5 días hábiles"),
            y_label="Días hábiles",
        )
    )
    assert "Plazo: 5 días hábiles" in _texts(root)
    assert [line for line in root.iter(f"{SVG}line") if line.get("stroke-dasharray") == "5 4"]
    ticks = [float(t.replace(",", "")) for t in _texts(root) if t.replace(",", "").isdigit()]
    assert max(ticks) >= 5


def test_a_column_chart_of_shares_has_a_bar_per_value_and_an_axis_to_100_percent():
    root = _parse(
        column_chart(
            title="Aprobación en la primera ronda",
            description="Parte aprobada.",
            categories=["ene/2026", "feb/2026", "mar/2026"],
            values=[None, 0.0, 0.5],
            y_label="Aprobadas",
            fmt=percent,
            top=1,
        )
    )
    bars = [_child_text(r, "title") for r in root.iter(f"{SVG}rect")]
    assert bars == ["feb/2026: 0 %", "mar/2026: 50 %"]
    assert {"0 %", "50 %", "100 %"} <= set(_texts(root))


def test_columns_marked_as_alerts_take_the_alert_colour_and_a_legend():
    root = _parse(
        column_chart(
            title="Distribución",
            description="Revisiones por días hábiles.",
            categories=["4", "5", "6"],
            values=[1, 2, 1],
            y_label="Revisiones",
            alert=[False, False, True],
            alert_label="Más de 5 días hábiles",
        )
    )
    bars = [r for r in root.iter(f"{SVG}rect") if r.find(f"{SVG}title") is not None]
    assert [r.get("fill") for r in bars] == [PALETTE[0], PALETTE[0], REFERENCE_COLOUR]
    assert "Más de 5 días hábiles" in _texts(root)


def test_a_bar_chart_writes_each_value_or_note_beside_its_bar():
    root = _parse(
        bar_chart(
            title="Hallazgos",
            description="Por código.",
            categories=["T2-TOTAL-MISMATCH", "T4-SCHEMA"],
            values=[3, 2],
            notes=["3 · 50 % de las evidencias", "2 · 50 % de las evidencias"],
        )
    )
    widths = [float(r.get("width", "0")) for r in root.iter(f"{SVG}rect")]
    assert widths[0] > widths[1] > 0
    assert widths[1] == pytest.approx(widths[0] * 2 / 3, abs=0.1)
    assert {"T2-TOTAL-MISMATCH", "3 · 50 % de las evidencias"} <= set(_texts(root))


def test_with_nothing_to_draw_a_chart_is_the_no_data_note():
    empty = [
        _line(series=[Series("Mediana", [None, None, None])]),
        _line(categories=[], series=[]),
        column_chart(title="t", description="d", categories=["a"], values=[None], y_label="y"),
        bar_chart(title="t", description="d", categories=[], values=[]),
    ]
    for chart in empty:
        assert str(chart) == f'<p class="nota">{NO_DATA}</p>'
    assert NO_DATA == "Sin datos en el periodo."


def test_many_categories_show_at_most_ten_axis_labels():
    categories = [f"{d:02d}/ene" for d in range(1, 31)]
    root = _parse(_line(categories=categories, series=[Series("s", list(range(30)))]))
    shown = [t for t in _texts(root) if t.endswith("/ene") and "·" not in t]
    assert 1 < len(shown) <= 10


def test_numbers_and_shares_read_the_mexican_way():
    assert (number(1234), number(4.5), number(7.0)) == ("1,234", "4.5", "7")
    assert (percent(0.5), percent(1 / 3), percent(0)) == ("50 %", "33.3 %", "0 %")
