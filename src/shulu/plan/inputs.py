"""What the layout model needs, as labelled arrays: :class:`PlanInputs`, built from a scenario or by hand.

Dimensions: ``time`` (plan steps of one hour), ``site``, ``region`` (demand regions), ``cls`` (a *demand class*:
the jobs of one workload class with one latency limit, e.g. ``realtime-10ms``) and ``line`` (candidate UHV lines).

Demand of a class from a region is the IT power its jobs would draw if each ran at once on arrival, folded
cyclically into the horizon (work running past the end counts at the start, so that the horizon stands for a
steady year). A class is *shiftable* when every job in it has at least a day of slack: the plan may then move its
energy freely within each day at the site it is sent to.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import xarray as xr

from shulu import units
from shulu.errors import InputError
from shulu.model.network import great_circle_km
from shulu.model.scenario import Scenario
from shulu.model.workload import JOB_CLASSES
from shulu.plan.costs import PlanCosts
from shulu.sim.power import WASTE_HEAT_FRAC

FloatArray = npt.NDArray[np.float64]

#: Length of a plan step [s]: the plan works hour by hour (finer scenarios are averaged to hours).
PLAN_STEP_S = 3600
#: Steps in one period (a day) [-]: the window shiftable work may move within, and a representative day's length.
STEPS_PER_DAY = int(units.HOURS_PER_DAY)
#: Demand below this is dropped [kW] (floating-point dust from the cumulative sums).
DEMAND_FLOOR_KW = 1e-6


@dataclass(frozen=True)
class PlanInputs:
    """Everything the layout model reads (see the module docstring for the dimensions).

    Attributes
    ----------
    sites : pandas.DataFrame
        Index ``site``; columns ``role``, ``it_capacity_kw`` [kW], ``idle_frac`` [0..1], ``solar_kw``, ``wind_kw``
        [kW], ``battery_energy_kwh`` [kWh], ``battery_power_kw`` [kW], ``rte_frac``, ``soc_min_frac``,
        ``soc_max_frac`` [0..1], ``pue_design`` [-] (as planned: at most the hub target) and
        ``pue_design_now`` [-].
    signals : xarray.Dataset
        (time, site): ``solar_cf``, ``wind_cf`` [0..1], ``price_cny_per_kwh`` [CNY/kWh], ``intensity_g_per_kwh``
        [gCO2/kWh], ``grid_cfe_frac`` [0..1], ``facility_factor`` [-] (electricity per kW of IT: PUE at the
        planning load, plus heat-pump share).
    demand_kw : xarray.DataArray
        (time, region, cls) IT power of the jobs [kW].
    classes : pandas.DataFrame
        Index ``cls``; ``job_class``, ``max_latency_ms`` [ms], ``shiftable`` (bool).
    latency_ms, transfer_kwh_per_gb, bandwidth_gbps : xarray.DataArray
        (region, site) one-way latency [ms] (inf = no link), network energy [kWh/GB], bandwidth [Gbit/s].
    data_gb_per_kwh : xarray.DataArray
        (region, cls) data moved per kWh of job energy [GB/kWh].
    peak_gbps : xarray.DataArray
        (region, cls) peak data rate the class needs [Gbit/s].
    origin_price_cny_per_kwh, origin_intensity_g_per_kwh : xarray.DataArray
        (region) price and intensity at the region's nearest site (charged for moving data).
    weight : xarray.DataArray
        (time) how many steps of the represented horizon each step stands for [-].
    period : xarray.DataArray
        (time) day index (shiftable work moves within a day).
    cycle : xarray.DataArray
        (time) battery cycle index: the state of charge returns to its start over each cycle.
    lines : pandas.DataFrame
        Index ``line``; ``from_site``, ``to_site``, ``length_km``, ``capex_cny_per_kw`` [CNY/kW],
        ``loss_frac``, ``capacity_kw`` [kW], ``green_frac``, ``utilisation_frac``, ``send_price_cny_per_kwh``,
        ``named`` (bool: a real line from the data file).
    step_h : float
        Plan step [h].
    """

    sites: pd.DataFrame
    signals: xr.Dataset
    demand_kw: xr.DataArray
    classes: pd.DataFrame
    latency_ms: xr.DataArray
    transfer_kwh_per_gb: xr.DataArray
    bandwidth_gbps: xr.DataArray
    data_gb_per_kwh: xr.DataArray
    peak_gbps: xr.DataArray
    origin_price_cny_per_kwh: xr.DataArray
    origin_intensity_g_per_kwh: xr.DataArray
    weight: xr.DataArray
    period: xr.DataArray
    cycle: xr.DataArray
    lines: pd.DataFrame
    step_h: float = 1.0

    @property
    def horizon_h(self) -> float:
        """Hours the inputs represent [h]."""
        return float(self.weight.sum()) * self.step_h

    @property
    def annual_factor(self) -> float:
        """Multiplier from the represented horizon to a year [-]."""
        return units.HOURS_PER_YEAR / self.horizon_h

    @property
    def site_ids(self) -> list[str]:
        """Site ids."""
        return [str(s) for s in self.sites.index]

    def allowed(self) -> xr.DataArray:
        """(region, cls, site) True where the site is within the class's latency limit of the region."""
        lim = xr.DataArray(self.classes["max_latency_ms"].to_numpy(dtype=float),
                           coords=[pd.Index(self.classes.index, name="cls")])
        return self.latency_ms <= lim

    def replace(self, **changes: Any) -> PlanInputs:
        """A copy with some fields replaced."""
        return replace(self, **changes)


# --- demand --------------------------------------------------------------------------------------------------------

def _ramp_sum(x: FloatArray, a_sorted: FloatArray, cum_p: FloatArray, cum_pa: FloatArray) -> FloatArray:
    """``sum_j p_j max(x - a_j, 0)`` at each x, for sorted ``a`` with cumulative ``p`` and ``p a``."""
    k = np.searchsorted(a_sorted, x, side="left")
    p = np.where(k > 0, cum_p[np.maximum(k - 1, 0)], 0.0)
    pa = np.where(k > 0, cum_pa[np.maximum(k - 1, 0)], 0.0)
    return np.asarray(x * p - pa)


def fluid_profile_kw(start_s: FloatArray, duration_s: FloatArray, power_kw: FloatArray, n_steps: int,
                     step_s: float) -> FloatArray:
    """Mean power per step [kW] of jobs each running at ``power_kw`` from ``start_s`` for ``duration_s``.

    Work past the horizon is folded back to its start (the horizon is treated as one cycle of a steady year).

    Parameters
    ----------
    start_s, duration_s : array
        Start [s from the horizon start] and run time [s] of each job.
    power_kw : array
        Power [kW].
    n_steps : int
        Steps in the horizon.
    step_s : float
        Step [s].

    Returns
    -------
    numpy.ndarray
        (n_steps,) mean power [kW]; ``sum x step`` equals the jobs' energy.

    Examples
    --------
    >>> fluid_profile_kw(np.array([1800.0]), np.array([3600.0]), np.array([10.0]), 3, 3600.0).tolist()
    [5.0, 5.0, 0.0]
    >>> fluid_profile_kw(np.array([9000.0]), np.array([3600.0]), np.array([10.0]), 3, 3600.0).tolist()  # wraps
    [5.0, 0.0, 5.0]
    """
    out = np.zeros(n_steps)
    if start_s.size == 0:
        return out
    end_s = start_s + duration_s
    n_bound = n_steps + int(np.ceil(max(float(end_s.max()), 0.0) / step_s)) + 1
    n_bound = max(n_bound, n_steps + 1)
    x = np.arange(n_bound + 1, dtype=np.float64) * step_s
    total = np.zeros_like(x)
    for a, sign in ((start_s, 1.0), (end_s, -1.0)):
        order = np.argsort(a, kind="stable")
        a_s, p_s = a[order], power_kw[order]
        total += sign * _ramp_sum(x, a_s, np.cumsum(p_s), np.cumsum(p_s * a_s))
    per_step = np.diff(total) / step_s  # mean kW in each step
    idx = np.arange(per_step.size) % n_steps
    np.add.at(out, idx, per_step)
    return np.maximum(out, 0.0)


def class_table(frame: pd.DataFrame) -> tuple[pd.DataFrame, npt.NDArray[np.int64]]:
    """Demand classes (job class x latency limit) and the class code of each job.

    Returns
    -------
    (classes, codes)
        ``classes`` indexed by ``cls`` with ``job_class``, ``max_latency_ms`` and ``min_slack_s``.
    """
    cls = frame["job_class"].astype(str).to_numpy()
    lat = frame["max_latency_ms"].to_numpy(dtype=np.float64)
    key = pd.DataFrame({"job_class": cls, "max_latency_ms": lat, "slack_s": frame["slack_s"].to_numpy(float)})
    order = {c: i for i, c in enumerate(JOB_CLASSES)}
    groups = key.groupby(["job_class", "max_latency_ms"], sort=False)["slack_s"].min().reset_index()
    groups["_o"] = groups["job_class"].map(order)
    groups = groups.sort_values(["_o", "max_latency_ms"]).drop(columns="_o").reset_index(drop=True)
    names = [f"{c}-{lim:g}ms" for c, lim in zip(groups["job_class"], groups["max_latency_ms"], strict=True)]
    groups.index = pd.Index(names, name="cls")
    groups = groups.rename(columns={"slack_s": "min_slack_s"})
    lookup = {(c, lim): i for i, (c, lim) in enumerate(zip(groups["job_class"], groups["max_latency_ms"],
                                                           strict=True))}
    codes = np.array([lookup[(c, v)] for c, v in zip(cls, lat, strict=True)], dtype=np.int64) if len(cls) else \
        np.zeros(0, dtype=np.int64)
    return groups, codes


# --- from a scenario ----------------------------------------------------------------------------------------------

def _hourly(arr: FloatArray, per_hour: int) -> FloatArray:
    if per_hour == 1:
        return arr
    return np.asarray(arr.reshape(-1, per_hour, *arr.shape[1:]).mean(axis=1))


def candidate_lines(scn: Scenario, costs: PlanCosts, price_mean: pd.Series, which: str = "all") -> pd.DataFrame:
    """UHV lines the plan may contract: the named lines whose ends are sites of the scenario, and (``which='all'``)
    a generic ±800 kV line from every west site to every east site that no named line joins.

    Parameters
    ----------
    which : {"all", "named", "none"}
    """
    if which not in ("all", "named", "none"):
        raise InputError(f"expected lines 'all', 'named' or 'none', got {which!r}", field="lines")
    cols = ["from_site", "to_site", "length_km", "capex_cny_per_kw", "loss_frac", "capacity_kw", "green_frac",
            "utilisation_frac", "send_price_cny_per_kwh", "named"]
    rows: list[dict[str, Any]] = []
    ids: list[str] = []
    if which == "none":
        return pd.DataFrame(columns=cols, index=pd.Index([], name="line"))
    net = scn.network
    sites = {s.id: s for s in net.sites}
    joined: set[tuple[str, str]] = set()
    for line in costs.uhv_lines:
        a, b = line.get("from_site"), line.get("to_site")
        if a not in sites or b not in sites:
            continue
        length = float(line["length_km"])
        cap = float(line.get("capacity_kw", 8.0e6))
        capex = float(line["investment_cny"]) / cap if line.get("investment_cny") else costs.uhv_capex_cny_per_kw(
            length)
        rows.append({"from_site": a, "to_site": b, "length_km": length, "capex_cny_per_kw": capex,
                     "loss_frac": min(costs.uhv_loss_frac_per_km * length, 0.5), "capacity_kw": cap,
                     "green_frac": costs.uhv_green_frac, "utilisation_frac": costs.uhv_utilisation_frac,
                     "send_price_cny_per_kwh": float(price_mean[a]), "named": True})
        ids.append(str(line["id"]))
        joined.add((a, b))
    if which == "all":
        for a in net.sites:
            for b in net.sites:
                if a.role != "west" or b.role != "east" or (a.id, b.id) in joined:
                    continue
                length = great_circle_km(a.lat_deg, a.lon_deg, b.lat_deg, b.lon_deg) * costs.uhv_route_factor
                rows.append({"from_site": a.id, "to_site": b.id, "length_km": length,
                             "capex_cny_per_kw": costs.uhv_capex_cny_per_kw(length),
                             "loss_frac": min(costs.uhv_loss_frac_per_km * length, 0.5), "capacity_kw": 8.0e6,
                             "green_frac": costs.uhv_green_frac, "utilisation_frac": costs.uhv_utilisation_frac,
                             "send_price_cny_per_kwh": float(price_mean[a.id]), "named": False})
                ids.append(f"{a.id}>{b.id}")
    return pd.DataFrame(rows, columns=cols, index=pd.Index(ids, name="line"))


def inputs_from_scenario(scn: Scenario, costs: PlanCosts, *, demand_growth_frac: float = 0.0,
                         lines: str = "all") -> PlanInputs:
    """Plan inputs for a scenario's network, signals and workload (demand scaled by ``1 + demand_growth_frac``).

    Raises
    ------
    InputError
        If the horizon is not whole hours, growth is below -1, or the workload is empty.
    """
    if not np.isfinite(demand_growth_frac) or demand_growth_frac <= -1.0:
        raise InputError(f"expected a demand growth > -1 (a fraction: 0.5 = +50%), got {demand_growth_frac}",
                         field="demand_growth")
    if len(scn.workload) == 0:
        raise InputError("expected a workload with jobs: the plan sizes the network for its demand",
                         field="workload")
    per_hour = int(PLAN_STEP_S // scn.step_s)
    if scn.n_steps % per_hour:
        raise InputError(f"expected a horizon of whole hours, got {scn.n_steps} steps of {scn.step_s} s",
                         field="horizon")
    n_t = scn.n_steps // per_hour
    net = scn.network
    site_ids, region_ids = net.site_ids, net.region_ids
    sig = scn.signals.slice(scn.start, scn.end)
    time = pd.Index(np.arange(n_t), name="time")
    site_ix = pd.Index(site_ids, name="site")

    def arr(name: str) -> FloatArray:
        return _hourly(sig[name][site_ids].to_numpy(dtype=np.float64), per_hour)

    # sites
    rows = []
    for s in net.sites:
        sup = s.supply
        rows.append({"role": s.role, "it_capacity_kw": s.it_capacity_kw, "idle_frac": s.server_idle_frac,
                     "solar_kw": sup.solar_kw, "wind_kw": sup.wind_kw, "battery_energy_kwh": sup.battery_energy_kwh,
                     "battery_power_kw": sup.battery_power_kw, "rte_frac": sup.battery_rte_frac,
                     "soc_min_frac": sup.battery_soc_min_frac, "soc_max_frac": sup.battery_soc_max_frac,
                     "pue_design": min(s.pue_design, costs.pue_target(s.role)), "pue_design_now": s.pue_design})
    sites = pd.DataFrame(rows, index=site_ix)
    temp = arr("temperature_c")
    coef = np.array([s.pue_temp_coef_per_c for s in net.sites])
    ref = np.array([s.pue_ref_temp_c for s in net.sites])
    light = np.array([s.pue_light_load_coef for s in net.sites])
    frac = np.array([s.heat_recovery_frac for s in net.sites])
    cop = np.array([s.heat_pump_cop for s in net.sites])
    hp = np.where(frac > 0, WASTE_HEAT_FRAC * frac / np.maximum(cop - 1.0, 1e-12), 0.0)
    pue = sites["pue_design"].to_numpy()[None, :] + coef[None, :] * np.maximum(0.0, temp - ref[None, :]) \
        + light[None, :] * (1.0 - costs.load_frac)
    facility = np.maximum(pue, 1.0) + hp[None, :]
    data = {name: (("time", "site"), arr(name)) for name in ("solar_cf", "wind_cf", "price_cny_per_kwh",
                                                             "intensity_g_per_kwh", "grid_cfe_frac")}
    data["facility_factor"] = (("time", "site"), facility)
    signals = xr.Dataset(data, coords={"time": time, "site": site_ix})

    # demand classes and profiles
    f = scn.workload.frame
    classes, codes = class_table(f)
    classes["shiftable"] = classes["min_slack_s"] >= units.SECONDS_PER_DAY
    cls_ix = pd.Index(classes.index, name="cls")
    region_ix = pd.Index(region_ids, name="region")
    origin = pd.Categorical(f["origin"], categories=region_ids).codes.astype(np.int64)
    submit_s = (f["submit_time"] - scn.start).dt.total_seconds().to_numpy(dtype=np.float64)
    dur = f["duration_s"].to_numpy(np.float64)
    power = f["power_kw"].to_numpy(np.float64)
    data_gb = f["data_gb"].to_numpy(np.float64)
    energy = power * dur / units.SECONDS_PER_HOUR
    growth = 1.0 + demand_growth_frac
    demand = np.zeros((n_t, len(region_ids), len(classes)))
    gb_per_kwh = np.zeros((len(region_ids), len(classes)))
    for r in range(len(region_ids)):
        for c in range(len(classes)):
            sel = (origin == r) & (codes == c)
            if not sel.any():
                continue
            demand[:, r, c] = growth * fluid_profile_kw(submit_s[sel], dur[sel], power[sel], n_t, PLAN_STEP_S)
            gb_per_kwh[r, c] = float(data_gb[sel].sum() / max(energy[sel].sum(), 1e-12))
    demand[demand < DEMAND_FLOOR_KW] = 0.0  # rounding dust would only slow the solver
    demand_kw = xr.DataArray(demand, coords=[time, region_ix, cls_ix], name="demand_kw")
    step_h = PLAN_STEP_S / units.SECONDS_PER_HOUR
    rate_gbps = demand_kw * step_h * xr.DataArray(gb_per_kwh, coords=[region_ix, cls_ix]) * units.GBIT_PER_GB \
        / PLAN_STEP_S
    peak = rate_gbps.max("time")

    # network
    lat = net.latency_matrix_ms().loc[region_ids, site_ids].to_numpy(dtype=np.float64)
    transfer = np.zeros_like(lat)
    bw = np.zeros_like(lat)
    for link in net.links:
        for a, b in ((link.a, link.b), (link.b, link.a)):
            if a in region_ids and b in site_ids:
                transfer[region_ids.index(a), site_ids.index(b)] = link.transfer_energy_kwh_per_gb
                bw[region_ids.index(a), site_ids.index(b)] = link.bandwidth_gbps
    nearest = np.argmin(lat, axis=1)
    price_mean = pd.Series(signals["price_cny_per_kwh"].mean("time").to_numpy(), index=site_ix)
    int_mean = signals["intensity_g_per_kwh"].mean("time").to_numpy()
    n_per = np.arange(n_t) // STEPS_PER_DAY
    return PlanInputs(
        sites=sites, signals=signals, demand_kw=demand_kw, classes=classes,
        latency_ms=xr.DataArray(lat, coords=[region_ix, site_ix]),
        transfer_kwh_per_gb=xr.DataArray(transfer, coords=[region_ix, site_ix]),
        bandwidth_gbps=xr.DataArray(bw, coords=[region_ix, site_ix]),
        data_gb_per_kwh=xr.DataArray(gb_per_kwh, coords=[region_ix, cls_ix]),
        peak_gbps=peak,
        origin_price_cny_per_kwh=xr.DataArray(np.asarray(price_mean)[nearest], coords=[region_ix]),
        origin_intensity_g_per_kwh=xr.DataArray(int_mean[nearest], coords=[region_ix]),
        weight=xr.DataArray(np.ones(n_t), coords=[time]),
        period=xr.DataArray(n_per, coords=[time]),
        cycle=xr.DataArray(np.zeros(n_t, dtype=np.int64), coords=[time]),
        lines=candidate_lines(scn, costs, price_mean, lines), step_h=step_h)
