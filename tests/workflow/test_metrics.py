"""The metrics' figures on a small hand-made history (tests.metrics_history), to the unit."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import Session

from schema import CertificationState
from tests.metrics_history import END, START, build_history
from workflow.metrics import (
    Bucket,
    Granularity,
    PeriodRefused,
    compute_metrics,
    default_period,
    make_period,
)

S = CertificationState
WEEKS = (
    Bucket(date(2026, 1, 5), date(2026, 1, 11)),
    Bucket(date(2026, 1, 12), date(2026, 1, 18)),
    Bucket(date(2026, 1, 19), date(2026, 1, 25)),
)


def test_a_short_period_is_cut_in_calendar_weeks_clipped_to_its_days():
    period = make_period(date(2026, 1, 7), date(2026, 1, 20))
    assert period.granularity is Granularity.SEMANA
    assert period.buckets == (
        Bucket(date(2026, 1, 7), date(2026, 1, 11)),
        Bucket(date(2026, 1, 12), date(2026, 1, 18)),
        Bucket(date(2026, 1, 19), date(2026, 1, 20)),
    )


def test_a_longer_period_is_cut_in_calendar_months():
    period = make_period(date(2025, 11, 15), date(2026, 2, 20))
    assert period.granularity is Granularity.MES
    assert period.buckets == (
        Bucket(date(2025, 11, 15), date(2025, 11, 30)),
        Bucket(date(2025, 12, 1), date(2025, 12, 31)),
        Bucket(date(2026, 1, 1), date(2026, 1, 31)),
        Bucket(date(2026, 2, 1), date(2026, 2, 20)),
    )


def test_the_default_period_is_twelve_months_ending_today():
    period = default_period(date(2026, 3, 15))
    assert (period.start, period.end, period.granularity) == (
        date(2025, 4, 1),
        date(2026, 3, 15),
        Granularity.MES,
    )
    assert len(period.buckets) == 12
    assert period.buckets[-1] == Bucket(date(2026, 3, 1), date(2026, 3, 15))
    assert default_period(date(2026, 1, 31)).start == date(2025, 2, 1)


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        (date(2026, 2, 1), date(2026, 1, 1), "es posterior a la final"),
        (date(2020, 1, 1), date(2026, 1, 1), "a lo más 5 años"),
        (date(1999, 12, 31), date(2000, 1, 5), "fuera del intervalo admitido"),
        (date(2099, 12, 1), date(9999, 12, 31), "fuera del intervalo admitido"),
    ],
)
def test_a_period_that_cannot_be_shown_is_refused_in_spanish(start, end, message):
    with pytest.raises(PeriodRefused, match=message):
        make_period(start, end)


def test_the_figures_of_a_hand_made_history(settings, engine, sent_tasks):
    build_history(engine)
    with Session(engine) as session:
        metrics = compute_metrics(session, make_period(START, END))

    assert [row.bucket for row in metrics.states] == list(WEEKS)
    # C was sent on Sunday 11 at 23:30 in Mexico City (Monday in UTC): still week 1.
    assert [{s: n for s, n in row.counts.items() if n} for row in metrics.states] == [
        {S.EN_ESPERA_DE_DOCUMENTOS: 2, S.EN_ANALISIS: 2},
        {S.EN_ESPERA_DE_DOCUMENTOS: 2, S.EN_ANALISIS: 2},
        {S.EN_ESPERA_DE_DOCUMENTOS: 1, S.CON_INCONSISTENCIAS: 1, S.APROBADA_PENDIENTE_DE_FIRMA: 2},
    ]

    # A's approval in round 2 is not a first-round one.
    assert [(r.decided, r.approved, r.rate) for r in metrics.first_rounds] == [
        (0, 0, None),
        (1, 0, 0.0),
        (2, 1, 0.5),
    ]

    # Four uploads in the period were examined; C's of the 27th is after it, and the copies a
    # rejection passes on to the vendor are the reviewer's, not automatic.
    assert metrics.findings.examined == 4
    assert [(f.code, f.findings, f.submissions, f.share) for f in metrics.findings.codes] == [
        ("T2-TOTAL-MISMATCH", 3, 2, 0.5),
        ("T4-SCHEMA", 2, 2, 0.5),
    ]

    times = metrics.review_times
    assert [(t.days, t.late) for t in times] == [((), 0), ((5,), 0), ((2, 4, 7), 1)]
    assert (times[1].median, times[1].p90, times[1].maximum) == (5, 5, 5)
    assert (times[2].median, times[2].p90, times[2].maximum) == (4, 7, 7)
    assert (times[0].median, times[0].p90, times[0].maximum) == (None, None, None)
    overall = metrics.review_times_overall
    assert (overall.days, overall.median, overall.p90, overall.late) == ((2, 4, 5, 7), 4.5, 7, 1)
    assert overall.histogram == (0, 0, 1, 0, 1, 1, 0, 1)
    assert times[0].histogram == ()
    assert metrics.sla_days == 5


def test_the_states_before_the_period_are_carried_into_it(settings, engine, sent_tasks):
    build_history(engine)
    with Session(engine) as session:
        metrics = compute_metrics(session, make_period(date(2026, 1, 26), date(2026, 2, 1)))
    # Nothing moved that week but C's upload: the counts are those of the history's end.
    (week,) = metrics.states
    assert {s: n for s, n in week.counts.items() if n} == {
        S.EN_ANALISIS: 1,
        S.CON_INCONSISTENCIAS: 1,
        S.APROBADA_PENDIENTE_DE_FIRMA: 2,
    }
    assert metrics.findings.examined == 1
    assert [(f.code, f.share) for f in metrics.findings.codes] == [("WB-FORMAT", 1.0)]
    assert [r.decided for r in metrics.first_rounds] == [0]
    assert metrics.review_times_overall.decided == 0


def test_an_empty_database_has_zeros_and_no_rates(settings, engine):
    with Session(engine) as session:
        metrics = compute_metrics(session, make_period(START, END))
    assert all(row.total == 0 for row in metrics.states)
    assert [r.rate for r in metrics.first_rounds] == [None, None, None]
    assert (metrics.findings.examined, metrics.findings.codes) == (0, ())
    assert metrics.review_times_overall.median is None
