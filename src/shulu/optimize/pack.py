"""A feasible schedule for the oracle: whole jobs packed within capacity, then improved by local search.

The fluid bound's schedule splits and pauses jobs, so rounding it queues work and makes it late. Here every job
gets one site (within its latency limit) and one start (from its submit time, ending by its deadline) such that,
step by step, the planned schedule fits the twin's capacity rules (the jobs' average power and the power held
across each step's end stay within the free IT capacity); the engine then admits every job at its release step.

The choice minimises a surrogate of the emissions each job adds given everyone else's planned load: per site and
step ``intensity x max(0, demand(jobs) - renewables)``, with the facility's demand curve (idle draw, PUE of
temperature and load, heat pump) as in the twin but without the battery. Jobs are first placed greedily, largest
energy first, each at its cheapest fitting (site, start); then each job in turn is taken out and put back at its
cheapest fitting place, for a few passes — the surrogate never increases. The result is simulated like any other
policy; its emissions are an upper estimate of the optimum, the bound a lower one.
"""

from __future__ import annotations

import numba
import numpy as np
import numpy.typing as npt

from shulu.sim.policy import JobBatch, SimContext

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

_WASTE_HEAT_FRAC = 0.9
_TOL = 1e-9
#: Slack on capacity [kW] when planning (the engine admits up to capacity x (1 + 1e-12) + 1e-9 kW s / step).
_ROOM_TOL = 1e-10


@numba.njit(cache=True)
def _step_cost(x: float, t: int, s: int, idle: FloatArray, cap: FloatArray, load: FloatArray, base: FloatArray,
               light: FloatArray, renew: FloatArray, inten: FloatArray) -> float:  # pragma: no cover - compiled
    """Surrogate emission rate [g/h] of site ``s`` in step ``t`` with ``x`` kW of jobs."""
    c = cap[s]
    used = load[t, s] + x
    p = used + idle[s] * max(c - used, 0.0)
    u = min(max(p / c, 0.0), 1.0)
    d = p * (base[t, s] + light[t, s] * (1.0 - u))
    return inten[t, s] * max(d - renew[t, s], 0.0)


@numba.njit(cache=True)
def _profile(start: float, dur: float, p: float, step_s: float, n_steps: int, e_out: FloatArray,
             h_out: FloatArray) -> int:  # pragma: no cover - compiled
    """Average power per step and power held at each step's end of a job run whole from ``start``.

    Fills ``e_out[i]``, ``h_out[i]`` for steps ``k0 + i`` and returns ``k0`` (the first step).
    """
    k0 = int(start // step_s)
    end = start + dur
    i = 0
    k = k0
    while k < n_steps and k * step_s < end - _TOL:
        t0 = k * step_s
        t1 = t0 + step_s
        ov = min(end, t1) - max(start, t0)
        e_out[i] = p * max(ov, 0.0) / step_s
        h_out[i] = p if end - t1 > _TOL else 0.0
        i += 1
        k += 1
    e_out[i] = -1.0  # terminator
    return k0


@numba.njit(cache=True)
def _best_place(j: int, submit: FloatArray, dur: FloatArray, deadline: FloatArray, power: FloatArray,
                feasible: BoolArray, step_s: float, n_steps: int, free: FloatArray, jobs_kw: FloatArray,
                held_kw: FloatArray, idle: FloatArray, cap: FloatArray, load: FloatArray, base: FloatArray,
                light: FloatArray, renew: FloatArray, inten: FloatArray, e_buf: FloatArray,
                h_buf: FloatArray) -> tuple[int, float, float]:  # pragma: no cover - compiled
    """Cheapest fitting (site, start) for job ``j`` given the others' load; (-1, 0, inf) when none fits."""
    n_sites = cap.shape[0]
    a = submit[j]
    d = dur[j]
    p = power[j]
    latest = deadline[j] - d
    h = n_steps * step_s
    best_c = np.inf
    best_s = -1
    best_t = 0.0
    k_first = int(a // step_s)
    for s in range(n_sites):
        if not feasible[j, s]:
            continue
        k = k_first
        while True:
            t = a if k == k_first else k * step_s
            if t > latest + _TOL:
                break
            if t >= h:
                # starts past the horizon cost nothing here (allowed only when the job still ends in time)
                if best_c > 0.0:
                    best_c, best_s, best_t = 0.0, s, t
                break
            k0 = _profile(t, d, p, step_s, n_steps, e_buf, h_buf)
            fits = True
            c = 0.0
            i = 0
            while e_buf[i] >= 0.0:
                kk = k0 + i
                x = jobs_kw[kk, s]
                room = free[kk, s] * (1.0 + 1e-12) + _ROOM_TOL  # inside the engine's own tolerance
                if x + e_buf[i] > room or held_kw[kk, s] + h_buf[i] > room:
                    fits = False
                    break
                c += _step_cost(x + e_buf[i], kk, s, idle, cap, load, base, light, renew, inten) \
                    - _step_cost(x, kk, s, idle, cap, load, base, light, renew, inten)
                i += 1
            if fits and c < best_c - 1e-12:
                best_c, best_s, best_t = c, s, t
            k += 1
    return best_s, best_t, best_c


@numba.njit(cache=True)
def _apply(j: int, s: int, t: float, sign: float, dur: FloatArray, power: FloatArray, step_s: float, n_steps: int,
           jobs_kw: FloatArray, held_kw: FloatArray, e_buf: FloatArray,
           h_buf: FloatArray) -> None:  # pragma: no cover - compiled
    if t >= n_steps * step_s:
        return
    k0 = _profile(t, dur[j], power[j], step_s, n_steps, e_buf, h_buf)
    i = 0
    while e_buf[i] >= 0.0:
        jobs_kw[k0 + i, s] += sign * e_buf[i]
        held_kw[k0 + i, s] += sign * h_buf[i]
        i += 1


@numba.njit(cache=True)
def _pack(order: IntArray, submit: FloatArray, dur: FloatArray, deadline: FloatArray, power: FloatArray,
          feasible: BoolArray, fallback_site: IntArray, step_s: float, n_steps: int, free: FloatArray,
          idle: FloatArray, cap: FloatArray, load: FloatArray, base: FloatArray, light: FloatArray,
          renew: FloatArray, inten: FloatArray, passes: int, site_out: IntArray,
          start_out: FloatArray) -> int:  # pragma: no cover - compiled
    n_t, n_s = free.shape
    jobs_kw = np.zeros((n_t, n_s))
    held_kw = np.zeros((n_t, n_s))
    max_steps = int(np.ceil(dur.max() / step_s)) + 3 if dur.shape[0] else 3
    e_buf = np.empty(max_steps)
    h_buf = np.empty(max_steps)
    placed = np.zeros(order.shape[0], dtype=np.bool_)
    n_unfit = 0
    for i in range(order.shape[0]):
        j = order[i]
        s, t, _ = _best_place(j, submit, dur, deadline, power, feasible, step_s, n_steps, free, jobs_kw, held_kw,
                              idle, cap, load, base, light, renew, inten, e_buf, h_buf)
        if s < 0:
            # nothing fits: release at arrival at the fallback site and let the engine queue it
            site_out[j] = fallback_site[j]
            start_out[j] = submit[j]
            n_unfit += 1
            continue
        site_out[j] = s
        start_out[j] = t
        placed[i] = True
        _apply(j, s, t, 1.0, dur, power, step_s, n_steps, jobs_kw, held_kw, e_buf, h_buf)
    for _ in range(passes):
        moved = 0
        for i in range(order.shape[0]):
            if not placed[i]:
                continue
            j = order[i]
            s0, t0 = site_out[j], start_out[j]
            _apply(j, s0, t0, -1.0, dur, power, step_s, n_steps, jobs_kw, held_kw, e_buf, h_buf)
            s, t, _ = _best_place(j, submit, dur, deadline, power, feasible, step_s, n_steps, free, jobs_kw,
                                  held_kw, idle, cap, load, base, light, renew, inten, e_buf, h_buf)
            if s < 0:  # pragma: no cover - its old place still fits
                s, t = s0, t0
            if s != s0 or abs(t - t0) > _TOL:
                moved += 1
            site_out[j] = s
            start_out[j] = t
            _apply(j, s, t, 1.0, dur, power, step_s, n_steps, jobs_kw, held_kw, e_buf, h_buf)
        if moved == 0:
            break
    return n_unfit


def pack_schedule(ctx: SimContext, batch: JobBatch, fallback_site: IntArray, *, passes: int = 3
                  ) -> tuple[IntArray, IntArray, int]:
    """Whole-job schedule within capacity (see the module docstring).

    Returns
    -------
    (site, release_step, n_unfit) : per job its site and release step, and how many jobs found no fitting place
    (released at arrival at ``fallback_site``, where the engine queues them).
    """
    sites = ctx.scenario.network.sites
    sig = ctx.signals

    def col(attr: str) -> FloatArray:
        return np.array([getattr(s, attr) for s in sites], dtype=np.float64)

    a = col("pue_design")[None, :] + col("pue_temp_coef_per_c")[None, :] * np.maximum(
        0.0, sig["temperature_c"] - col("pue_ref_temp_c")[None, :])
    frac, cop = col("heat_recovery_frac")[None, :], col("heat_pump_cop")[None, :]
    base = np.maximum(a, 1.0) + np.where(frac > 0, _WASTE_HEAT_FRAC * frac / np.maximum(cop - 1.0, 1e-12), 0.0)
    light = np.where(a >= 1.0, col("pue_light_load_coef")[None, :], 0.0) * np.ones_like(a)
    renew = (sig["solar_cf"] * np.array([s.supply.solar_kw for s in sites])[None, :]
             + sig["wind_cf"] * np.array([s.supply.wind_kw for s in sites])[None, :])
    cap = ctx.capacity_kw.astype(np.float64)
    load = np.ascontiguousarray(sig["it_load_kw"], dtype=np.float64)
    free = np.maximum(cap[None, :] - load, 0.0)
    feasible = ctx.latency_ms[batch.origin] <= batch.max_latency_ms[:, None]
    order = np.lexsort((batch.submit_s, -(batch.power_kw * batch.duration_s))).astype(np.int64)
    n = len(batch)
    site = np.full(n, -1, dtype=np.int64)
    start = np.zeros(n)
    n_unfit = _pack(order, batch.submit_s, batch.duration_s, batch.deadline_s, batch.power_kw,
                    np.ascontiguousarray(feasible), np.asarray(fallback_site, dtype=np.int64), float(ctx.step_s),
                    ctx.n_steps, np.ascontiguousarray(free), col("server_idle_frac"), cap, load,
                    np.ascontiguousarray(base), np.ascontiguousarray(light), np.ascontiguousarray(renew),
                    np.ascontiguousarray(sig["intensity_g_per_kwh"], dtype=np.float64), passes, site, start)
    release = np.maximum(np.floor(start / ctx.step_s + 1e-9).astype(np.int64), batch.arrival_step)
    return site, release, int(n_unfit)
