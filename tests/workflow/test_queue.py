"""The review queue's query (workflow.queue): filters, counts, rows and keyset pages."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session

from rules.calendar import BusinessCalendar
from schema import (
    CertificationState,
    ClockKind,
    ClockState,
    Finding,
    FindingSource,
    Severity,
    Verdict,
)
from tests.queue_rows import certification, clock, submission, vendor
from workflow.calendar import load_calendar
from workflow.queue import (
    BadCursor,
    Cursor,
    QueueFilter,
    QueueOrder,
    QueuePage,
    due_limit,
    fetch_page,
    state_counts,
)

S = CertificationState
TZ = ZoneInfo("America/Mexico_City")
# Tuesday 10 March 2026, 11:00 in Mexico City. Monday 16 March is a rest day (third Monday of
# March), so the 4th business day after today is Tuesday 17.
NOW = datetime(2026, 3, 10, 17, 0, tzinfo=UTC)


def end_of(day: int) -> datetime:
    return datetime.combine(date(2026, 3, day), time.max, tzinfo=TZ)


def page(engine, wanted: QueueFilter | None = None, **kwargs) -> QueuePage:
    with Session(engine) as session:
        return fetch_page(session, wanted or QueueFilter(), NOW, load_calendar(session), **kwargs)


def listed(engine, **wanted) -> set[str]:
    return {row.folio for row in page(engine, QueueFilter(**wanted)).rows}


@pytest.fixture
def planted(settings, engine, reviewer) -> dict[str, str]:
    """Seven certifications, one of each situation the filters tell apart; their folios."""
    day = timedelta(days=1)
    with Session(engine) as session:
        nandu = vendor(session, "NAN840428RH1", "Nóminas Ñandú, S.A.")
        exacto = vendor(session, "CEX900101AB2", "Cálculo_100% Exacto")
        html = vendor(session, "SNO010101AA1", "Sistemas <b>Nómina</b>")
        a = certification(session, nandu, S.EN_ESPERA_DE_DOCUMENTOS, NOW - 30 * day)
        clock(session, a, ClockKind.EVIDENCIA, end_of(13))
        b = certification(session, exacto, S.EN_ESPERA_DE_DOCUMENTOS, NOW - 29 * day, round=2)
        clock(session, b, ClockKind.EVIDENCIA, end_of(17))
        submission(session, b, Verdict.CON_INCONSISTENCIAS, round=1, errors=2)
        submission(session, b, Verdict.ILEGIBLE, errors=1)  # refused: still waiting
        c = certification(session, nandu, S.EN_ANALISIS, NOW - 28 * day, reviewer_id=reviewer.id)
        clock(session, c, ClockKind.EVIDENCIA, end_of(2), ClockState.DETENIDO)
        clock(session, c, ClockKind.REVISION, end_of(9))  # its SLA ran out yesterday
        submission(session, c, Verdict.ILEGIBLE, errors=1)
        submission(session, c, Verdict.SIN_INCONSISTENCIAS, warnings=1)
        d = certification(session, exacto, S.EN_ANALISIS, NOW - 27 * day, round=2)
        clock(session, d, ClockKind.REVISION, end_of(12))
        submission(session, d, Verdict.SIN_INCONSISTENCIAS, round=1)
        checked = submission(session, d, Verdict.CON_INCONSISTENCIAS, errors=3, warnings=2)
        assert checked.id is not None
        session.add(
            Finding(
                submission_id=checked.id,
                source=FindingSource.REVISOR,
                code="REV-OBSERVACION",
                severity=Severity.ERROR,
                message="Observación del revisor.",
            )
        )
        submission(session, d, None, examined=False)  # still being read: not the latest examined
        e = certification(session, html, S.CERTIFICADA, NOW - 26 * day)
        clock(session, e, ClockKind.REVISION, end_of(3), ClockState.DETENIDO)
        submission(session, e, Verdict.SIN_INCONSISTENCIAS)
        f = certification(session, html, S.VENCIDA, NOW - 25 * day)
        clock(session, f, ClockKind.EVIDENCIA, end_of(5), ClockState.VENCIDO)
        g = certification(session, nandu, S.EN_ANALISIS, NOW - 24 * day)
        clock(session, g, ClockKind.REVISION, end_of(17))
        submission(session, g, None)  # accepted, but the checks could not run
        session.commit()
        made = (a, b, c, d, e, f, g)
        return {name: cert.folio for name, cert in zip("abcdefg", made, strict=True)}


def pick(planted: dict[str, str], names: str) -> set[str]:
    return {planted[name] for name in names}


def test_without_filters_everything_is_listed_newest_request_first(engine, planted):
    assert [row.folio for row in page(engine).rows] == [planted[n] for n in "gfedcba"]


@pytest.mark.parametrize(
    ("wanted", "expected"),
    [
        ({"state": S.EN_ANALISIS}, "cdg"),
        ({"state": S.CANCELADA}, ""),
        ({"round": 2}, "bd"),
        ({"round": 3}, ""),
        ({"vendor": "nan840"}, "acg"),  # part of the RFC, any case
        ({"vendor": "nóminas"}, "acg"),  # part of the razón social
        ({"vendor": "_100%"}, "bd"),  # LIKE's wildcards are plain characters here
        ({"vendor": "<b>"}, "ef"),
        ({"verdict": Verdict.SIN_INCONSISTENCIAS}, "ce"),  # c: its ilegible upload came first
        ({"verdict": Verdict.CON_INCONSISTENCIAS}, "d"),  # b's was in an earlier round
        ({"verdict": Verdict.ILEGIBLE}, "b"),
        ({"due_within": 0}, "c"),  # overdue counts as due
        ({"due_within": 3}, "acd"),
        ({"due_within": 4}, "abcdg"),  # the rest day on Monday is skipped
        ({"breached": True}, "c"),
        ({"state": S.EN_ANALISIS, "verdict": Verdict.SIN_INCONSISTENCIAS}, "c"),
        ({"vendor": "Ñandú", "due_within": 3, "state": S.EN_ESPERA_DE_DOCUMENTOS}, "a"),
    ],
)
def test_each_filter_narrows_the_queue(engine, planted, wanted, expected):
    assert listed(engine, **wanted) == pick(planted, expected)


def test_the_deadline_order_lists_running_deadlines_soonest_first(engine, planted):
    rows = page(engine, QueueFilter(order=QueueOrder.DEADLINE)).rows
    # b and g end the same instant: the older certification first.
    assert [row.folio for row in rows] == [planted[n] for n in "cdabg"]


def test_counts_per_state_cover_every_state(engine, planted):
    with Session(engine) as session:
        counts = state_counts(session)
    assert counts == {state: 0 for state in S} | {
        S.EN_ESPERA_DE_DOCUMENTOS: 2,
        S.EN_ANALISIS: 3,
        S.CERTIFICADA: 1,
        S.VENCIDA: 1,
    }


def test_a_row_shows_its_deadline_verdict_errors_and_reviewer(engine, planted):
    rows = {row.folio: row for row in page(engine).rows}
    a, c, d = rows[planted["a"]], rows[planted["c"]], rows[planted["d"]]
    g, f = rows[planted["g"]], rows[planted["f"]]
    assert a.deadline is not None and a.deadline.kind is ClockKind.EVIDENCIA
    assert (a.deadline.days_left, a.deadline.over, a.deadline.breached) == (3, False, False)
    assert a.examined is None and a.reviewer is None
    assert c.deadline is not None and c.deadline.breached and c.deadline.days_left == 0
    assert c.examined is not None and c.examined.verdict is Verdict.SIN_INCONSISTENCIAS
    assert c.examined.errors == 0 and c.reviewer == "Ana Núñez"
    # Automatic errors only: neither its warnings nor the reviewer's own finding.
    assert d.examined is not None and d.examined.errors == 3
    assert d.deadline is not None and d.deadline.days_left == 2
    assert g.examined is not None and g.examined.verdict is None
    assert f.deadline is None  # a clock that is over is not a running deadline
    assert (f.rfc, f.razon_social, f.state, f.round) == (
        "SNO010101AA1",
        "Sistemas <b>Nómina</b>",
        S.VENCIDA,
        1,
    )


def test_the_due_limit_is_the_end_of_a_business_day(settings):
    assert due_limit(NOW, 0, BusinessCalendar()) == end_of(10)
    assert due_limit(NOW, 4, BusinessCalendar()) == end_of(17)


@pytest.fixture
def crowd(settings, engine) -> int:
    """Eleven certifications whose sort keys tie in threes, most with a running clock."""
    base = NOW - timedelta(days=60)
    with Session(engine) as session:
        org = vendor(session, "NAN840428RH1", "Nóminas Ñandú, S.A.")
        for i in range(11):
            cert = certification(
                session,
                org,
                S.EN_ANALISIS if i % 2 else S.EN_ESPERA_DE_DOCUMENTOS,
                base + timedelta(hours=i // 3),
                state_changed_at=base + timedelta(days=(i * 7) % 4),
            )
            if i % 4:
                kind = ClockKind.REVISION if i % 2 else ClockKind.EVIDENCIA
                clock(session, cert, kind, end_of(11 + i % 3))
        session.commit()
    return 11


def walk(engine, wanted: QueueFilter, size: int) -> list[list[str]]:
    """Every page, following «next» from the first one."""
    pages, after = [], None
    while True:
        current = page(engine, wanted, after=after, size=size)
        pages.append([row.folio for row in current.rows])
        if current.next is None:
            return pages
        after = current.next


@pytest.mark.parametrize("order", list(QueueOrder))
def test_pages_list_every_row_once_in_order_both_ways(engine, crowd, order):
    wanted = QueueFilter(order=order)
    whole = [row.folio for row in page(engine, wanted, size=100).rows]
    assert len(whole) == (crowd if order is not QueueOrder.DEADLINE else 8)
    forwards = walk(engine, wanted, size=4)
    assert [folio for chunk in forwards for folio in chunk] == whole
    assert all(len(chunk) == 4 for chunk in forwards[:-1])
    # Back from the last page, «previous» gives the same pages again, and the first has none.
    backwards: list[list[str]] = []
    current = page(engine, wanted, size=4)
    for _ in forwards[1:]:
        current = page(engine, wanted, after=current.next, size=4)
    while current.previous is not None:
        current = page(engine, wanted, before=current.previous, size=4)
        backwards.insert(0, [row.folio for row in current.rows])
    assert backwards == forwards[:-1]


def test_the_first_page_has_no_previous_and_the_last_no_next(engine, crowd):
    first = page(engine, size=4)
    assert first.previous is None and first.next is not None
    everything = page(engine, size=crowd)
    assert everything.previous is None and everything.next is None


def test_a_cursor_survives_its_round_trip_and_refuses_what_it_did_not_write():
    cursor = Cursor(datetime(2026, 3, 10, 17, 0, 0, 123456, tzinfo=UTC), 42)
    assert Cursor.decode(cursor.encode()) == cursor
    for tampered in ("", "abc", "1.2.3", "-5.3", "1.", ".1", "9" * 19 + ".1", "1." + "9" * 11):
        with pytest.raises(BadCursor):
            Cursor.decode(tampered)
    with pytest.raises(BadCursor):
        Cursor.decode("9" * 18 + ".1")  # past the year 9999
