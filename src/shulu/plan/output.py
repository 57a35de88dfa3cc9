"""The plan as files, the planned scenario the twin runs, and the check of the plan's promises in the twin.

``OUT/``

* ``plan.csv`` — per site: today's and added IT capacity, solar, wind and battery, planned PUE, load, energy,
  green share, cost and emissions;
* ``allocation.csv`` — which site serves which share of each (region, class);
* ``lines.csv`` — UHV line capacity contracted; ``transmission.csv`` — move bits vs move electrons per hub pair;
* ``summary.json`` — the totals, the options, the constants with their sources, and (with the check) what the
  twin measured for the plan and for today's network;
* ``scenario/`` — a scenario folder with the planned capacities, run it with ``shulu simulate OUT/scenario
  --policy planned``.

In the planned scenario a line's delivered *green* power is folded into the receiving site's wind: its wind
capacity grows by the flat green block and its ``wind_cf`` becomes the energy-weighted blend, so the twin sees
exactly the carbon-free energy that arrives. The line's thermal part arrives as ordinary grid import there (the
twin counts it at the receiving grid's intensity, not the fossil-only factor the plan charges).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from shulu import units
from shulu.errors import InputError
from shulu.io import save_scenario
from shulu.io.atomic import replace_folder
from shulu.model.scenario import Scenario
from shulu.model.signals import Signals
from shulu.model.workload import Workload
from shulu.plan.layout import PlanResult
from shulu.sim.result import Result

#: Tolerance of the twin check on the green share [fraction] (discrete jobs and dispatch rules vs the LP).
CHECK_TOLERANCE_FRAC = 0.005


def grow_workload(wl: Workload, factor: float, *, seed: int) -> Workload:
    """A workload with ``factor`` times the jobs: whole copies plus a seeded random part of one more.

    Copies keep every field (new job ids); so the mix of classes, regions and times is the same.

    Examples
    --------
    >>> import pandas as pd
    >>> wl = Workload.from_frame(pd.DataFrame({"job_id": [1, 2], "tenant": ["a", "b"], "origin": ["x", "x"],
    ...     "submit_time": pd.to_datetime(["2025-01-01T00:00Z"] * 2), "duration_s": [60.0, 60.0],
    ...     "power_kw": [1.0, 1.0], "device": ["cpu", "cpu"], "slack_s": [0.0, 0.0], "max_latency_ms": [10.0, 10.0],
    ...     "data_gb": [0.0, 0.0], "interruptible": [False, False], "job_class": ["realtime", "realtime"]}))
    >>> len(grow_workload(wl, 2.0, seed=0)), len(grow_workload(wl, 0.5, seed=0))
    (4, 1)
    """
    if not factor > 0:
        raise InputError(f"expected a demand factor > 0, got {factor}", field="demand_growth")
    f = wl.frame
    n = len(f)
    if factor == 1.0 or n == 0:
        return wl
    whole = int(np.floor(factor))
    rng = np.random.default_rng(seed)
    extra = rng.random(n) < (factor - whole)
    parts = [f] * whole + [f[extra]]
    out = pd.concat(parts, ignore_index=True)
    out["job_id"] = np.arange(len(out), dtype=np.int64)
    out["job_class"] = out["job_class"].astype(str)
    out["device"] = out["device"].astype(str)
    return Workload.from_frame(out)


def planned_scenario(scn: Scenario, plan: PlanResult, *, demand_growth_frac: float = 0.0,
                     seed: int | None = None) -> Scenario:
    """The scenario with the plan built: capacities, supply, planned PUE, line power, grown workload, shares."""
    d = plan.design
    sig_frames = {k: v.copy() for k, v in scn.signals.frames.items()}
    wind = sig_frames.get("wind_cf")
    if wind is None:
        wind = scn.signals["wind_cf"].copy()
    green_in: dict[str, float] = {}
    if len(plan.lines):
        g = plan.lines.groupby("to_site")["green_delivered_kw"].sum()
        green_in = {str(k): float(v) for k, v in g.items() if v > 1e-9}
    sites = []
    for s in scn.network.sites:
        row = d.loc[s.id].to_dict()
        wind_kw = float(row["wind_total_kw"])
        extra = green_in.get(s.id, 0.0)
        if extra > 0:
            wind[s.id] = (wind[s.id] * wind_kw + extra) / (wind_kw + extra)
            wind_kw += extra
        sup = s.supply.model_copy(update={
            "solar_kw": float(row["solar_total_kw"]), "wind_kw": wind_kw,
            "battery_energy_kwh": float(row["battery_total_kwh"]), "battery_power_kw": float(row["battery_total_kw"]),
            "battery_soc_initial_frac": max(s.supply.battery_soc_initial_frac, s.supply.battery_soc_min_frac)})
        sources = dict(s.sources)
        sources["plan"] = "capacities, supply and PUE from `shulu plan` (see the plan folder's summary.json)"
        if extra > 0:
            sources["wind_kw"] = (f"includes {extra:,.1f} kW of flat green power delivered by UHV lines "
                                  "(wind_cf blended by energy)")
        sites.append(s.model_copy(update={"it_capacity_kw": float(row["it_total_kw"]),
                                          "pue_design": float(row["pue_design"]), "supply": sup,
                                          "sources": sources}))
    net = scn.network.model_copy(update={"sites": tuple(sites)})
    sig_frames["wind_cf"] = wind.clip(0.0, 1.0)
    signals = Signals.build(sig_frames, step_s=scn.signals.step_s, sites=net.site_ids)
    wl = grow_workload(scn.workload, 1.0 + demand_growth_frac, seed=scn.seed if seed is None else seed)
    alloc = plan.allocation
    settings = dict(scn.settings)
    settings["plan"] = {
        "policy": "planned",
        "green_share_min_frac": plan.options.green_share_min_frac,
        "green_scope": plan.options.green_scope,
        "demand_growth_frac": demand_growth_frac,
        "allocation": [{"region": str(r.region), "cls": str(r.cls), "site": str(r.site),
                        "share_frac": round(float(r.share_frac), 9)}  # type: ignore[arg-type]
                       for r in alloc.itertuples()],
    }
    return scn.replace(name=f"{scn.name}-plan", network=net, signals=signals, workload=wl, settings=settings,
                       description=f"{scn.description} Planned by `shulu plan` (demand x{1 + demand_growth_frac:g}, "
                       f"green share >= {plan.options.green_share_min_frac:g} per {plan.options.green_scope}).")


def twin_green_share(res: Result) -> pd.Series:
    """Carbon-free share of electricity per site in a twin run (energy-weighted hourly CFE) [0..1]."""
    s = res.sites
    cfe = (s["cfe_frac"] * s["demand_kw"]).groupby(s["site"]).sum()
    dem = s["demand_kw"].groupby(s["site"]).sum()
    return (cfe / dem.where(dem > 0)).fillna(1.0)


def check(plan: PlanResult, planned: Result, today: Result | None = None) -> dict[str, Any]:
    """Compare what the twin measured with what the plan promised (green share, latency) and with today.

    Returns
    -------
    dict
        ``green_share_ok``, ``latency_ok``, per-site green shares (plan vs twin), network green share, jobs late,
        and, with ``today``, both runs' emissions and cost per MWh of job energy.
    """
    g = plan.options.green_share_min_frac
    share = twin_green_share(planned)
    dem = planned.sites["demand_kw"].groupby(planned.sites["site"]).sum()
    network = float((share * dem).sum() / dem.sum()) if float(dem.sum()) > 0 else 1.0
    if plan.options.green_scope == "site":
        ok = bool((share >= g - CHECK_TOLERANCE_FRAC).all())
    else:
        ok = network >= g - CHECK_TOLERANCE_FRAC
    s = planned.summary
    out: dict[str, Any] = {
        "promised_green_share_min_frac": g, "green_scope": plan.options.green_scope,
        "tolerance_frac": CHECK_TOLERANCE_FRAC,
        "green_share_ok": ok, "latency_ok": int(s["latency_violations"]) == 0,
        "twin_green_share_network_frac": network,
        "twin_green_share_by_site": {str(k): float(v) for k, v in share.items()},
        "plan_green_share_by_site": {str(k): float(v) for k, v in plan.design["green_share_frac"].items()},
        "latency_violations": int(s["latency_violations"]), "jobs_late": int(s["jobs_late"]),
        "jobs_total": int(s["jobs_total"]), "jobs_unfinished": int(s["jobs_unfinished"]),
    }

    def per_mwh(summary: dict[str, Any]) -> dict[str, float]:
        mwh = float(summary["energy_jobs_kwh"]) / units.KWH_PER_MWH
        return {"energy_jobs_mwh": mwh, "emissions_location_kg": float(summary["emissions_location_kg"]),
                "emissions_market_kg": float(summary["emissions_market_kg"]), "cost_cny": float(summary["cost_cny"]),
                "cfe_frac": float(summary["cfe_frac"]),
                "location_kg_per_mwh_jobs": float(summary["emissions_location_kg"]) / mwh if mwh else float("nan"),
                "cost_cny_per_mwh_jobs": float(summary["cost_cny"]) / mwh if mwh else float("nan"),
                "latency_violations": int(summary["latency_violations"]), "jobs_late": int(summary["jobs_late"])}

    out["planned"] = per_mwh(planned.summary)
    if today is not None:
        out["today"] = per_mwh(today.summary)
    return out


def _clean(x: Any) -> Any:
    if isinstance(x, dict):
        return {str(k): _clean(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_clean(v) for v in x]
    if isinstance(x, np.generic):
        return x.item()
    if isinstance(x, float) and not np.isfinite(x):
        return None
    return x


def write_plan(out: str | os.PathLike[str], plan: PlanResult, planned: Scenario, *, summary: dict[str, Any],
               transmission: pd.DataFrame | None = None, table_format: str = "parquet") -> Path:
    """Write the plan folder atomically (see the module docstring)."""
    folder = Path(out)
    if folder.exists() and any(folder.iterdir()) and not (folder / "plan.csv").exists():
        raise InputError("refusing to replace a non-empty folder that is not a shulu plan", file=str(folder))
    with replace_folder(folder) as tmp:
        cols = ["role", "pue_design_now", "pue_design", "it_capacity_kw", "it_added_kw", "it_total_kw", "solar_kw",
                "solar_added_kw", "solar_total_kw", "wind_kw", "wind_added_kw", "wind_total_kw",
                "battery_energy_kwh", "battery_added_kwh", "battery_total_kwh", "battery_power_kw",
                "battery_added_kw", "battery_total_kw", "jobs_energy_kwh_per_year", "mean_util_frac",
                "demand_kwh_per_year", "grid_import_kwh_per_year", "line_in_kwh_per_year", "green_share_frac",
                "capital_cny_per_year", "grid_cost_cny_per_year", "emissions_grid_kg_per_year",
                "embodied_added_kg_per_year"]
        plan.design[cols].rename(columns={"it_capacity_kw": "it_today_kw", "solar_kw": "solar_today_kw",
                                          "wind_kw": "wind_today_kw", "battery_energy_kwh": "battery_today_kwh",
                                          "battery_power_kw": "battery_today_kw"}).to_csv(
            tmp / "plan.csv", float_format="%.6g")
        plan.allocation.to_csv(tmp / "allocation.csv", index=False, float_format="%.6g")
        plan.lines.to_csv(tmp / "lines.csv", float_format="%.6g")
        if transmission is not None:
            transmission.to_csv(tmp / "transmission.csv", index=False, float_format="%.6g")
        (tmp / "summary.json").write_text(json.dumps(_clean(summary), indent=2) + "\n")
        save_scenario(planned, tmp / "scenario", table_format=table_format)
    return folder
