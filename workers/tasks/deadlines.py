"""Deadline task: the scan that sends reminders, expires certifications and alerts on the review
SLA (beat runs it every few minutes)."""

from __future__ import annotations

from typing import Any

from workers.app import app
from workers.base import SiaTask
from workflow.deadlines import DEADLINES_TASK, scan


@app.task(base=SiaTask, bind=True, name=DEADLINES_TASK)
def scan_deadlines(self: SiaTask) -> dict[str, Any]:
    return scan(self.transaction).to_json()
