"""The blob store: files in PostgreSQL (shared by every machine) or under the storage dir
(embedded), content-addressed, immutable, at most 5 MiB each."""

from __future__ import annotations

import hashlib
import os
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from pydantic import ValidationError
from sqlalchemy.engine import Engine

from cli.main import sia
from core.config import Settings
from core.storage import (
    MAX_BLOB_BYTES,
    BlobMissing,
    BlobTooLarge,
    FilesystemBlobs,
    blob_exists,
    read_blob,
    store_blob,
)

on_postgresql = pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)


def _rows(engine: Engine) -> list[tuple[str, str, int, bytes]]:
    with engine.connect() as conn:
        found = conn.execute(sa.text("SELECT key, sha256, size, data FROM blobs ORDER BY key"))
        return [(key, sha, size, bytes(data)) for key, sha, size, data in found]


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_the_store_follows_the_database_unless_told_otherwise(tmp_path, monkeypatch):
    for key in list(os.environ):
        if key.startswith("SIA_") and not key.startswith("SIA_TEST_"):
            monkeypatch.delenv(key)
    postgresql = "postgresql+psycopg://sia@db/sia"
    assert Settings(var_dir=tmp_path).blob_store == "filesystem"
    assert Settings(var_dir=tmp_path, database_url=postgresql).blob_store == "database"
    kept_on_disk = Settings(var_dir=tmp_path, database_url=postgresql, blob_store="filesystem")
    assert kept_on_disk.blob_store == "filesystem"
    with pytest.raises(ValidationError, match="requiere PostgreSQL"):
        Settings(var_dir=tmp_path, blob_store="database")


def test_the_same_bytes_stored_twice_are_kept_once(settings, engine):
    data = b"PK\x03\x04 libro de evidencias \xf1"
    key = store_blob(data, "evidencias")
    digest = hashlib.sha256(data).hexdigest()
    assert key == f"evidencias/{digest[:2]}/{digest}"
    assert store_blob(data, "evidencias") == key
    pdf = store_blob(data, "acuses", ".pdf")
    assert pdf == f"acuses/{digest[:2]}/{digest}.pdf"
    assert read_blob(key) == read_blob(pdf) == data and blob_exists(key)
    files = _files(settings.storage)
    if settings.database_url.startswith("postgresql"):
        assert settings.blob_store == "database"
        assert _rows(engine) == [(pdf, digest, len(data), data), (key, digest, len(data), data)]
        assert files == []  # nothing on this machine's disk
    else:
        assert settings.blob_store == "filesystem" and _rows(engine) == []
        assert files == [settings.storage / pdf, settings.storage / key]
        assert (settings.storage / key).read_bytes() == data
        assert not (settings.storage / key).stat().st_mode & 0o222  # immutable


def test_a_file_over_5_mib_is_refused_and_nothing_is_kept(settings, engine):
    largest = bytes(MAX_BLOB_BYTES)
    assert read_blob(store_blob(largest, "evidencias")) == largest
    with pytest.raises(BlobTooLarge, match="5,242,880 bytes at most"):
        store_blob(largest + b"\x00", "evidencias")
    assert len(_rows(engine)) + len(_files(settings.storage)) == 1


def test_reading_a_key_that_was_never_stored_says_which(settings):
    missing = f"evidencias/ab/{'ab' * 32}"
    assert not blob_exists(missing)
    with pytest.raises(BlobMissing, match=missing) as raised:
        read_blob(missing)
    assert isinstance(raised.value, FileNotFoundError)
    with pytest.raises(ValueError, match="relative"):
        read_blob("../secret-key")


@on_postgresql
def test_workers_storing_the_same_bytes_at_once_all_succeed(settings, engine):
    payloads = [os.urandom(64 * 1024) for _ in range(10)]
    writers = 6
    barrier = threading.Barrier(writers)
    keys: list[list[str]] = []
    errors: list[BaseException] = []

    def store_all() -> None:
        mine = []
        try:
            for data in payloads:
                barrier.wait()  # every writer inserts the same bytes at the same moment
                mine.append(store_blob(data, "capturas", ".png"))
        except BaseException as exc:
            errors.append(exc)
            barrier.abort()
        keys.append(mine)

    threads = [threading.Thread(target=store_all) for _ in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert len(keys) == writers and all(mine == keys[0] for mine in keys)
    assert [row[3] for row in _rows(engine)] == [
        data for _, data in sorted(zip(keys[0], payloads, strict=True))
    ]


@on_postgresql
def test_a_store_that_meets_an_uncommitted_insert_of_the_same_bytes_waits_and_succeeds(
    settings, engine
):
    data = b"%PDF-1.7 acuse"
    digest = hashlib.sha256(data).hexdigest()
    key = f"acuses/{digest[:2]}/{digest}.pdf"
    outcome: list[object] = []

    def store() -> None:
        try:
            outcome.append(store_blob(data, "acuses", ".pdf"))
        except Exception as exc:
            outcome.append(exc)

    with engine.connect() as other:
        other.execute(
            sa.text(
                "INSERT INTO blobs (key, sha256, size, data, created_at) "
                "VALUES (:key, :sha, :size, :data, now())"
            ),
            {"key": key, "sha": digest, "size": len(data), "data": data},
        )
        thread = threading.Thread(target=store)
        thread.start()
        time.sleep(0.5)
        assert thread.is_alive()  # the other worker's insert decides first
        other.commit()
        thread.join(30)
    assert outcome == [key]
    assert len(_rows(engine)) == 1


@on_postgresql
def test_a_storage_dir_moves_into_the_database_under_the_same_keys(settings, engine, tmp_path):
    old = FilesystemBlobs(tmp_path / "old-storage")
    kept = {}
    for n, (area, suffix) in enumerate(
        [("evidencias", ""), ("acuses", ".pdf"), ("capturas", ".png"), ("adjuntos", "")]
    ):
        data = f"archivo {n} \N{LATIN SMALL LETTER N WITH TILDE}".encode()
        digest = hashlib.sha256(data).hexdigest()
        key = f"{area}/{digest[:2]}/{digest}{suffix}"
        old.put(key, data, digest)
        kept[key] = data
    altered_data = b"antes"
    digest = hashlib.sha256(altered_data).hexdigest()
    altered = f"cfdi/{digest[:2]}/{digest}.xml"
    (old.root / altered).parent.mkdir(parents=True)
    (old.root / altered).write_bytes(b"despues")
    (old.root / "llaves").mkdir()
    (old.root / "llaves" / "llave-privada.pem").write_bytes(b"-----BEGIN PRIVATE KEY-----")

    command = ["storage", "migrate-blobs", "--dir", str(old.root)]
    first = CliRunner().invoke(sia, command)
    assert first.exit_code == 1, first.output
    assert "Copiados: 4; ya estaban: 0; omitidos (no son archivos almacenados): 1." in first.output
    assert f"Rechazado {altered}: su contenido no corresponde a su nombre." in first.output
    assert {key: read_blob(key) for key in kept} == kept
    assert not blob_exists(altered) and "llaves" not in str(_rows(engine))

    (old.root / altered).chmod(0o644)
    (old.root / altered).unlink()
    again = CliRunner().invoke(sia, command)
    assert again.exit_code == 0, again.output
    assert "Copiados: 0; ya estaban: 4;" in again.output
    assert len(_rows(engine)) == 4
