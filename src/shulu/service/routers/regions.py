"""``/v1/regions``: the demand regions jobs may come from."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from shulu.service.deps import State

router = APIRouter(prefix="/v1/regions", tags=["sites"])


@router.get("")
def list_regions(svc: State) -> list[dict[str, Any]]:
    """Demand regions: id, name, position [°]."""
    return [{"id": r.id, "name": r.name, "lat_deg": r.lat_deg, "lon_deg": r.lon_deg}
            for r in svc.scenario.network.demand_regions]
