"""``/v1/sites``: every site's live state."""

from __future__ import annotations

from fastapi import APIRouter

from shulu.errors import InputError
from shulu.service.deps import State
from shulu.service.schemas import SitePublic

router = APIRouter(prefix="/v1/sites", tags=["sites"])


@router.get("", response_model=list[SitePublic])
def list_sites(svc: State) -> list[SitePublic]:
    """Sites with their intensity, carbon-free share and planned load now (the horizon's start if now is outside)."""
    try:
        t = svc.step_of(svc.now())
    except InputError:
        t = 0
    sig = svc.ctx.signals
    out = []
    for s, site in enumerate(svc.scenario.network.sites):
        renew = sig["solar_cf"][t, s] * site.supply.solar_kw + sig["wind_cf"][t, s] * site.supply.wind_kw
        demand = max(float(svc.policy.planned_kw[t, s]) + site.server_idle_frac * site.it_capacity_kw, 1e-9)
        onsite = min(1.0, float(renew) / demand)
        share = onsite + (1.0 - onsite) * float(sig["grid_cfe_frac"][t, s])
        out.append(SitePublic(id=site.id, hub=site.hub, lat_deg=site.lat_deg, lon_deg=site.lon_deg,
                              it_capacity_kw=site.it_capacity_kw, planned_kw=float(svc.policy.planned_kw[t, s]),
                              intensity_g_per_kwh=float(sig["intensity_g_per_kwh"][t, s]),
                              renewable_share_frac=share))
    return out
