"""The greedy space-time planner shared by the carbon-, cost- and latency-aware policies (numba-compiled).

Each step, the jobs to decide are taken in order of deadline. For each job, every
candidate (site, start step) — sites within its latency limit, starts from now up to
its latest start that still meets the deadline (and within the forecast horizon) —
is scored::

    cost = power_kw x integral of W[site](t) dt over the run  +  extra[job, site]

where ``W`` [cost unit per kWh of job energy] comes from the policy's forecasts.
The cheapest candidate with room in the policy's capacity plan wins and is
committed to the plan: the job holds its full power in every step it touches (and,
``hold_until_s``, up to its deadline if it may be paused), so the engine can admit
it on time. Jobs that may wait plan within ``cap_frac`` of the capacity, keeping headroom
for real-time work that cannot. A job with no candidate that fits is left to the
caller (site -1), which falls back to the nearest site now.
"""

from __future__ import annotations

import math

import numba
import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

_EPS = 1e-9


@numba.njit(cache=True)
def _integral(prefix: FloatArray, w: FloatArray, s: int, x: float, step_s: float, s_per_h: float) -> float:
    """Integral of W[:, s] over [0, x) seconds from the issue step, in W x hours."""  # pragma: no cover
    h = w.shape[0]
    i = int(x // step_s)
    if i >= h:
        return prefix[h, s] + w[h - 1, s] * (x - h * step_s) / s_per_h
    return prefix[i, s] + w[i, s] * (x - i * step_s) / s_per_h


@numba.njit(cache=True)
def plan_jobs(t0: int, n_steps: int, step_s: float, w: FloatArray, order: IntArray, submit_s: FloatArray,
              duration_s: FloatArray, power_kw: FloatArray, deadline_s: FloatArray, hold_until_s: FloatArray,
              cap_frac: FloatArray, feasible: BoolArray, extra: FloatArray, max_wait_steps: IntArray,
              max_candidates: int,
              cap_free_kw: FloatArray,
              planned_kw: FloatArray, commit_from: int, s_per_h: float
              ) -> tuple[IntArray, IntArray, FloatArray]:  # pragma: no cover - compiled
    """Plan jobs (in ``order``); returns site (-1 if none fits), start step and cost per job.

    Each job's window of start steps is scanned every step, or strided to at most ``max_candidates`` starts.
    Jobs whose best start is at or after ``commit_from`` are *not* committed to ``planned_kw``
    (MPC uses this to keep future starts tentative); pass ``n_steps`` to commit everything.
    """
    n_jobs = submit_s.shape[0]
    h, n_sites = w.shape
    prefix = np.zeros((h + 1, n_sites))
    for s in range(n_sites):
        acc = 0.0
        for u in range(h):
            prefix[u, s] = acc
            acc += w[u, s] * step_s / s_per_h
        prefix[h, s] = acc
    site_out = np.full(n_jobs, -1, dtype=np.int64)
    start_out = np.full(n_jobs, -1, dtype=np.int64)
    cost_out = np.full(n_jobs, np.inf)
    base = t0 * step_s
    for oi in range(order.shape[0]):
        j = order[oi]
        best = np.inf
        bs = -1
        bk = -1
        last_k = min(n_steps - 1, t0 + h - 1, t0 + max_wait_steps[j])
        stride = max(1, (last_k - t0 + max_candidates) // max_candidates)  # ceil(window / max_candidates)
        for s in range(n_sites):
            if not feasible[j, s]:
                continue
            k = t0
            while k <= last_k:
                start = max(k * step_s, submit_s[j])
                end = start + duration_s[j]
                if end > deadline_s[j] + _EPS and k > t0:
                    break
                c = power_kw[j] * (_integral(prefix, w, s, end - base, step_s, s_per_h)
                                   - _integral(prefix, w, s, start - base, step_s, s_per_h)) + extra[j, s]
                if c < best - 1e-12:
                    last = min(n_steps, math.ceil(max(end, hold_until_s[j]) / step_s - 1e-9))
                    ok = True
                    for u in range(k, last):
                        if planned_kw[u, s] + power_kw[j] > cap_frac[j] * cap_free_kw[u, s] + _EPS:
                            ok = False
                            break
                    if ok:
                        best = c
                        bs = s
                        bk = k
                k += stride
        if bs >= 0:
            site_out[j] = bs
            start_out[j] = bk
            cost_out[j] = best
            if bk < commit_from:
                end = max(bk * step_s, submit_s[j]) + duration_s[j]
                last = min(n_steps, math.ceil(max(end, hold_until_s[j]) / step_s - 1e-9))
                for u in range(bk, last):
                    planned_kw[u, bs] += power_kw[j]
    return site_out, start_out, cost_out
