"""`sia migrate`, and `prepare_database`: what every command that uses the database calls first."""

from __future__ import annotations

from typing import Any, Literal

import click

from cli.params import SpanishCommand

NOT_MIGRATED = "La base de datos no tiene las tablas de esta versión; ¿ya se ejecutó `sia migrate`?"


def is_embedded(database_url: str) -> bool:
    """SQLite is the embedded database (the default, under ./var): nothing to install or run."""
    return database_url.startswith("sqlite")


def prepare_database(*, server: Literal["check", "migrate", "trust"] = "check") -> None:
    """Make the configured database ready for the command about to use it.

    The embedded database (SQLite) is created and migrated on the spot, so any command works in a
    fresh directory. A server database (PostgreSQL) belongs to its operators, who migrate it with
    `sia migrate`: with ``server="check"`` (one-shot commands) the command stops with a Spanish
    message when its tables are missing or behind; ``"migrate"`` (`sia run`, the whole system on
    one machine) applies the migrations; ``"trust"`` (web, worker and beat, which an orchestrator
    starts after `sia migrate`) does not look.

    Tasks that the command's commits queue (``core.enqueue``) go to the configured broker.
    """
    from core import enqueue
    from core.config import get_settings

    enqueue.install_sender(_send_task)
    url = get_settings().database_url
    if is_embedded(url) or server == "migrate":
        _upgrade(url)
    elif server == "check":
        _check_current(url)


def _send_task(task: str, args: tuple[Any, ...]) -> None:
    # Celery is loaded only when a commit has queued a task, not for every command.
    from workers.app import app

    app.send_task(task, args=args, ignore_result=True)  # see workers.app.create_app


def _shown(database_url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(database_url).render_as_string(hide_password=True)


def _reason(exc: Exception) -> str:
    cause = getattr(exc, "orig", None) or exc
    return str(cause).strip().splitlines()[0] if str(cause).strip() else type(cause).__name__


def _upgrade(database_url: str) -> None:
    from alembic.util import CommandError
    from sqlalchemy.exc import SQLAlchemyError

    from schema.migrate import upgrade

    try:
        upgrade(database_url)
    except (SQLAlchemyError, CommandError, OSError) as exc:
        raise click.ClickException(
            f"No se pudo preparar la base de datos {_shown(database_url)}: {_reason(exc)}"
        ) from None


def _check_current(database_url: str) -> None:
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory
    from sqlalchemy.exc import SQLAlchemyError

    from core.db import get_engine
    from schema.migrate import alembic_config

    try:
        with get_engine().connect() as connection:
            current = set(MigrationContext.configure(connection).get_current_heads())
    except SQLAlchemyError as exc:
        raise click.ClickException(
            f"No se pudo conectar con la base de datos {_shown(database_url)}: {_reason(exc)}"
        ) from None
    script = ScriptDirectory.from_config(alembic_config(database_url))
    if current == set(script.get_heads()):
        return
    known = {revision.revision for revision in script.walk_revisions()}
    # A revision this code does not know comes from a newer release: not ours to refuse.
    if not current or current <= known:
        raise click.ClickException(NOT_MIGRATED)


@click.command(cls=SpanishCommand)
@click.option("--to", "revision", default="head", show_default=True, help="Revisión de destino.")
@click.option("--down", is_flag=True, help="Revertir hasta la revisión de destino.")
def migrate(revision: str, down: bool) -> None:
    """Aplica (o revierte) las migraciones de la base de datos."""
    from core.config import get_settings
    from schema.migrate import downgrade, upgrade

    url = get_settings().database_url
    if down:
        downgrade(url, "base" if revision == "head" else revision)
    else:
        upgrade(url, revision)
    click.echo(f"Base de datos en la revisión «{revision}».")
