from datetime import UTC, date, datetime

import pytest
from click.testing import CliRunner
from sqlmodel import Session, select

from cli.main import sia
from rules.calendar import add_business_days, statutory_rest_days
from schema import NonWorkingDay
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
