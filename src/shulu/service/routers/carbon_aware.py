"""Carbon Aware SDK compatible routes (placeholder until the full router lands)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["CarbonAware"])
