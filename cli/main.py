"""Entry point of the ``sia`` command."""

from __future__ import annotations

import click

from cli.audit import audit
from cli.calendar import calendar_group
from cli.certification import certification_group
from cli.database import migrate
from cli.evidence import evidence
from cli.processes import beat, flower, ping, web, worker
from cli.retention import retention
from cli.run import run
from cli.staff import create_staff
from cli.testset import testset_group


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def sia() -> None:
    """SIA Certificación: back office that certifies payroll-software vendors."""


for command in (
    run,
    web,
    worker,
    beat,
    flower,
    ping,
    migrate,
    create_staff,
    audit,
    calendar_group,
    certification_group,
    evidence,
    retention,
    testset_group,
):
    sia.add_command(command)


def main() -> None:
    sia()


if __name__ == "__main__":
    main()
