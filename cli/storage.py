"""`sia storage migrate-blobs`: the stored files of a storage dir into the database's blob store."""

from __future__ import annotations

from pathlib import Path

import click

from cli.database import prepare_database
from cli.params import SpanishGroup


@click.group(name="storage", cls=SpanishGroup)
def storage_group() -> None:
    """Archivos almacenados (evidencias, capturas, acuses, adjuntos)."""


@storage_group.command(name="migrate-blobs")
@click.option(
    "--dir",
    "directory",
    type=click.Path(path_type=Path, file_okay=False),
    help="Directorio de almacenamiento de origen (por omisión, SIA_STORAGE_DIR).",
)
def migrate_blobs(directory: Path | None) -> None:
    """Copia a PostgreSQL los archivos de un directorio de almacenamiento, con la misma ruta.

    Puede repetirse: lo ya copiado se omite. El directorio no se modifica. Código 1 si algún
    archivo no corresponde a su nombre (alterado) o excede 5 MiB.
    """
    from core.config import get_settings
    from core.db import get_engine
    from core.storage import DatabaseBlobs, move_files_to_database

    settings = get_settings()
    if settings.blob_store != "database":
        raise click.ClickException(
            "Los archivos se guardan en el sistema de archivos (SIA_BLOB_STORE=filesystem); "
            "apunte SIA_DATABASE_URL a PostgreSQL para copiarlos a la base de datos."
        )
    source = directory or settings.storage
    if not source.is_dir():
        raise click.ClickException(f"No existe el directorio {source}.")
    prepare_database()
    moved = move_files_to_database(source, DatabaseBlobs(get_engine()))
    click.echo(
        f"Copiados: {moved.copied}; ya estaban: {moved.present}; "
        f"omitidos (no son archivos almacenados): {moved.ignored}."
    )
    for key in moved.altered:
        click.echo(f"Rechazado {key}: su contenido no corresponde a su nombre.", err=True)
    for key in moved.too_large:
        click.echo(f"Rechazado {key}: excede 5 MiB.", err=True)
    if moved.altered or moved.too_large:
        raise SystemExit(1)
