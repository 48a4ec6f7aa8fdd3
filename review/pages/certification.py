"""The certification page: everything a reviewer needs to decide one round."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
