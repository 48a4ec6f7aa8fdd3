"""Machines that share only PostgreSQL and Redis share every stored file: a `sia worker` with a
storage dir of its own examines what the web stored, and the web serves what the worker stored."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from core.config import Settings
from core.storage import read_blob
from review.app import create_app
from rules.signing import PRIVATE_KEY_FILE
from schema import EvidenceSubmission, SubmissionStatus
from tests.faults.processes import Worker, workers
from tests.review.staff import sign_in
from tests.vendor import GOOD, PASSWORD, RFC
from workers import queues

STORED_AREAS = {"evidencias", "capturas", "miniaturas", "cfdi", "acuses", "adjuntos"}


def _other_machine(settings: Settings, root: Path) -> dict[str, str]:
    """The environment of a process on another machine: the same database, broker and avisos
    key (provisioned to every machine), and a var dir (storage dir included) of its own."""
    key = root / "avisos.pem"
    root.mkdir()
    shutil.copyfile(settings.storage / "llaves" / PRIVATE_KEY_FILE, key)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIA_")}
    return env | {
        "SIA_DATABASE_URL": settings.database_url,
        "SIA_BROKER_URL": settings.broker_url,
        "SIA_RESULT_BACKEND": settings.result_backend,
        "SIA_VAR_DIR": str(root / "var"),
        "SIA_AVISOS_KEY_FILE": str(key),
    }


def _stored_dirs(root: Path) -> set[str]:
    return {p.name for p in root.rglob("*") if p.is_dir()} & STORED_AREAS


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_a_worker_with_its_own_storage_dir_examines_what_the_web_stored(
    redis_settings, engine, folio, reviewer, tmp_path
):
    web = TestClient(create_app())
    response = web.post(
        f"/api/v1/certificaciones/{folio}/evidencias",
        files={"archivo": ("evidencias.xlsx", GOOD, "application/octet-stream")},
        auth=(RFC, PASSWORD),
    )
    assert response.status_code == 202, response.text
    submission_id = response.json()["id"]

    machine = tmp_path / "otra-maquina"
    with workers() as started:
        env = _other_machine(redis_settings, machine)
        worker = Worker(queues=queues.ALL, env=env, cwd=machine, log=machine / "worker.log")
        started.append(worker)
        deadline = time.monotonic() + 90
        while True:
            with Session(engine) as session:
                submission = session.get(EvidenceSubmission, submission_id)
                assert submission is not None
            if submission.status is not SubmissionStatus.RECIBIDA:
                break
            assert worker.alive(), worker.tail()
            assert time.monotonic() < deadline, f"not examined in 90 s:\n{worker.tail()}"
            time.sleep(0.2)
    assert submission.status is SubmissionStatus.ACEPTADA, worker.tail()
    assert submission.reading is not None

    # The thumbnail the worker stored, served by the web.
    [first, *_] = submission.reading["capturas"]
    sign_in(web)
    shown = web.get(f"/panel/evidencias/{submission_id}/capturas/1/miniatura")
    assert shown.status_code == 200 and shown.headers["content-type"] == "image/png"
    assert shown.content == read_blob(first["miniatura"])
    download = web.get(f"/panel/evidencias/{submission_id}/libro")
    assert download.status_code == 200 and download.content == GOOD
    assert download.headers["content-disposition"].startswith("attachment;")
    # Neither machine kept a stored file on its own disk.
    assert _stored_dirs(redis_settings.var_dir) == set()
    assert _stored_dirs(machine) == set()
