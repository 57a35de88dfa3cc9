"""The digital twin's orchestrator: place jobs, run them within capacity, balance power, count carbon and cost.

``simulate(scenario, policy)`` runs one horizon:

1. build the :class:`~shulu.sim.policy.SimContext` (latency, capacity, signal arrays);
2. offline policies place every job at once; online ones are asked each step;
3. the job engine (:mod:`shulu.sim.jobs`) runs jobs within each site's IT capacity;
4. IT power per site and step = exogenous load + jobs' power + idle draw of the
   unused servers: ``it = load + jobs + idle_frac x max(0, capacity - load - jobs)``;
5. the power layer (:mod:`shulu.sim.power`) turns IT power into facility power,
   renewables, battery, grid, curtailment, heat, cost and emissions.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pandas as pd

from shulu import units
from shulu.errors import InputError
from shulu.model.scenario import Scenario
from shulu.model.workload import JOB_CLASSES
from shulu.sim.battery import get_dispatch_rule
from shulu.sim.jobs import JobEngine
from shulu.sim.policy import DEFER, JobBatch, Policy, SimContext, SiteState
from shulu.sim.power import SiteArrays, site_power
from shulu.sim.result import Result, build_result


def make_context(scenario: Scenario) -> SimContext:
    """Arrays every policy and the engine use."""
    net = scenario.network
    sites, regions = net.site_ids, net.region_ids
    lat = net.latency_matrix_ms().loc[regions, sites].to_numpy(dtype=np.float64)
    transfer = np.zeros((len(regions), len(sites)))
    for link in net.links:
        for r, s in ((link.a, link.b), (link.b, link.a)):
            if r in regions and s in sites:
                transfer[regions.index(r), sites.index(s)] = link.transfer_energy_kwh_per_gb
    sig = scenario.signals.slice(scenario.start, scenario.end)
    arrays = {name: sig[name][sites].to_numpy(dtype=np.float64) for name in (
        "intensity_g_per_kwh", "price_cny_per_kwh", "solar_cf", "wind_cf", "grid_cfe_frac", "temperature_c",
        "it_load_kw")}
    return SimContext(scenario=scenario, step_s=scenario.step_s, n_steps=scenario.n_steps, site_ids=sites,
                      region_ids=regions, capacity_kw=np.array([s.it_capacity_kw for s in net.sites]),
                      latency_ms=lat, transfer_kwh_per_gb=transfer, signals=arrays)


def job_batch(scenario: Scenario) -> JobBatch:
    """The whole workload as a :class:`JobBatch` (times relative to the horizon start)."""
    f = scenario.workload.frame
    regions = scenario.network.region_ids
    submit_s: np.ndarray = (f["submit_time"] - scenario.start).dt.total_seconds().to_numpy(dtype=np.float64)
    origin = pd.Categorical(f["origin"], categories=regions).codes.astype(np.int64)
    cls = pd.Categorical(f["job_class"], categories=list(JOB_CLASSES)).codes.astype(np.int64)
    return JobBatch(index=np.arange(len(f), dtype=np.int64), origin=origin, job_class=cls,
                    arrival_step=np.floor(submit_s / scenario.step_s).astype(np.int64), submit_s=submit_s,
                    duration_s=f["duration_s"].to_numpy(np.float64), power_kw=f["power_kw"].to_numpy(np.float64),
                    slack_s=f["slack_s"].to_numpy(np.float64),
                    max_latency_ms=f["max_latency_ms"].to_numpy(np.float64),
                    data_gb=f["data_gb"].to_numpy(np.float64), interruptible=f["interruptible"].to_numpy(bool))


def _check_placement(site: np.ndarray, release: np.ndarray, batch: JobBatch, n_sites: int, name: str) -> None:
    if site.shape != (len(batch),) or release.shape != (len(batch),):
        raise ValueError(f"policy {name!r} returned {site.shape}/{release.shape} decisions for {len(batch)} jobs")
    if len(batch) and (site.min() < 0 or site.max() >= n_sites):
        raise ValueError(f"policy {name!r} placed a job on a site index outside 0..{n_sites - 1}")
    if np.any(release < batch.arrival_step):
        raise ValueError(f"policy {name!r} released a job before it arrived")


def simulate(scenario: Scenario, policy: Policy, *, dispatch: str = "self-consumption", seed: int | None = None,
             scan_limit: int = 256) -> Result:
    """Simulate the scenario's horizon under a policy.

    Parameters
    ----------
    scenario : Scenario
        Network, signals, workload, horizon.
    policy : Policy
        Placement policy (see :mod:`shulu.policies`).
    dispatch : str
        Battery dispatch rule name (see :mod:`shulu.sim.battery`).
    seed : int, optional
        Seed recorded in provenance (defaults to the scenario's); the engine itself is deterministic.
    scan_limit : int
        Queue entries scanned per site and step (backfill depth).

    Returns
    -------
    Result
        Summary, per-site series, per-job records and provenance.
    """
    t_wall = time.perf_counter()
    if scan_limit < 1:
        raise InputError(f"expected scan_limit >= 1, got {scan_limit}", field="scan_limit")
    rule = get_dispatch_rule(dispatch)
    ctx = make_context(scenario)
    batch = job_batch(scenario)
    T, S = ctx.n_steps, len(ctx.site_ids)
    policy.prepare(ctx)
    pause = policy.pause_mask(ctx)
    pause_arr = np.zeros((T, S), dtype=np.bool_) if pause is None else np.asarray(pause, dtype=np.bool_)
    if pause_arr.shape != (T, S):
        raise ValueError(f"policy {policy.name!r} returned a pause mask of shape {pause_arr.shape}, expected {(T, S)}")
    base_kw = ctx.signals["it_load_kw"]
    eng = JobEngine(n_steps=T, step_s=float(ctx.step_s), cap_kw=ctx.capacity_kw, base_kw=base_kw, pause=pause_arr,
                    submit_s=batch.submit_s, duration_s=batch.duration_s, power_kw=batch.power_kw,
                    deadline_s=batch.deadline_s, interruptible=batch.interruptible, scan_limit=scan_limit)
    if len(batch):
        if not policy.online:
            site, release = (np.asarray(a, dtype=np.int64) for a in policy.place(batch, None, ctx))
            _check_placement(site, release, batch, S, policy.name)
            eng.place(batch.index, site, release)
            eng.advance(T)
        else:
            by_arrival = np.argsort(batch.arrival_step, kind="stable").astype(np.int64)  # tables need not be sorted
            bounds = np.searchsorted(batch.arrival_step[by_arrival], np.arange(T + 1), side="left")
            pending = np.empty(0, dtype=np.int64)  # jobs whose decision the policy deferred
            for t in range(T):
                lo, hi = int(bounds[t]), int(bounds[t + 1])
                idx = np.concatenate([pending, by_arrival[lo:hi]]) if pending.size else by_arrival[lo:hi]
                if idx.size:
                    sub = batch.take(idx)
                    state = SiteState(step=t, free_kw=eng.free_kw, queue_len=eng.queue_len[t - 1] if t else
                                      np.zeros(S, dtype=np.int64))
                    site, release = (np.asarray(a, dtype=np.int64) for a in policy.place(sub, state, ctx))
                    defer = release == DEFER
                    go = ~defer
                    if go.any():
                        rel = np.maximum(release[go], t)  # an online decision cannot start in the past
                        _check_placement(site[go], rel, sub.take(go), S, policy.name)
                        eng.place(sub.index[go], site[go], rel)
                    pending = sub.index[defer]
                eng.advance(t + 1)
    cap = ctx.capacity_kw[None, :]
    used = base_kw + eng.job_kw
    idle_frac = np.array([s.server_idle_frac for s in scenario.network.sites])[None, :]
    it_kw = used + idle_frac * np.maximum(0.0, cap - used)
    sig = ctx.signals
    flows = site_power(it_kw, sig["temperature_c"], sig["solar_cf"], sig["wind_cf"], sig["intensity_g_per_kwh"],
                       sig["price_cny_per_kwh"], sig["grid_cfe_frac"], SiteArrays.from_sites(scenario.network.sites),
                       float(ctx.step_s), rule)
    params: dict[str, Any] = {"policy": policy.name, "policy_params": policy.params(), "dispatch": dispatch,
                              "scan_limit": scan_limit}
    return build_result(scenario, ctx, batch, eng, flows, params=params,
                        seed=scenario.seed if seed is None else seed, started=t_wall, pause=pause_arr)


def hours_per_step(step_s: float) -> float:
    """Step length [h]."""
    return step_s / units.SECONDS_PER_HOUR
