"""Entry point of the ``sia`` command.

Every ``cli`` module imports only click (and ``cli.params``) at the top; a command imports what it
needs (database, Celery, workbook readers) when it runs, so ``sia --help`` stays fast.
tests/cli/test_help.py checks it.
"""

from __future__ import annotations

import click

from cli.audit import audit
from cli.avisos import avisos_group
from cli.calendar import calendar_group
from cli.certification import certification_group
from cli.database import migrate
from cli.deadlines import deadlines_group
from cli.efirma import efirma_group
from cli.evidence import evidence
from cli.params import SpanishGroup
from cli.processes import beat, flower, ping, web, worker
from cli.relationships import relationships_group
from cli.retention import retention
from cli.run import run
from cli.staff import create_staff, staff_token
from cli.storage import storage_group
from cli.testset import testset_group


@click.group(cls=SpanishGroup, context_settings={"help_option_names": ["-h", "--help"]})
def sia() -> None:
    """SIA Certificación: back office que certifica a los desarrolladores de software de nómina."""


for command in (
    run,
    web,
    worker,
    beat,
    flower,
    ping,
    migrate,
    create_staff,
    staff_token,
    audit,
    avisos_group,
    calendar_group,
    certification_group,
    deadlines_group,
    efirma_group,
    evidence,
    relationships_group,
    retention,
    storage_group,
    testset_group,
):
    sia.add_command(command)


def main() -> None:
    sia()


if __name__ == "__main__":
    main()
