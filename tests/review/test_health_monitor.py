"""/healthz's monitor: how old an answer may be, and that callers share one probe."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from review import health
from review.health import HealthMonitor, Probe


class Probes:
    """Stands in for the real probes: counts calls and answers what the test says."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls = 0
        self.database = Probe(True)
        self.release = threading.Event()
        self.release.set()
        monkeypatch.setattr(health, "probe_database", self._database)
        monkeypatch.setattr(health, "probe_broker", lambda settings: Probe(True))

    def _database(self, engine: object) -> Probe:
        self.calls += 1
        self.release.wait(10)
        return self.database


def _probe(monitor: HealthMonitor, settings: object) -> tuple[Probe, Probe]:
    return asyncio.run(monitor.probes(settings))  # type: ignore[arg-type]


def test_a_fresh_answer_is_served_without_probing_again(settings, monkeypatch):
    probes = Probes(monkeypatch)
    monitor = HealthMonitor(fresh_s=60, serve_for_s=120)
    assert _probe(monitor, settings) == (Probe(True), Probe(True))
    for _ in range(5):
        _probe(monitor, settings)
    assert probes.calls == 1


def test_a_stale_answer_is_served_while_one_new_probe_runs(settings, monkeypatch):
    probes = Probes(monkeypatch)
    monitor = HealthMonitor(fresh_s=0.05, serve_for_s=60)
    _probe(monitor, settings)
    time.sleep(0.1)
    probes.release.clear()  # the next probe hangs until released
    probes.database = Probe(False, "caída")
    started = time.monotonic()
    answers = [_probe(monitor, settings) for _ in range(3)]
    assert time.monotonic() - started < 1, "callers waited for the hanging probe"
    assert all(database.ok for database, _ in answers)
    deadline = time.monotonic() + 5
    while probes.calls < 2:  # the new probe starts on the probes' thread
        assert time.monotonic() < deadline, "no new probe started"
        time.sleep(0.01)
    time.sleep(0.05)
    assert probes.calls == 2, "one new probe for all the callers"
    probes.release.set()
    deadline = time.monotonic() + 5
    while _probe(monitor, settings)[0].ok:
        assert time.monotonic() < deadline, "the failed probe was never adopted"
        time.sleep(0.01)
    assert _probe(monitor, settings)[0] == Probe(False, "caída")


def test_past_its_limit_an_answer_is_not_served_and_callers_wait(settings, monkeypatch):
    probes = Probes(monkeypatch)
    monitor = HealthMonitor(fresh_s=0.01, serve_for_s=0.05)
    _probe(monitor, settings)
    time.sleep(0.1)
    probes.database = Probe(False, "caída")
    assert _probe(monitor, settings)[0] == Probe(False, "caída")
    assert probes.calls == 2


def test_concurrent_first_callers_share_one_probe(settings, monkeypatch):
    probes = Probes(monkeypatch)
    probes.release.clear()
    monitor = HealthMonitor()

    async def many() -> list[tuple[Probe, Probe]]:
        waiting = [asyncio.ensure_future(monitor.probes(settings)) for _ in range(10)]
        await asyncio.sleep(0.05)
        probes.release.set()
        return await asyncio.gather(*waiting)

    answers = asyncio.run(many())
    assert probes.calls == 1 and all(database.ok for database, _ in answers)
