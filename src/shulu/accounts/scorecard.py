"""The green-digital scorecard per hub and per demand city, and scope-2 / 24/7 CFE figures per site.

Metrics (per hub: its sites' totals; per demand city: the attributed footprint of the jobs that came from it):

========================  =====================================================================  ============
metric                    definition                                                             better
========================  =====================================================================  ============
``pue``                   facility energy / IT energy (cities: energy-weighted over their hubs)    lower
``cue_kg_per_kwh``        location-based kgCO2 / IT kWh (cities: per kWh of their jobs' IT)        lower
``green_share_frac``      hourly carbon-free share of demand (on-site renewables + grid CFE)       higher
``heat_reuse_frac``       useful heat recovered / electrical demand (energy reuse factor)          higher
``rack_fill_frac``        jobs' mean IT power / IT capacity (hubs only)                            higher
``carbon_per_compute``    (location-based + gross embodied kg) / kWh of job IT work                lower
========================  =====================================================================  ============

The index: each metric is scaled to 0..1 across the rows (1 = best row, 0 = worst; equal rows score 1), then
averaged with :data:`DEFAULT_WEIGHTS` (renormalised over the metrics a row has) and reported as 0..100, ranked.
Weights are overridable (``shulu scorecard --weights pue=0.3,cue_kg_per_kwh=0.2``).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from shulu import units
from shulu.accounts.attribution import Attribution
from shulu.errors import InputError
from shulu.sim.result import Result

#: Index weights (sum 1), documented in docs/accounts.md.
DEFAULT_WEIGHTS: dict[str, float] = {"pue": 0.2, "cue_kg_per_kwh": 0.25, "green_share_frac": 0.25,
                                     "heat_reuse_frac": 0.05, "rack_fill_frac": 0.1, "carbon_per_compute": 0.15}
#: +1: higher is better; -1: lower is better.
DIRECTION: dict[str, int] = {"pue": -1, "cue_kg_per_kwh": -1, "green_share_frac": 1, "heat_reuse_frac": 1,
                             "rack_fill_frac": 1, "carbon_per_compute": -1}


def parse_weights(text: str | None) -> dict[str, float]:
    """``"pue=0.3,cue_kg_per_kwh=0.2"`` over the defaults (unnamed metrics keep theirs)."""
    w = dict(DEFAULT_WEIGHTS)
    for item in (text or "").split(","):
        if not item.strip():
            continue
        key, sep, val = item.partition("=")
        key = key.strip()
        if not sep or key not in DEFAULT_WEIGHTS:
            raise InputError(f"expected METRIC=WEIGHT with METRIC one of {sorted(DEFAULT_WEIGHTS)}, got {item!r}",
                             field="--weights")
        try:
            w[key] = float(val)
        except ValueError:
            raise InputError(f"weight for {key} must be a number, got {val!r}", field="--weights") from None
        if w[key] < 0:
            raise InputError(f"weight for {key} must be >= 0, got {w[key]}", field="--weights")
    if sum(w.values()) <= 0:
        raise InputError("at least one weight must be > 0", field="--weights")
    return w


def site_report(result: Result) -> pd.DataFrame:
    """Per site: scope 2 location- and market-based side by side (never summed), and the 24/7 CFE score."""
    s = result.sites
    step_h = float(result.provenance["step_s"]) / units.SECONDS_PER_HOUR
    g = s.assign(demand_kwh=s["demand_kw"] * step_h, cfe_kwh=s["cfe_frac"] * s["demand_kw"] * step_h,
                 it_kwh=s["it_kw"] * step_h, facility_kwh=s["facility_kw"] * step_h,
                 heat_kwh=s["heat_recovered_kw"] * step_h, jobs_kwh=s["job_it_kw"] * step_h,
                 import_kwh=s["grid_import_kw"] * step_h).groupby("site", sort=False)
    out = g.agg(scope2_location_kg=("emissions_location_kg", "sum"), scope2_market_kg=("emissions_market_kg", "sum"),
                energy_demand_kwh=("demand_kwh", "sum"), energy_it_kwh=("it_kwh", "sum"),
                energy_facility_kwh=("facility_kwh", "sum"), heat_recovered_kwh=("heat_kwh", "sum"),
                energy_jobs_kwh=("jobs_kwh", "sum"), grid_import_kwh=("import_kwh", "sum"),
                cfe_kwh=("cfe_kwh", "sum"), hours=("demand_kw", "size"))
    out["hours"] = out["hours"] * step_h
    out["cfe_score_frac"] = out["cfe_kwh"] / out["energy_demand_kwh"].where(out["energy_demand_kwh"] > 0)
    return out


def _index(table: pd.DataFrame, weights: Mapping[str, float]) -> pd.DataFrame:
    scores = pd.DataFrame(index=table.index)
    for m, d in DIRECTION.items():
        x = table[m].astype(float)
        lo, hi = x.min(), x.max()
        if not np.isfinite(lo):
            scores[m] = np.nan
            continue
        scaled = (x - lo) / (hi - lo) if hi > lo else x * 0 + 1.0
        scores[m] = scaled if d > 0 else 1.0 - scaled if hi > lo else scaled
    w = pd.Series({m: float(weights.get(m, 0.0)) for m in DIRECTION})
    avail = scores.notna()
    wsum = (avail * w).sum(axis=1)
    out = table.copy()
    out["index"] = 100.0 * (scores.fillna(0.0) * w).sum(axis=1) / wsum.where(wsum > 0)
    out["rank"] = out["index"].rank(ascending=False, method="min").astype("Int64")
    return out.sort_values("index", ascending=False)


def scorecard(result: Result, att: Attribution, weights: Mapping[str, float] | None = None
              ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The scorecard per hub and per demand city, each with its ranked index."""
    weights = dict(DEFAULT_WEIGHTS if weights is None else weights)
    info = result.provenance.get("site_info") or {}
    sr = site_report(result)
    hub = pd.Series({s: (info.get(s, {}).get("hub") or s) for s in sr.index})
    cap = pd.Series({s: float(info.get(s, {}).get("it_capacity_kw", np.nan)) for s in sr.index})
    emb = att.jobs.groupby("site")["embodied_kg"].sum().reindex(sr.index, fill_value=0.0) + att.unallocated[
        "embodied_idle_kg"].reindex(sr.index, fill_value=0.0) + att.unallocated["embodied_battery_kg"].reindex(
        sr.index, fill_value=0.0)
    h = sr.assign(hub=hub, capacity_kwh=cap * sr["hours"], embodied_kg=emb).groupby("hub").sum(numeric_only=True)
    hubs = pd.DataFrame({
        "pue": h["energy_facility_kwh"] / h["energy_it_kwh"],
        "cue_kg_per_kwh": h["scope2_location_kg"] / h["energy_it_kwh"],
        "green_share_frac": h["cfe_kwh"] / h["energy_demand_kwh"],
        "heat_reuse_frac": h["heat_recovered_kwh"] / h["energy_demand_kwh"],
        "rack_fill_frac": h["energy_jobs_kwh"] / h["capacity_kwh"],
        "carbon_per_compute": (h["scope2_location_kg"] + h["embodied_kg"]) / h["energy_jobs_kwh"].where(
            h["energy_jobs_kwh"] > 0),
        "scope2_location_kg": h["scope2_location_kg"], "scope2_market_kg": h["scope2_market_kg"],
    }).replace([np.inf, -np.inf], np.nan)
    hubs.index.name = "hub"

    j = att.jobs[att.jobs["energy_kwh"] > 0]
    site_pue = sr["energy_facility_kwh"] / sr["energy_it_kwh"]
    jj = j.assign(pue_w=j["energy_kwh"] * j["site"].map(site_pue),
                  heat=j["heat_recovered_kwh"])
    c = jj.groupby("origin").agg(energy_kwh=("energy_kwh", "sum"), it=("energy_it_kwh", "sum"),
                                 loc=("emissions_location_kg", "sum"), mkt=("emissions_market_kg", "sum"),
                                 cfe=("cfe_kwh", "sum"), heat=("heat", "sum"), emb=("embodied_kg", "sum"),
                                 pue_w=("pue_w", "sum"))
    cities = pd.DataFrame({
        "pue": c["pue_w"] / c["energy_kwh"], "cue_kg_per_kwh": c["loc"] / c["it"],
        "green_share_frac": c["cfe"] / c["energy_kwh"], "heat_reuse_frac": c["heat"] / c["energy_kwh"],
        "rack_fill_frac": np.nan, "carbon_per_compute": (c["loc"] + c["emb"]) / c["it"],
        "scope2_location_kg": c["loc"], "scope2_market_kg": c["mkt"],
    }).replace([np.inf, -np.inf], np.nan)
    cities.index.name = "city"
    return _index(hubs, weights), _index(cities, weights)
