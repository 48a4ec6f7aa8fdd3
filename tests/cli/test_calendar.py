import pytest
from click.testing import CliRunner

from cli.calendar import calendar_group
from rules.calendar import statutory_rest_days

# The command reads the published non-working days from the database the settings point at.
pytestmark = [
    pytest.mark.usefixtures("settings"),
    pytest.mark.parametrize("db_url", ["sqlite"], indirect=True),
]


def run(*args: str):
    return CliRunner().invoke(calendar_group, list(args))


def test_add_prints_the_deadline_of_the_worked_example():
    result = run("add", "2026-01-09", "45")
    assert result.exit_code == 0, result.output
    assert result.output == "2026-03-17\n"


def test_add_reads_an_iso_datetime_with_offset_in_mexico_city():
    # Thursday 12 March 23:30 in Mexico City, written in UTC.
    result = run("add", "2026-03-13T05:30:00+00:00", "5")
    assert result.exit_code == 0, result.output
    assert result.output == "2026-03-20\n"


def test_add_reads_a_datetime_without_offset_as_mexico_city_time():
    result = run("add", "2026-03-12T23:30:00", "5")
    assert result.exit_code == 0, result.output
    assert result.output == "2026-03-20\n"


def test_inhabil_option_adds_non_working_days():
    result = run("add", "2026-03-25", "10", "--inhabil", "2026-04-02", "--inhabil", "2026-04-03")
    assert result.exit_code == 0, result.output
    assert result.output == "2026-04-10\n"


def test_between_counts_business_days_after_start_through_end():
    assert run("between", "2026-01-09", "2026-03-17").output == "45\n"
    assert run("between", "2026-01-09", "2026-03-17", "--inhabil", "2026-02-20").output == "44\n"


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("add", "2026-13-01", "45"), "no es una fecha"),
        (("add", "ayer", "45"), "no es una fecha"),
        (("add", "2026-01-09", "0"), "mayor que cero"),
        (("add", "2026-01-09", "-3"), "opción -3"),  # click reads it as an option
        (("add", "2026-01-09", "cuarenta"), "mayor que cero"),
        (("add", "2026-01-09"), "falta 'N'"),
        (("add",), "falta 'EVENT_DATE'"),
        (("add", "2026-01-09", "45", "46"), "sobran argumentos"),
        (("add", "2026-01-09", "45", "--zona", "x"), "opción --zona"),
        (("between", "2026-01-09", "17/03/2026"), "no es una fecha AAAA-MM-DD"),
        (("between", "2026-01-09", "2026-03-17", "--inhabil", "mañana"), "'--inhabil'"),
        (("between", "2026-01-09", "2026-03-17", "--inhabil"), "opción --inhabil"),
    ],
)
def test_bad_input_exits_2_with_a_spanish_message(args, fragment):
    result = run(*args)
    assert result.exit_code == 2
    assert fragment in result.output
    assert result.output.startswith("Error: ")
    assert "Usage" not in result.output
    assert "Invalid" not in result.output


def test_calendar_administration_from_the_command_line():
    added = run("add-day", "2026-04-02", "Jueves Santo")
    assert added.exit_code == 0 and "Calendario actualizado (02/abr/2026)" in added.output
    listed = run("list", "2026").output.splitlines()
    assert "2026-04-02  02/abr/2026  [publicado]  Jueves Santo" in listed
    assert any(line.startswith("2026-03-16  16/mar/2026  [ley]") for line in listed)
    assert len(listed) == len(statutory_rest_days(2026)) + 1
    again = run("add-day", "2026-04-02", "Jueves Santo")
    assert again.exit_code == 1 and "ya está en el calendario" in again.output
    malformed = run("add-day", "2026-02-30", "x")
    assert malformed.exit_code == 2 and "no es una fecha AAAA-MM-DD" in malformed.output
    removed = run("remove-day", "2026-04-02")
    assert removed.exit_code == 0, removed.output
    gone = run("remove-day", "2026-04-02")
    assert gone.exit_code == 1 and "no está en el calendario" in gone.output
