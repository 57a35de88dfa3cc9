"""``/v1/sites``: every site's live state."""

from __future__ import annotations

from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, HTTPException, Query, status

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


@router.get("/{site_id}/forecast", responses={404: {"description": "No such site"}})
def site_forecast(site_id: str, svc: State, hours: Annotated[int, Query(ge=1, le=24 * 14)] = 48,
                  window_h: Annotated[int, Query(ge=1, le=48)] = 2) -> dict[str, Any]:
    """The intensity forecast for a site from now, and the best (lowest mean) window of ``window_h`` hours."""
    if site_id not in svc.site_index:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such site")
    s = svc.site_index[site_id]
    try:
        t = svc.step_of(svc.now())
    except InputError:
        t = 0
    per_h = max(1, int(3600 // svc.ctx.step_s))
    h = min(hours * per_h, svc.ctx.n_steps - t)
    f = svc.policy.forecaster.predict(svc.ctx.signals["intensity_g_per_kwh"], t, h, step_s=svc.ctx.step_s)[:, s]
    w = min(window_h * per_h, len(f))
    means = np.convolve(f, np.ones(w) / w, mode="valid")
    k = int(np.argmin(means))
    return {"site": site_id, "issued_at": svc.time_of(t).isoformat(),
            "times": [svc.time_of(t + i).isoformat() for i in range(len(f))],
            "intensity_g_per_kwh": [float(x) for x in f],
            "best_window": {"start": svc.time_of(t + k).isoformat(), "end": svc.time_of(t + k + w).isoformat(),
                            "mean_intensity_g_per_kwh": float(means[k])}}
