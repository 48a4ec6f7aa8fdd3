"""The supervisor's view: SLA breaches, workload per reviewer, reassignment."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
