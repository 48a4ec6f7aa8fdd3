"""The metrics page (/panel/metricas) and its workbook (/panel/metricas.xlsx)."""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from datetime import datetime

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlmodel import Session

from core.security import hash_password
from review.app import create_app
from schema import StaffRole, StaffUser
from tests.metrics_history import END, START, build_history
from tests.review.staff import sign_in

PASSWORD = "contraseña-de-supervisión"
PERIOD = f"desde={START.isoformat()}&hasta={END.isoformat()}"
_SVG = re.compile(r"<svg .*?</svg>", re.DOTALL)


def _staff(engine, role: StaffRole, email: str) -> None:
    with Session(engine) as session:
        session.add(
            StaffUser(
                email=email,
                full_name="Sofía Ortega",
                role=role,
                password_hash=hash_password(PASSWORD),
            )
        )
        session.commit()


@pytest.fixture
def supervisor(settings, engine) -> TestClient:
    """A client signed in as a supervisor."""
    _staff(engine, StaffRole.SUPERVISOR, "supervisora@infonavit.example")
    client = TestClient(create_app())
    sign_in(client, email="supervisora@infonavit.example", password=PASSWORD)
    return client


def _cells(html: str) -> list[list[str]]:
    """The rows of the page's tables as text, header cells included."""
    rows = re.findall(r"<tr>(.*?)</tr>", html, re.DOTALL)
    return [
        [
            re.sub(r"<[^>]+>", "", cell).strip()
            for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.DOTALL)
        ]
        for row in rows
    ]


def test_the_page_shows_each_figure_as_a_chart_and_a_table(supervisor, engine, sent_tasks):
    build_history(engine)
    response = supervisor.get(f"/panel/metricas?{PERIOD}")
    assert response.status_code == 200, response.text
    html = response.text
    charts = _SVG.findall(html)
    assert len(charts) == 5
    for chart in charts:
        root = ET.fromstring(chart)
        assert root.get("role") == "img" and root.get("aria-label")
    rows = _cells(html)
    week = "05/ene/2026 al 11/ene/2026"
    # States: only those some certification was in, in the states' order.
    assert [
        "Periodo",
        "En espera de documentos",
        "En análisis",
        "Con inconsistencias",
        "Aprobada, pendiente de firma",
    ] in rows
    assert [week, "2", "2", "0", "0"] in rows
    assert ["19/ene/2026 al 25/ene/2026", "1", "0", "1", "2"] in rows
    # First round: none decided in week 1, then 0 % and 50 %.
    assert [week, "0", "0", "—"] in rows
    assert ["19/ene/2026 al 25/ene/2026", "2", "1", "50 %"] in rows
    # Findings.
    assert ["T2-TOTAL-MISMATCH", "3", "2", "50 %"] in rows
    assert ["T4-SCHEMA", "2", "2", "50 %"] in rows
    # Review times per week and for the whole period.
    assert ["19/ene/2026 al 25/ene/2026", "3", "4", "7", "7", "1"] in rows
    assert ["Todo el periodo", "4", "4.5", "7", "7", "1"] in rows
    # The distribution: 2, 4, 5 and 7 business days; past five is out of time.
    assert ["Días hábiles", "Revisiones", "Dentro del plazo"] in rows
    assert ["0", "0", "Sí"] in rows and ["5", "1", "Sí"] in rows
    assert ["6", "0", "No"] in rows and ["7", "1", "No"] in rows
    assert ["8", "0", "No"] not in rows
    assert "Plazo: 5 días hábiles" in html
    assert f'href="/panel/metricas.xlsx?{PERIOD}"' in html.replace("&amp;", "&")
    assert "Sin datos en el periodo" not in html


def test_a_period_with_no_data_says_so_instead_of_drawing(supervisor):
    response = supervisor.get("/panel/metricas?desde=2026-01-05&hasta=2026-01-25")
    assert response.status_code == 200
    assert response.text.count("Sin datos en el periodo.") == 4  # one per figure
    assert "<svg" not in response.text


def test_by_default_the_last_twelve_months_by_month(supervisor):
    html = supervisor.get("/panel/metricas").text
    assert "por mes" in html
    empty_form = supervisor.get("/panel/metricas?desde=&hasta=")
    assert empty_form.status_code == 200 and "por mes" in empty_form.text


def test_the_workbook_has_the_same_figures_as_numbers_and_dates(supervisor, engine, sent_tasks):
    build_history(engine)
    response = supervisor.get(f"/panel/metricas.xlsx?{PERIOD}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert response.headers["content-disposition"] == (
        'attachment; filename="metricas_2026-01-05_2026-01-25.xlsx"'
    )
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == [
        "Resumen",
        "Estados",
        "Primera ronda",
        "Hallazgos",
        "Tiempos de revisión",
        "Distribución de tiempos",
    ]

    def rows(name):
        return [list(r) for r in book[name].iter_rows(values_only=True)]

    summary = dict(rows("Resumen")[1:])
    assert summary["Desde"] == datetime(2026, 1, 5)
    assert book["Resumen"]["B2"].is_date
    assert summary["Evidencias examinadas"] == 4
    assert summary["Revisiones decididas"] == 4
    assert summary["Mediana de revisión (días hábiles)"] == 4.5
    assert summary["Revisiones fuera de plazo"] == 1

    states = rows("Estados")
    assert states[0] == [
        "Inicio",
        "Fin",
        "En espera de documentos",
        "En análisis",
        "Con inconsistencias",
        "Aprobada, pendiente de firma",
    ]
    assert states[1] == [datetime(2026, 1, 5), datetime(2026, 1, 11), 2, 2, 0, 0]
    assert states[3][2:] == [1, 0, 1, 2]

    first = rows("Primera ronda")
    assert first[0] == [
        "Inicio",
        "Fin",
        "Primeras rondas decididas",
        "Aprobadas",
        "Tasa de aprobación",
    ]
    assert [r[2:] for r in first[1:]] == [[0, 0, None], [1, 0, 0], [2, 1, 0.5]]
    assert book["Primera ronda"]["E4"].number_format == "0.0%"

    assert rows("Hallazgos") == [
        ["Código", "Hallazgos", "Evidencias con el código", "Parte de las evidencias"],
        ["T2-TOTAL-MISMATCH", 3, 2, 0.5],
        ["T4-SCHEMA", 2, 2, 0.5],
    ]
    times = rows("Tiempos de revisión")
    assert times[0][2:] == [
        "Revisiones decididas",
        "Mediana (días hábiles)",
        "Percentil 90 (días hábiles)",
        "Máximo (días hábiles)",
        "Fuera de plazo",
    ]
    assert [r[2:] for r in times[1:]] == [
        [0, None, None, None, 0],
        [1, 5, 5, 5, 0],
        [3, 4, 7, 7, 1],
    ]
    assert rows("Distribución de tiempos") == [
        ["Días hábiles", "Revisiones", "Fuera de plazo"],
        [0, 0, "No"],
        [1, 0, "No"],
        [2, 1, "No"],
        [3, 0, "No"],
        [4, 1, "No"],
        [5, 1, "No"],
        [6, 0, "Sí"],
        [7, 1, "Sí"],
    ]


@pytest.mark.parametrize("path", ["/panel/metricas", "/panel/metricas.xlsx"])
def test_reviewers_are_refused_and_anonymous_visitors_sent_to_sign_in(
    settings, engine, reviewer, path
):
    anonymous = TestClient(create_app())
    response = anonymous.get(path, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/ingresar"
    client = TestClient(create_app())
    sign_in(client)
    refused = client.get(path)
    assert refused.status_code == 403
    assert "Su rol no tiene acceso a esta sección." in refused.text


def test_an_administrator_sees_the_metrics(settings, engine):
    _staff(engine, StaffRole.ADMINISTRADOR, "admin@infonavit.example")
    client = TestClient(create_app())
    sign_in(client, email="admin@infonavit.example", password=PASSWORD)
    assert client.get("/panel/metricas").status_code == 200


BAD_PERIODS = [
    ("desde=2026-13-01", "La fecha «desde» debe ser un día válido con la forma AAAA-MM-DD"),
    ("hasta=15/03/2026", "La fecha «hasta» debe ser un día válido con la forma AAAA-MM-DD"),
    ("desde=2026-02-30", "La fecha «desde» debe ser un día válido"),
    ("desde=%00", "La fecha «desde» debe ser un día válido"),
    ("desde=%D9%A2%D9%A0%D9%A2%D9%A6-01-01", "La fecha «desde» debe ser un día válido"),
    ("desde=2026-03-01&hasta=2026-02-01", "es posterior a la final"),
    ("desde=2015-01-01&hasta=2026-01-01", "a lo más 5 años"),
    ("desde=0001-01-01&hasta=0001-01-02", "fuera del intervalo admitido"),
    ("hasta=9999-12-31", "fuera del intervalo admitido"),
    ("desde=" + "9" * 41, "«desde» es demasiado largo"),
]


@pytest.mark.parametrize("path", ["/panel/metricas", "/panel/metricas.xlsx"])
def test_a_bad_period_is_a_spanish_422(supervisor, path):
    for query, message in BAD_PERIODS:
        response = supervisor.get(f"{path}?{query}")
        assert response.status_code == 422, query
        assert message in response.text, query
