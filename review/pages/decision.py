"""The reviewer's decision form: approve, or reject with findings."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
