"""A simulation result and its output folder contract.

``RESULT_DIR/``

* ``summary.json`` — totals and service metrics (see :data:`SUMMARY_FIELDS`);
* ``sites.parquet`` — one row per (time, site) with every power flow;
* ``jobs.parquet`` — one row per job;
* ``provenance.json`` — scenario hash, policy and parameters, seed, version, git revision, wall time.

Location-based and market-based emissions are separate fields; nothing here adds them.
"""

from __future__ import annotations

import functools
import json
import os
import platform
import subprocess
import time
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from shulu import units
from shulu.errors import InputError
from shulu.io.atomic import replace_folder
from shulu.model.scenario import Scenario
from shulu.sim.jobs import JobEngine
from shulu.sim.policy import JobBatch, SimContext
from shulu.sim.power import PowerFlows

#: summary.json fields: (name, unit, description).
SUMMARY_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("emissions_location_kg", "kgCO2", "Grid import x hourly grid intensity (GHG Protocol scope 2, location-based)"),
    ("emissions_market_kg", "kgCO2", "Scope 2 market-based: import not covered by green purchases x intensity"),
    ("energy_it_kwh", "kWh", "IT energy (jobs, exogenous load and idle servers)"),
    ("energy_jobs_kwh", "kWh", "IT energy of the jobs alone"),
    ("energy_facility_kwh", "kWh", "Facility energy = IT x PUE"),
    ("energy_demand_kwh", "kWh", "Electrical demand = facility + heat-pump electricity"),
    ("grid_import_kwh", "kWh", "Energy imported from the grid"),
    ("grid_export_kwh", "kWh", "Surplus renewable energy exported"),
    ("renewable_used_kwh", "kWh", "Solar and wind energy used on site (directly or via the battery)"),
    ("curtailed_kwh", "kWh", "Renewable energy that found no use"),
    ("heat_recovered_kwh", "kWh", "Useful heat delivered by heat recovery"),
    ("unserved_kwh", "kWh", "Demand beyond the grid import limit (should be 0)"),
    ("transfer_energy_kwh", "kWh", "Network energy of moving jobs' data to their sites"),
    ("cost_cny", "CNY", "Grid import x time-of-use price"),
    ("jobs_total", "-", "Jobs in the workload"),
    ("jobs_finished", "-", "Jobs finished within the horizon"),
    ("jobs_unfinished", "-", "Jobs still waiting or running at the end of the horizon"),
    ("jobs_late", "-", "Jobs that finished after their deadline, or were unfinished past it"),
    ("latency_violations", "-", "Jobs placed on a site beyond their latency limit"),
    ("mean_wait_s", "s", "Mean wait from submission to start (unstarted jobs counted to the horizon end)"),
    ("p95_wait_s", "s", "95th percentile of the wait"),
    ("cfe_frac", "fraction 0..1", "Carbon-free share of the electrical demand (energy-weighted hourly CFE)"),
    ("pue_mean", "-", "Energy-weighted mean PUE (facility / IT)"),
    ("wall_s", "s", "Wall time of the simulation"),
)

#: sites.parquet series (besides time and site): the PowerFlows fields.
SITE_SERIES: tuple[str, ...] = tuple(f.name for f in fields(PowerFlows))


@functools.cache
def git_revision() -> str | None:
    """The git revision of the working tree shulu runs from, if any."""
    try:
        here = Path(__file__).resolve().parent
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, timeout=5,
                             check=False)
        return out.stdout.strip() or None if out.returncode == 0 else None
    except (OSError, subprocess.SubprocessError):
        return None


@dataclass(eq=False)
class Result:
    """The outcome of one simulation."""

    summary: dict[str, float | int]
    sites: pd.DataFrame
    jobs: pd.DataFrame
    provenance: dict[str, Any]

    def save(self, folder: str | os.PathLike[str]) -> Path:
        """Write the output folder atomically (temporary folder renamed into place)."""
        folder = Path(folder)
        if folder.exists() and any(folder.iterdir()) and not (folder / "summary.json").exists():
            raise InputError("refusing to replace a non-empty folder that is not a shulu result", file=str(folder))
        with replace_folder(folder) as tmp:
            (tmp / "summary.json").write_text(json.dumps(self.summary, indent=2) + "\n")
            (tmp / "provenance.json").write_text(json.dumps(self.provenance, indent=2) + "\n")
            self.sites.to_parquet(tmp / "sites.parquet", index=False)
            self.jobs.to_parquet(tmp / "jobs.parquet", index=False)
        return folder

    @classmethod
    def load(cls, folder: str | os.PathLike[str]) -> Result:
        """Read an output folder."""
        folder = Path(folder)
        for name in ("summary.json", "provenance.json", "sites.parquet", "jobs.parquet"):
            if not (folder / name).exists():
                raise InputError(f"missing {name}; expected a shulu result folder", file=str(folder / name))
        return cls(summary=json.loads((folder / "summary.json").read_text()),
                   sites=pd.read_parquet(folder / "sites.parquet"), jobs=pd.read_parquet(folder / "jobs.parquet"),
                   provenance=json.loads((folder / "provenance.json").read_text()))

    def site_series(self, name: str) -> pd.DataFrame:
        """One series as a (time x site) frame."""
        return self.sites.pivot(index="time", columns="site", values=name)


def _percentile(x: np.ndarray, q: float) -> float:
    return float(np.percentile(x, q)) if x.size else 0.0


def build_result(scenario: Scenario, ctx: SimContext, batch: JobBatch, eng: JobEngine, flows: PowerFlows, *,
                 params: dict[str, Any], seed: int, started: float, pause: np.ndarray | None = None) -> Result:
    """Assemble summary, per-site series, per-job records and provenance."""
    step_h = ctx.step_s / units.SECONDS_PER_HOUR
    horizon_s = float(ctx.n_steps * ctx.step_s)
    T, S = ctx.n_steps, len(ctx.site_ids)

    # --- sites.parquet
    idx = scenario.index
    times = pd.DatetimeIndex(np.repeat(idx.as_unit("ns").asi8, S)).tz_localize("UTC")
    data: dict[str, Any] = {"time": times, "site": np.tile(np.array(ctx.site_ids, dtype=object), T)}
    for name in SITE_SERIES:
        data[name] = np.asarray(getattr(flows, name), dtype=np.float64).reshape(-1)
    data["job_it_kw"] = eng.job_kw.reshape(-1)
    data["reserved_kw"] = eng.reserved_kw.reshape(-1)
    data["queue_len"] = eng.queue_len.reshape(-1)
    data["intensity_g_per_kwh"] = np.asarray(ctx.signals["intensity_g_per_kwh"], dtype=np.float64).reshape(-1)
    data["pause"] = (np.zeros((T, S), dtype=bool) if pause is None else np.asarray(pause, dtype=bool)).reshape(-1)
    sites = pd.DataFrame(data)

    # --- jobs.parquet
    f = scenario.workload.frame
    n = len(f)
    site_idx = eng.site_of
    placed = site_idx >= 0
    lat = np.full(n, np.nan)
    lat[placed] = ctx.latency_ms[batch.origin[placed], site_idx[placed]]
    started_mask = ~np.isnan(eng.start_s)
    finished = ~np.isnan(eng.end_s)
    wait_s = np.where(started_mask, eng.start_s - batch.submit_s, horizon_s - batch.submit_s)
    deadline_s = batch.deadline_s
    late = np.where(finished, eng.end_s > deadline_s + 1e-6, deadline_s < horizon_s)
    latency_ok = ~placed | (lat <= batch.max_latency_ms)  # a job never placed ran nowhere: no latency broken
    transfer_kwh = np.zeros(n)
    transfer_kwh[placed] = batch.data_gb[placed] * ctx.transfer_kwh_per_gb[batch.origin[placed], site_idx[placed]]
    t0 = scenario.start

    def to_time(sec: np.ndarray) -> pd.Series:
        return pd.Series(t0 + pd.to_timedelta(sec, unit="s"))

    # times relative to the submit time, so that a job that starts on arrival has start_time == submit_time exactly
    submit_time = f["submit_time"].reset_index(drop=True)
    start_time = submit_time + pd.to_timedelta(eng.start_s - batch.submit_s, unit="s")
    end_time = start_time + pd.to_timedelta(eng.end_s - eng.start_s, unit="s")

    site_names = np.array([*ctx.site_ids, ""], dtype=object)
    jobs = pd.DataFrame({
        "job_id": f["job_id"].to_numpy(), "tenant": f["tenant"].to_numpy(), "origin": f["origin"].to_numpy(),
        "job_class": f["job_class"].astype(str).to_numpy(), "device": f["device"].astype(str).to_numpy(),
        "site": site_names[np.where(placed, site_idx, S)],
        "submit_time": submit_time,
        "start_time": start_time, "end_time": end_time,
        "deadline_time": to_time(deadline_s),
        "wait_s": wait_s, "paused_s": eng.paused_s, "duration_s": batch.duration_s, "power_kw": batch.power_kw,
        "energy_it_kwh": eng.energy_kwh, "latency_ms": lat, "max_latency_ms": batch.max_latency_ms,
        "latency_ok": latency_ok, "deadline_met": ~late, "finished": finished, "data_gb": batch.data_gb,
        "transfer_energy_kwh": transfer_kwh,
        "requests": f["requests"].to_numpy(np.float64) if "requests" in f else np.zeros(n),
    })

    # --- summary
    def total_kwh(kw: np.ndarray) -> float:
        return float(np.sum(kw) * step_h)

    demand_kwh = total_kwh(flows.demand_kw)
    it_kwh = total_kwh(flows.it_kw)
    cfe_kwh = float(np.sum(flows.cfe_frac * flows.demand_kw) * step_h)
    wall_s = time.perf_counter() - started
    summary: dict[str, float | int] = {
        "emissions_location_kg": float(np.sum(flows.emissions_location_kg)),
        "emissions_market_kg": float(np.sum(flows.emissions_market_kg)),
        "energy_it_kwh": it_kwh,
        "energy_jobs_kwh": float(eng.energy_kwh.sum()),
        "energy_facility_kwh": total_kwh(flows.facility_kw),
        "energy_demand_kwh": demand_kwh,
        "grid_import_kwh": total_kwh(flows.grid_import_kw),
        "grid_export_kwh": total_kwh(flows.grid_export_kw),
        "renewable_used_kwh": total_kwh(flows.renewable_used_kw),
        "curtailed_kwh": total_kwh(flows.curtailed_kw),
        "heat_recovered_kwh": total_kwh(flows.heat_recovered_kw),
        "unserved_kwh": total_kwh(flows.unserved_kw),
        "transfer_energy_kwh": float(transfer_kwh.sum()),
        "cost_cny": float(np.sum(flows.cost_cny)),
        "jobs_total": int(n),
        "jobs_finished": int(finished.sum()),
        "jobs_unfinished": int(n - finished.sum()),
        "jobs_late": int(late.sum()),
        "latency_violations": int((~latency_ok).sum()),
        "mean_wait_s": float(wait_s.mean()) if n else 0.0,
        "p95_wait_s": _percentile(wait_s, 95.0),
        "cfe_frac": cfe_kwh / demand_kwh if demand_kwh > 0 else 0.0,
        "pue_mean": total_kwh(flows.facility_kw) / it_kwh if it_kwh > 0 else 0.0,
        "wall_s": wall_s,
    }
    from shulu import __version__

    provenance = {
        "scenario": scenario.name, "scenario_hash": scenario.content_hash(), **params, "seed": seed,
        "shulu_version": __version__, "git_revision": git_revision(), "wall_s": wall_s,
        "created_utc": pd.Timestamp.now(tz="UTC").isoformat(), "python": platform.python_version(),
        "numpy": np.__version__, "pandas": pd.__version__, "steps": T, "step_s": ctx.step_s, "sites": S,
        "jobs": n,
        # what carbon accounting needs of each site (capacity, embodied carbon, lifetimes), so a result folder
        # can be accounted without its scenario
        "region_info": {r.id: {"name": r.name, "lat_deg": r.lat_deg, "lon_deg": r.lon_deg}
                        for r in scenario.network.demand_regions},
        "site_info": {s.id: {"name": s.name, "lat_deg": s.lat_deg, "lon_deg": s.lon_deg, "hub": s.hub,
                             "province": s.province, "grid_zone": s.grid_zone,
                             "it_capacity_kw": s.it_capacity_kw,
                             "embodied_kgco2e_per_kw": s.embodied_kgco2e_per_kw,
                             "server_lifetime_years": s.server_lifetime_years,
                             "battery_energy_kwh": s.supply.battery_energy_kwh,
                             "solar_kw": s.supply.solar_kw, "wind_kw": s.supply.wind_kw,
                             "green_purchase_frac": s.supply.green_purchase_frac}
                      for s in scenario.network.sites},
        "start": scenario.start.isoformat(), "end": scenario.end.isoformat(),
    }
    return Result(summary=summary, sites=sites, jobs=jobs, provenance=provenance)
