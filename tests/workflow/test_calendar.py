from datetime import UTC, date, datetime

import pytest
from click.testing import CliRunner
from sqlmodel import Session, select

from cli.main import sia
from rules.calendar import add_business_days, statutory_rest_days
from schema import NonWorkingDay
from tests.certifications import request_and_dispatch
from workflow.calendar import load_calendar


def test_published_2026_table_is_seeded_and_is_exactly_the_statutory_days(engine):
    with Session(engine) as session:
        rows = session.exec(select(NonWorkingDay)).all()
    assert {r.day for r in rows} == statutory_rest_days(2026)
    assert {r.source for r in rows} == {"DOF 2026"} and all(r.description for r in rows)


def test_a_day_added_to_the_table_moves_deadlines(engine):
    sent = datetime(2026, 3, 25, 12, tzinfo=UTC)
    with Session(engine) as session:
        assert add_business_days(sent, 10, load_calendar(session)).date() == date(2026, 4, 8)
        for day in (date(2026, 4, 2), date(2026, 4, 3)):
            session.add(NonWorkingDay(day=day, description="Semana Santa", source="DOF 2026"))
        session.commit()
        assert add_business_days(sent, 10, load_calendar(session)).date() == date(2026, 4, 10)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_cli_reads_the_table(settings, engine):
    assert CliRunner().invoke(sia, ["calendar", "add", "2026-03-25", "10"]).output == "2026-04-08\n"
    with Session(engine) as session:
        session.add(NonWorkingDay(day=date(2026, 4, 2), description="Jueves Santo", source="DOF"))
        session.commit()
    assert CliRunner().invoke(sia, ["calendar", "add", "2026-03-25", "10"]).output == "2026-04-09\n"


def _last_day(engine, certification_id: int) -> date:
    from rules.calendar import MEXICO_CITY
    from schema import Certification, ClockKind
    from workflow.clocks import current_clock

    with Session(engine) as session:
        certification = session.get(Certification, certification_id)
        assert certification is not None
        clock = current_clock(session, certification, ClockKind.EVIDENCIA)
        assert clock is not None
        return clock.due_at.astimezone(MEXICO_CITY).date()


HOLY_THURSDAY, HOLY_FRIDAY = date(2026, 4, 2), date(2026, 4, 3)


def test_publishing_holy_week_moves_running_deadlines_and_never_reopens_a_passed_one(
    settings, engine, sent_tasks
):
    from core.clock import travel_to
    from rules.calendar import MEXICO_CITY
    from schema import AuditEvent
    from workflow.calendar import add_non_working_day, remove_non_working_day

    passed = request_and_dispatch(
        engine, "CAC840428RH1", datetime(2026, 1, 9, 10, tzinfo=MEXICO_CITY)
    )
    pending = request_and_dispatch(
        engine, "GODE561231GR8", datetime(2026, 3, 25, 10, tzinfo=MEXICO_CITY)
    )
    assert (_last_day(engine, passed), _last_day(engine, pending)) == (
        date(2026, 3, 17),
        date(2026, 5, 28),
    )
    with travel_to(datetime(2026, 3, 30, 12, tzinfo=MEXICO_CITY)):
        with Session(engine) as session:
            for day in (HOLY_THURSDAY, HOLY_FRIDAY):
                change = add_non_working_day(session, day, "Semana Santa", actor="admin:1")
                assert [m.clock.certification_id for m in change.moved] == [pending]
            session.commit()
        assert _last_day(engine, pending) == date(2026, 6, 1)  # two business days later
        assert _last_day(engine, passed) == date(2026, 3, 17)  # passed: stays passed
        with Session(engine) as session:
            remove_non_working_day(session, HOLY_THURSDAY, actor="admin:1")
            remove_non_working_day(session, HOLY_FRIDAY, actor="admin:1")
            session.commit()
        assert _last_day(engine, pending) == date(2026, 5, 28)
    with Session(engine) as session:
        actions = [
            (e.action, e.entity_id)
            for e in session.exec(select(AuditEvent).where(AuditEvent.actor == "admin:1"))
        ]
    assert actions.count(("deadline.recomputed", pending)) == 4
    assert [a for a, _ in actions if a.startswith("calendar.")] == [
        "calendar.day_added",
        "calendar.day_added",
        "calendar.day_removed",
        "calendar.day_removed",
    ]


@pytest.mark.parametrize(
    ("day", "reason", "message"),
    [
        (date(2026, 1, 1), "Año nuevo", "descanso obligatorio"),
        (date(2026, 4, 4), "Sábado de Gloria", "fin de semana"),
        (date(2026, 4, 2), "   ", "motivo"),
        (date(2026, 4, 2), "x" * 201, "200 caracteres"),
    ],
)
def test_adding_a_day_that_is_already_non_working_is_refused(engine, day, reason, message):
    from workflow.calendar import add_non_working_day
    from workflow.refusals import CalendarRefused

    with Session(engine) as session, pytest.raises(CalendarRefused, match=message):
        add_non_working_day(session, day, reason, actor="t")


def test_a_day_is_published_once_and_only_published_days_are_removed(settings, engine):
    from workflow.calendar import add_non_working_day, remove_non_working_day
    from workflow.refusals import CalendarReason, CalendarRefused

    with Session(engine) as session:
        add_non_working_day(session, HOLY_THURSDAY, "Jueves Santo", actor="t")
        with pytest.raises(CalendarRefused) as again:
            add_non_working_day(session, HOLY_THURSDAY, "Jueves Santo", actor="t")
        assert again.value.reason is CalendarReason.ALREADY_NON_WORKING
        with pytest.raises(CalendarRefused) as missing:
            remove_non_working_day(session, HOLY_FRIDAY, actor="t")
        assert missing.value.reason is CalendarReason.NOT_IN_CALENDAR
        with pytest.raises(CalendarRefused) as statutory:
            remove_non_working_day(session, date(2026, 9, 16), actor="t")
        assert statutory.value.reason is CalendarReason.STATUTORY
