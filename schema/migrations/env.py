"""Alembic environment: the URL comes from the configuration built by schema.migrate, or from
the application settings when run through the `alembic` command."""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from sqlalchemy.engine import Connection
from sqlmodel.sql.sqltypes import AutoString

import schema
from core.config import get_settings
from core.db import make_engine

config = context.config
url = config.get_main_option("sqlalchemy.url") or get_settings().database_url


def run_migrations() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            _run(conn)
    finally:
        engine.dispose()


def _render_item(type_: str, obj: Any, _context: Any) -> str | Literal[False]:
    # SQLModel's AutoString is a plain VARCHAR; render it as such so migrations need only sa.
    if type_ == "type" and isinstance(obj, AutoString):
        return f"sa.String(length={obj.length})" if obj.length else "sa.String()"
    return False


def _run(connection: Connection) -> None:
    # SQLite alters a table by copying it: with foreign keys enforced, dropping the old copy of a
    # table that others reference fails. They are off while migrating and checked before commit
    # (SQLite ignores the pragma inside a transaction, hence around it).
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        _sqlite_foreign_keys(connection, enforced=False)
    context.configure(
        connection=connection,
        target_metadata=schema.metadata,
        render_as_batch=True,  # SQLite can only ALTER through table copies
        compare_type=True,
        render_item=_render_item,
    )
    try:
        with context.begin_transaction():
            context.run_migrations()
            if sqlite and (broken := connection.exec_driver_sql("PRAGMA foreign_key_check").all()):
                raise RuntimeError(f"migration left rows without their parent: {broken[:5]}")
    finally:
        if sqlite:
            _sqlite_foreign_keys(connection, enforced=True)


def _sqlite_foreign_keys(connection: Connection, *, enforced: bool) -> None:
    if connection.in_transaction():
        connection.commit()
    # On the driver's connection: through SQLAlchemy it would run inside a BEGIN (core.db).
    driver = connection.connection.driver_connection
    assert driver is not None
    driver.execute(f"PRAGMA foreign_keys={'ON' if enforced else 'OFF'}")


if context.is_offline_mode():
    raise SystemExit("Offline (SQL script) migrations are not supported; run `sia migrate`.")
run_migrations()
