"""PostgreSQL restarted under load: the web answers 503 meanwhile, then recovers without a
restart (issue 18).

``tests/review/test_error_handling.py`` swaps the app's engine for one that cannot connect;
here a real PostgreSQL server of the test's own (initdb in a temporary directory, migrated)
goes down with ``pg_ctl stop -m fast`` (a restart) or ``-m immediate`` (a crash) — cutting the
sessions in flight and every pooled connection — while clients keep asking the web app (a real
uvicorn server) for ``/healthz``, the public registry's page and its JSON API. While it is
down, every answer is a prompt Spanish 503 (with ``Retry-After`` where a client should retry;
``/healthz`` after at most its monitor's freshness window);
never a 500, a dropped connection or a hang. Once it is back, the same app process answers 200
again.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy.engine import Engine

from review.app import create_app
from review.health import FRESH_S
from schema.migrate import upgrade
from tests.faults.processes import PostgresServer, postgres_server, wait_until
from tests.registry_rows import certified_vendor
from tests.review.servers import serving

pytestmark = pytest.mark.slow

HEALTH = "/healthz"
API = "/api/v1/desarrolladores-certificados"
PAGE = "/desarrolladores-certificados"
PATHS = (HEALTH, API, PAGE)
CLIENTS = 6
TIMEOUT = 5.0  # no answer may take longer
DOWN_FOR = 2.0
VENDOR_RFC = "CAC840428RH1"
UNAVAILABLE = "El servicio no está disponible por el momento. Intente de nuevo en unos segundos."


@pytest.fixture
def own_postgres() -> Iterator[PostgresServer]:
    with postgres_server() as server:
        yield server


@pytest.fixture
def db_url(own_postgres: PostgresServer) -> str:
    """The test's database on its own server (``settings`` and ``engine`` use it)."""
    url = own_postgres.create_database("sia")
    upgrade(url)
    return url


@dataclass(frozen=True)
class Answer:
    path: str
    sent: float  # time.monotonic()
    took: float
    status: int | None = None
    retry_after: str | None = None
    body: str = ""
    json: object = None
    error: str | None = None


class Load:
    """``CLIENTS`` clients asking for ``PATHS`` in turn, as fast as they are answered."""

    def __init__(self, port: int) -> None:
        self.base = f"http://127.0.0.1:{port}"
        self.answers: list[Answer] = []
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._client, args=(n,), daemon=True) for n in range(CLIENTS)
        ]

    def __enter__(self) -> Load:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(TIMEOUT + 5)

    def _client(self, n: int) -> None:
        paths = itertools.islice(itertools.cycle(PATHS), n, None)
        with httpx.Client(base_url=self.base, timeout=TIMEOUT) as client:
            while not self._stop.is_set():
                path = next(paths)
                sent = time.monotonic()
                try:
                    response = client.get(path)
                except httpx.HTTPError as exc:
                    error = f"{type(exc).__name__}: {exc}"
                    self.answers.append(Answer(path, sent, time.monotonic() - sent, error=error))
                    continue
                is_json = response.headers.get("content-type", "").startswith("application/json")
                self.answers.append(
                    Answer(
                        path,
                        sent,
                        time.monotonic() - sent,
                        response.status_code,
                        response.headers.get("retry-after"),
                        response.text,
                        response.json() if is_json else None,
                    )
                )
                time.sleep(0.01)

    def between(self, start: float, end: float) -> list[Answer]:
        """Answers to requests sent in [start, end] and answered by ``end``."""
        return [a for a in self.answers if start <= a.sent and a.sent + a.took <= end]

    def after(self, start: float) -> list[Answer]:
        return [a for a in self.answers if a.sent >= start]


def _check_unavailable(answer: Answer) -> None:
    assert answer.status == 503, answer
    if answer.path == HEALTH:
        assert isinstance(answer.json, dict) and answer.json["status"] == "error", answer
        assert answer.json["database"]["ok"] is False, answer
    elif answer.path == API:
        assert answer.json == {"detail": UNAVAILABLE}, answer
        assert answer.retry_after == "5", answer
    else:
        assert "no está disponible" in answer.body and "<html" in answer.body.lower(), answer
        assert answer.retry_after == "5", answer


def _check_ok(answer: Answer) -> None:
    assert answer.status == 200, answer
    if answer.path == API:
        assert isinstance(answer.json, dict)
        assert [c["rfc"] for c in answer.json["certificados"]] == [VENDOR_RFC], answer
    elif answer.path == PAGE:
        assert VENDOR_RFC in answer.body, answer


@pytest.mark.parametrize(
    "mode",
    [
        "fast",  # a restart: sessions are told to end, the server checkpoints
        "immediate",  # a crash: every process quits at once; crash recovery at the start
    ],
)
def test_the_web_answers_503_while_postgresql_restarts_and_then_recovers(
    mode: str, own_postgres: PostgresServer, settings: object, engine: Engine
) -> None:
    certified_vendor(engine, VENDOR_RFC, "Nóminas Ñandú", datetime(2026, 1, 5, tzinfo=UTC))
    engine.dispose()  # only the app's own connections from here

    with serving(create_app()) as port, Load(port) as load:
        wait_until(lambda: len(load.answers) >= 3 * CLIENTS, 10, "the load to get going")
        stopping = time.monotonic()
        own_postgres.stop(mode)  # sessions in flight and pooled connections are cut
        down = time.monotonic()
        assert not own_postgres.running()
        time.sleep(DOWN_FOR)
        starting = time.monotonic()
        own_postgres.start()
        up = time.monotonic()

        def recovered() -> bool:
            return {a.path for a in load.after(up) if a.status == 200} == set(PATHS)

        wait_until(recovered, 10, "every path to answer 200 again")
        back = max(min(a.sent for a in load.after(up) if a.path == p and a.status == 200)
                   for p in PATHS)  # fmt: skip
        time.sleep(1.0)  # and keep going a while
    ended = time.monotonic()

    answers = load.answers
    assert not [a for a in answers if a.error], [a for a in answers if a.error][:5]
    assert {a.status for a in answers} <= {200, 503}, [a for a in answers if a.status == 500][:3]
    slowest = max(answers, key=lambda a: a.took)
    assert slowest.took < 3.0, slowest

    before = load.between(0, stopping)
    assert before and all(a.status == 200 for a in before)
    for answer in before:
        _check_ok(answer)

    outage = load.between(down, starting)
    assert {a.path for a in outage} == set(PATHS), "each path was asked while it was down"
    for answer in outage:
        if answer.path == HEALTH and answer.status == 200:
            # /healthz serves its latest probe, taken before the stop, for a moment more.
            assert answer.sent < down + FRESH_S + 0.5, answer
            continue
        _check_unavailable(answer)
    assert any(a.path == HEALTH and a.status == 503 for a in outage)
    for answer in load.between(stopping, ended):
        if answer.status == 503:
            _check_unavailable(answer)

    # Back without restarting the app: promptly, and for good.
    assert back - up < 5.0
    settled = load.after(back + 0.5)
    assert len(settled) >= CLIENTS and all(a.status == 200 for a in settled), [
        a for a in settled if a.status != 200
    ][:3]
    for answer in settled:
        _check_ok(answer)
