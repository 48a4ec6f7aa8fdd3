"""The administrator's pages: staff, calendar, dead letters, queues and workers."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
