"""Operational tasks: a round-trip probe and the nightly audit-chain verification."""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

from core.clock import utcnow
from workers.app import app
from workers.base import SiaTask
from workflow.audit import verify_chain

logger = logging.getLogger(__name__)


@app.task(base=SiaTask, bind=True, name="sia.system.ping")
def ping(self: SiaTask) -> dict[str, Any]:
    """Answers from whichever worker took it: proves broker, worker and result backend work."""
    return {"pong": True, "worker": self.request.hostname, "at": utcnow().isoformat()}


@app.task(base=SiaTask, bind=True, name="sia.system.verify_audit_chain")
def verify_audit_chain(self: SiaTask) -> dict[str, Any]:
    with self.transaction() as session:
        report = verify_chain(session)
    if not report.ok:
        logger.critical("audit chain broken at event %s: %s", report.broken_at, report.problem)
    return dataclasses.asdict(report)
