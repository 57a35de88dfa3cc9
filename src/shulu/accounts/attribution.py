"""Attribution: every site's energy, emissions, cost and embodied carbon, shared out to the jobs, step by step.

The rule (documented in docs/accounts.md), per site and step ``t``:

1. **IT energy by use.** Each job's own IT energy in the step, ``it[j, t]``, is reconstructed from its start, end and
   the step's pause flag exactly as the job engine ran it (a paused job draws nothing but keeps its servers).
2. **Everything else by share of reserved capacity.** The rest of the site's electrical demand — idle servers,
   exogenous load, PUE overhead, heat pumps — ``demand[t] - sum_j it[j, t]``, goes to the jobs holding servers in
   the step in proportion to their reserved energy ``power_kw x time held`` (running or paused).
3. **Emissions, cost and carbon-free energy follow energy.** A job's share of the step's location- and market-based
   emissions, cost, grid import and CFE is its attributed energy over the step's demand.
4. **Steps in which no job holds servers** (an idle site) are pooled per site and calendar month and shared out by
   the jobs' reserved energy at that site in that month; failing that, over the whole result; a site that never
   had a job is left *unallocated* (reported separately, so the sums still close).
5. **Embodied carbon (the SCI M term).** Servers: ``embodied_kgco2e_per_kw x capacity`` spread evenly over the
   servers' lifetime. A job's own share is ``embodied_kgco2e_per_kw x power_kw x hours held / lifetime_h``
   (total embodied x time reserved / lifetime x share of resources); the share of unreserved capacity is treated
   like idle power (rule 2 and 4). Batteries: their embodied carbon over their lifetime follows energy (rule 3).
   Net figures apply the end-of-life recycling credit; gross figures are always reported beside them.
6. **Network.** Moving a job's data costs its transfer energy at the destination site's grid intensity in the
   job's start step. It is reported beside, not inside, the site totals.

Sums over jobs plus the unallocated rows equal the site totals (tested to 1e-6 relative under hypothesis).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numba
import numpy as np
import numpy.typing as npt
import pandas as pd

from shulu import units
from shulu.data.lifecycle import Lifecycle, load_lifecycle
from shulu.errors import InputError
from shulu.sim.result import Result

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

#: Site-step quantities shared out by attributed energy: (sites.parquet column, output column, per-hour rate?).
SHARED: tuple[tuple[str, str, bool], ...] = (
    ("emissions_location_kg", "emissions_location_kg", False),
    ("emissions_market_kg", "emissions_market_kg", False),
    ("cost_cny", "cost_cny", False),
    ("grid_import_kw", "grid_import_kwh", True),
    ("renewable_used_kw", "renewable_used_kwh", True),
    ("heat_recovered_kw", "heat_recovered_kwh", True),
)
#: Per-job output columns that add up to site totals (with the unallocated rows).
ADDITIVE: tuple[str, ...] = (
    "energy_it_kwh", "energy_other_kwh", "energy_kwh", "facility_kwh", "cfe_kwh",
    *(out for _, out, _ in SHARED),
    "embodied_server_kg", "embodied_idle_kg", "embodied_battery_kg",
)


@dataclass(frozen=True)
class Attribution:
    """Per-job accounts of one result, and what could not be given to any job."""

    jobs: pd.DataFrame  #: one row per job (see :data:`ADDITIVE` and the identity columns)
    unallocated: pd.DataFrame  #: per site: quantities of sites that never had a job
    site_totals: pd.DataFrame  #: per site: the totals the rows above add up to
    lifecycle: Lifecycle

    def check(self, rtol: float = 1e-6) -> None:
        """Raise :class:`AssertionError` unless jobs + unallocated == site totals for every additive column."""
        by_site = self.jobs.groupby("site")[list(ADDITIVE)].sum().reindex(self.site_totals.index, fill_value=0.0)
        got = by_site + self.unallocated.reindex(self.site_totals.index, fill_value=0.0)[list(ADDITIVE)]
        want = self.site_totals[list(ADDITIVE)]
        scale = np.maximum(np.abs(want.to_numpy()), 1.0)
        err = np.abs(got.to_numpy() - want.to_numpy()) / scale
        if np.nanmax(err, initial=0.0) > rtol:
            r, c = (int(x) for x in np.unravel_index(int(np.nanargmax(err)), err.shape))
            raise AssertionError(f"attribution does not reconcile: site {want.index[r]!r} column "
                                 f"{want.columns[c]!s}: jobs {got.to_numpy()[r, c]} vs total {want.to_numpy()[r, c]}")


@numba.njit(cache=True)
def _job_steps(offsets: IntArray, first_step: IntArray, site: IntArray, start_s: FloatArray, end_s: FloatArray,
               duration_s: FloatArray, power_kw: FloatArray, deadline_s: FloatArray, may_pause: BoolArray,
               pause: BoolArray, step_s: float, s_per_h: float,
               out_step: IntArray, out_it: FloatArray, out_res: FloatArray) -> None:  # pragma: no cover - compiled
    """For each job, the steps it holds servers in: IT energy used and energy reserved [kWh] (engine's rules)."""
    for j in range(first_step.shape[0]):
        remaining = duration_s[j]
        s = site[j]
        for k in range(offsets[j], offsets[j + 1]):
            t = first_step[j] + (k - offsets[j])
            t0 = t * step_s
            t1 = t0 + step_s
            a = max(t0, start_s[j])
            b = min(t1, end_s[j])
            out_step[k] = t
            out_res[k] = power_kw[j] * max(b - a, 0.0) / s_per_h
            if remaining <= 0.0:
                out_it[k] = 0.0
                continue
            if t > first_step[j] and may_pause[j] and pause[t, s] and deadline_s[j] - t1 >= remaining:
                out_it[k] = 0.0
                continue
            dt = min(remaining, t1 - a)
            if dt < 0.0:
                dt = 0.0
            out_it[k] = power_kw[j] * dt / s_per_h
            remaining -= dt


def _seconds(times: pd.Series, t0: pd.Timestamp) -> FloatArray:
    return np.asarray((times - t0).dt.total_seconds().to_numpy(dtype=np.float64, na_value=np.nan))


def attribute(result: Result, lifecycle: Lifecycle | None = None) -> Attribution:
    """Share a result's site totals out to its jobs (see the module docstring for the rule).

    Parameters
    ----------
    result : Result
        A simulation result (``shulu.simulate`` or ``Result.load(folder)``).
    lifecycle : Lifecycle, optional
        Embodied carbon and end of life of batteries and recycling; the built-in dataset by default.

    Returns
    -------
    Attribution
        ``jobs`` has one row per job: ``job_id, tenant, origin, site, job_class, device, start_time, end_time,
        month`` and the quantities of :data:`ADDITIVE` plus ``embodied_kg`` (gross, own + idle + battery),
        ``embodied_net_kg``, ``transfer_energy_kwh``, ``transfer_emissions_kg``, ``gpu_hours``, ``hours_reserved``,
        ``requests``.
    """
    lc = lifecycle or load_lifecycle()
    prov = result.provenance
    info: dict[str, dict[str, Any]] = prov.get("site_info") or {}
    if not info or "start" not in prov:
        raise InputError("this result has no site_info in provenance.json (made by an older shulu); "
                         "simulate it again to account for it", field="provenance.site_info")
    sites_df = result.sites
    site_ids = list(dict.fromkeys(sites_df["site"].tolist()))
    S = len(site_ids)
    T = len(sites_df) // S if S else 0
    step_s = float(prov["step_s"])
    step_h = step_s / units.SECONDS_PER_HOUR
    t_start = pd.Timestamp(prov["start"])
    horizon_s = T * step_s

    def grid(col: str) -> FloatArray:
        return np.asarray(sites_df[col].to_numpy(dtype=np.float64).reshape(T, S))

    demand_kwh = grid("demand_kw") * step_h
    pause = np.asarray(sites_df["pause"].to_numpy(dtype=bool).reshape(T, S)) if "pause" in sites_df else np.zeros(
        (T, S), dtype=bool)
    times = pd.DatetimeIndex(sites_df["time"].iloc[::S])
    times = times.tz_localize("UTC") if times.tz is None else times.tz_convert("UTC")
    month_of_step = np.asarray(pd.factorize(times.strftime("%Y-%m"))[0], dtype=np.int64)
    month_names = pd.Index(times.strftime("%Y-%m")).unique()

    # --- per job: the steps it holds servers in
    jobs = result.jobs
    n = len(jobs)
    site_pos = {s: i for i, s in enumerate(site_ids)}
    site = np.array([site_pos.get(s, -1) for s in jobs["site"]], dtype=np.int64)
    start_s = _seconds(jobs["start_time"], t_start)
    end_s = _seconds(jobs["end_time"], t_start)
    held = (site >= 0) & ~np.isnan(start_s)
    end_s = np.where(np.isnan(end_s), horizon_s, end_s)
    first = np.where(held, np.floor(np.nan_to_num(start_s) / step_s), 0).astype(np.int64)
    last = np.where(held, np.minimum(np.ceil(end_s / step_s - 1e-9), T), 0).astype(np.int64)
    count = np.where(held, np.maximum(last - first, 1), 0)
    count = np.where(held & (first >= T), 0, count)
    offsets = np.concatenate([[0], np.cumsum(count)]).astype(np.int64)
    n_pairs = int(offsets[-1])
    out_step = np.zeros(n_pairs, dtype=np.int64)
    out_it = np.zeros(n_pairs)
    out_res = np.zeros(n_pairs)
    deadline_s = _seconds(jobs["deadline_time"], t_start)
    power = jobs["power_kw"].to_numpy(np.float64)
    _job_steps(offsets, first, np.maximum(site, 0), np.nan_to_num(start_s), end_s,
               jobs["duration_s"].to_numpy(np.float64), power, deadline_s,
               jobs["paused_s"].to_numpy(np.float64) > 0, pause, step_s, units.SECONDS_PER_HOUR,
               out_step, out_it, out_res)
    pair_job = np.repeat(np.arange(n), count)
    pair_cell = out_step * S + site[pair_job]  # (t, s) flattened
    n_cells = T * S
    it_cell = np.bincount(pair_cell, weights=out_it, minlength=n_cells)
    res_cell = np.bincount(pair_cell, weights=out_res, minlength=n_cells)
    demand = demand_kwh.reshape(-1)
    other = demand - it_cell

    # server embodied: per cell total, and each job's own share (reserved energy x kg per kWh reserved)
    cap = np.array([float(info[s]["it_capacity_kw"]) for s in site_ids])
    e_kw = np.array([float(info[s]["embodied_kgco2e_per_kw"]) for s in site_ids])
    life_h = np.array([float(info[s]["server_lifetime_years"]) for s in site_ids]) * units.HOURS_PER_YEAR
    kg_per_kwh_reserved = e_kw / life_h  # [kg per kW per h]
    server_cell = np.tile(e_kw * cap / life_h * step_h, T)
    own_emb_pair = out_res * kg_per_kwh_reserved[site[pair_job]]
    idle_emb_cell = server_cell - np.bincount(pair_cell, weights=own_emb_pair, minlength=n_cells)
    batt_kwh = np.array([float(info[s].get("battery_energy_kwh", 0.0)) for s in site_ids])
    battery_cell = np.tile(batt_kwh * lc.battery_embodied_kgco2e_per_kwh
                           / (lc.battery_lifetime_years * units.HOURS_PER_YEAR) * step_h, T)

    # --- rule 2: the rest of each cell by reserved share, where anyone holds servers
    has = res_cell > 0
    share_pair = np.where(has[pair_cell], out_res / np.where(has, res_cell, 1.0)[pair_cell], 0.0)
    energy_pair = out_it + share_pair * other[pair_cell]
    idle_emb_pair = share_pair * idle_emb_cell[pair_cell]
    # rule 3: energy share of the cell's demand
    frac_pair = np.where(demand[pair_cell] > 0, energy_pair / np.where(demand > 0, demand, 1.0)[pair_cell], 0.0)

    cell_vals: dict[str, FloatArray] = {}
    for col, name, is_rate in SHARED:
        v = grid(col).reshape(-1)
        cell_vals[name] = v * step_h if is_rate else v
    cell_vals["cfe_kwh"] = (grid("cfe_frac") * demand_kwh).reshape(-1)
    cell_vals["facility_kwh"] = (grid("facility_kw") * step_h).reshape(-1)
    cell_vals["embodied_battery_kg"] = battery_cell

    per_pair: dict[str, FloatArray] = {"energy_it_kwh": out_it, "energy_other_kwh": share_pair * other[pair_cell],
                                       "embodied_server_kg": own_emb_pair, "embodied_idle_kg": idle_emb_pair}
    for name, v in cell_vals.items():
        per_pair[name] = frac_pair * v[pair_cell]

    # --- rule 4: cells nobody held, pooled per (site, month), shared by reserved energy in that pool
    idle_cell = ~has
    pool_vals: dict[str, FloatArray] = {"energy_other_kwh": np.where(idle_cell, other, 0.0),
                                        "embodied_idle_kg": np.where(idle_cell, idle_emb_cell, 0.0)}
    for name, v in cell_vals.items():
        pool_vals[name] = np.where(idle_cell, v, 0.0)
    # facility energy in idle cells counts as attributed demand there, so energy_kwh closes too
    cell_month = np.repeat(month_of_step, S)
    cell_site = np.tile(np.arange(S), T)
    n_m = len(month_names)
    pool_of_cell = cell_site * n_m + cell_month
    pool_of_pair = site[pair_job] * n_m + month_of_step[out_step]
    res_pool = np.bincount(pool_of_pair, weights=out_res, minlength=S * n_m)
    res_site = np.bincount(site[pair_job], weights=out_res, minlength=S)
    job_vals = {k: np.bincount(pair_job, weights=v, minlength=n) for k, v in per_pair.items()}
    unalloc = {k: np.zeros(S) for k in pool_vals}
    for k, v in pool_vals.items():
        pooled = np.bincount(pool_of_cell, weights=v, minlength=S * n_m)
        in_month = res_pool > 0
        # pools with reservations that month: by share of the month's reserved energy
        rate = np.where(in_month, pooled / np.where(in_month, res_pool, 1.0), 0.0)
        job_vals[k] = job_vals[k] + np.bincount(pair_job, weights=out_res * rate[pool_of_pair], minlength=n)
        # pools without: over the whole result at that site, else unallocated
        left = np.bincount(np.arange(S * n_m) // n_m, weights=np.where(in_month, 0.0, pooled), minlength=S)
        site_ok = res_site > 0
        rate_site = np.where(site_ok, left / np.where(site_ok, res_site, 1.0), 0.0)
        job_vals[k] = job_vals[k] + np.bincount(pair_job, weights=out_res * rate_site[site[pair_job]],
                                                minlength=n)
        unalloc[k] = np.where(site_ok, 0.0, left)
    job_vals["energy_kwh"] = job_vals["energy_it_kwh"] + job_vals["energy_other_kwh"]
    unalloc["energy_it_kwh"] = np.zeros(S)
    unalloc["embodied_server_kg"] = np.zeros(S)
    unalloc["energy_kwh"] = unalloc["energy_other_kwh"]

    # --- per job frame
    reserved_h = np.bincount(pair_job, weights=out_res, minlength=n) / np.where(power > 0, power, 1.0)
    out = pd.DataFrame({"job_id": jobs["job_id"].to_numpy(), "tenant": jobs["tenant"].to_numpy(),
                        "origin": jobs["origin"].to_numpy(), "site": jobs["site"].to_numpy(),
                        "job_class": jobs["job_class"].to_numpy(), "device": jobs["device"].to_numpy(),
                        "start_time": jobs["start_time"].to_numpy(), "end_time": jobs["end_time"].to_numpy()})
    start_month = pd.DatetimeIndex(jobs["start_time"]).tz_convert("UTC").strftime("%Y-%m")
    submit_month = pd.DatetimeIndex(jobs["submit_time"]).tz_convert("UTC").strftime("%Y-%m")
    out["month"] = np.where(pd.isna(jobs["start_time"]).to_numpy(), submit_month, start_month)
    for k in ADDITIVE:
        out[k] = job_vals[k]
    out["hours_reserved"] = reserved_h
    sf = lc.server_eol.net_factor()
    bf = lc.battery_eol.net_factor()
    out["embodied_kg"] = out["embodied_server_kg"] + out["embodied_idle_kg"] + out["embodied_battery_kg"]
    out["embodied_net_kg"] = (out["embodied_server_kg"] + out["embodied_idle_kg"]) * sf + out[
        "embodied_battery_kg"] * bf
    # network transfer at the destination's intensity in the start step
    intensity = grid("intensity_g_per_kwh") if "intensity_g_per_kwh" in sites_df else np.zeros((T, S))
    t_idx = np.clip(first, 0, max(T - 1, 0))
    i_job = np.where(held, intensity[t_idx, np.maximum(site, 0)], 0.0) if T else np.zeros(n)
    out["transfer_energy_kwh"] = jobs["transfer_energy_kwh"].to_numpy(np.float64)
    out["transfer_emissions_kg"] = out["transfer_energy_kwh"] * i_job / units.G_PER_KG
    out["requests"] = jobs["requests"].to_numpy(np.float64) if "requests" in jobs else np.zeros(n)
    out["gpu_hours"] = np.where(jobs["device"].astype(str).to_numpy() == "gpu",
                                reserved_h * power / lc.gpu_kw_per_gpu, 0.0)

    # --- site totals (what the rows add up to)
    def per_site(cell: npt.NDArray[Any]) -> FloatArray:
        return np.asarray(cell.reshape(T, S).sum(axis=0))

    totals = {"energy_it_kwh": per_site(it_cell), "energy_other_kwh": per_site(other),
              "energy_kwh": per_site(demand), "embodied_server_kg": per_site(server_cell - idle_emb_cell),
              "embodied_idle_kg": per_site(idle_emb_cell)}
    for k, v in cell_vals.items():
        totals[k] = per_site(v)
    site_totals = pd.DataFrame(totals, index=pd.Index(site_ids, name="site"))
    unallocated = pd.DataFrame({k: unalloc.get(k, np.zeros(S)) for k in ADDITIVE},
                               index=pd.Index(site_ids, name="site"))
    return Attribution(jobs=out, unallocated=unallocated, site_totals=site_totals, lifecycle=lc)
