"""Metrics with plots (server-rendered SVG), and the same figures as .xlsx."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
