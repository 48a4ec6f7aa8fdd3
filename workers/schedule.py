"""Beat schedule, in code. Deadlines live in the database and are swept from here; they never
become ETA tasks (a broker restart or a visibility timeout would lose or duplicate them)."""

from __future__ import annotations

from typing import Any

from celery.schedules import crontab

BEAT_SCHEDULE: dict[str, dict[str, Any]] = {
    "verify-audit-chain-nightly": {
        "task": "sia.system.verify_audit_chain",
        "schedule": crontab(hour="2", minute="15"),
    },
}
