"""`sia migrate`."""

from __future__ import annotations

import click

from core.config import get_settings
from schema.migrate import downgrade, upgrade


@click.command()
@click.option("--to", "revision", default="head", show_default=True, help="Target revision.")
@click.option("--down", is_flag=True, help="Downgrade to the target revision instead.")
def migrate(revision: str, down: bool) -> None:
    """Apply (or revert) database migrations."""
    url = get_settings().database_url
    if down:
        downgrade(url, "base" if revision == "head" else revision)
    else:
        upgrade(url, revision)
    click.echo(f"Base de datos en la revisión «{revision}».")
