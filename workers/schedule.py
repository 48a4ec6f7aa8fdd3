"""Beat schedule, in code. Deadlines live in the database and are swept from here; they never
become ETA tasks (a broker restart or a visibility timeout would lose or duplicate them)."""

from __future__ import annotations

from typing import Any

from celery.schedules import crontab

from core.config import Settings


def beat_schedule(settings: Settings) -> dict[str, dict[str, Any]]:
    return {
        # Reminders, expiries and review-SLA alerts: each acts once however often it runs.
        "scan-deadlines": {
            "task": "sia.deadlines.scan",
            "schedule": float(settings.deadline_scan_seconds),
            "options": {"expires": settings.deadline_scan_seconds},
        },
        **_FIXED,
    }


_FIXED: dict[str, dict[str, Any]] = {
    # The fast path is the kick after each commit; this catches kicks the broker never got,
    # retries whose backoff has passed and claims left stale by a dead worker.
    "relay-outbox-every-minute": {
        "task": "sia.mail.relay",
        "schedule": 60.0,
        "options": {"expires": 55},  # a sweep nobody ran in time is superseded by the next
    },
    "sweep-pending-dispatch": {
        "task": "sia.certifications.sweep_pending_dispatch",
        "schedule": 5 * 60,
    },
    "sweep-pending-relationships": {
        "task": "sia.relationships.sweep_pending",
        "schedule": 2 * 60,
    },
    "sweep-unexamined-evidence": {
        "task": "sia.evidence.sweep_unexamined",
        "schedule": 2 * 60,
    },
    "verify-audit-chain-nightly": {
        "task": "sia.system.verify_audit_chain",
        "schedule": crontab(hour="2", minute="15"),
    },
}
