"""The greedy space-time planner shared by the carbon-, cost- and latency-aware policies (numba-compiled).

Each step, the jobs to decide are taken in order of deadline (or of submission, ``first_come``). For each job, every
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

Candidates are visited site by site (in site order), each site's starts in time order; a
candidate replaces the best so far when its cost is lower by more than 1e-12 and it has
room. :func:`place_batch` does a whole call of a policy in one compiled function: the
prefix sums of ``W`` are built once per call (and only as far as the batch's runs
reach); a job's candidate starts, with each run's step index and offset into the step,
once per job rather than per site (they do not depend on the site); the costs of all
sites at one start in one vectorisable loop; and a start at or before a step already
found full at that site is not checked again. Every cost is computed with the same
floating-point operations as in a plain scan, so the decisions are the same (tested
against a reference implementation).
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
#: A candidate must beat the best so far by more than this [cost unit] to replace it.
TIE = 1e-12
#: Cost added to sites other than the nearest for nearest-site policies: they are used only when it is full.
SPILL_PENALTY = 1.0e12


@numba.njit(cache=True)
def _extend_prefix(prefix: FloatArray, acc: FloatArray, upto: int, done: int, w: FloatArray, step_s: float,
                   s_per_h: float) -> int:  # pragma: no cover - compiled
    """Fill prefix rows ``done .. upto`` (row u: the integral of rows < u, in W x hours); returns rows done."""
    h, n_sites = w.shape
    for u in range(done, upto + 1):
        if u < h:
            for s in range(n_sites):
                prefix[u, s] = acc[s]
                acc[s] += w[u, s] * step_s / s_per_h
        else:
            for s in range(n_sites):
                prefix[u, s] = acc[s]
    return max(done, upto + 1)


@numba.njit(cache=True, inline="always")
def _floor_div(x: float, step_s: float, int_step: bool) -> int:  # pragma: no cover - compiled
    """``int(x // step_s)`` for ``x >= 0``: the floor of the exact quotient."""
    if not int_step:
        return int(x // step_s)
    i = int(x / step_s)  # the rounded quotient's floor is the exact one, or one more
    if i * step_s > x:
        i -= 1
    return i


@numba.njit(cache=True, inline="always")
def _blocked(planned_kw: FloatArray, cap_free_kw: FloatArray, s: int, k: int, end: float, hold: float,
             step_s: float, power: float, cap_frac: float) -> int:  # pragma: no cover - compiled
    """The first step without room for a job of ``power`` starting in step ``k`` at site ``s``, among the steps it
    touches up to ``max(end, hold)`` [s from horizon start]; -1 if it fits in all of them."""
    last = min(planned_kw.shape[0], math.ceil(max(end, hold) / step_s - 1e-9))
    for u in range(k, last):
        if planned_kw[u, s] + power > cap_frac * cap_free_kw[u, s] + _EPS:
            return u
    return -1


@numba.njit(cache=True)
def _scan(feas: BoolArray, costs: FloatArray, n_q: int, ks: IntArray, ends: FloatArray, hold: float, step_s: float,
          planned_kw: FloatArray, cap_free_kw: FloatArray, power: float,
          cap_frac: float) -> tuple[int, int]:  # pragma: no cover - compiled
    """Site by site, start by start: the first candidate with room that no later one beats by more than TIE.

    A start at or before a step found without room by an earlier start at the same site has no room either (its
    run reaches at least as far), so it is not checked again.
    """
    best = np.inf
    bs = -1
    bk = -1
    for s in range(feas.shape[0]):
        if not feas[s]:
            continue
        blk = -1
        for q in range(n_q):
            c = costs[q, s]
            if c < best - TIE and ks[q] > blk:
                u = _blocked(planned_kw, cap_free_kw, s, ks[q], ends[q], hold, step_s, power, cap_frac)
                if u < 0:
                    best = c
                    bs = s
                    bk = ks[q]
                else:
                    blk = u
    return bs, bk


@numba.njit(cache=True, inline="always")
def _costs(costs: FloatArray, n_q: int, power: float, extra: FloatArray,
           prefix: FloatArray, w: FloatArray, ps: IntArray, ws: IntArray, fs: FloatArray, pe: IntArray, we: IntArray,
           fe: FloatArray, s_per_h: float) -> None:  # pragma: no cover - compiled
    """``costs[q, s]`` for the first ``n_q`` starts at every site (the arithmetic of a plain scan:
    where an end of the run falls on a step boundary its partial-step term is zero, and the prefix sums are never
    -0, so the term is left out)."""
    n_sites = costs.shape[1]
    for q in range(n_q):
        a_s = ps[q]
        b_s = ws[q]
        f_s = fs[q]
        a_e = pe[q]
        b_e = we[q]
        f_e = fe[q]
        if f_s == 0.0:
            for s in range(n_sites):
                costs[q, s] = power * ((prefix[a_e, s] + w[b_e, s] * f_e / s_per_h) - prefix[a_s, s]) + extra[s]
        else:
            for s in range(n_sites):
                costs[q, s] = power * ((prefix[a_e, s] + w[b_e, s] * f_e / s_per_h)
                                       - (prefix[a_s, s] + w[b_s, s] * f_s / s_per_h)) + extra[s]


@numba.njit(cache=True)
def place_batch(t0: int, n_steps: int, step_s: float, s_per_h: float, w: FloatArray, origin: IntArray,
                submit_s: FloatArray, duration_s: FloatArray, power_kw: FloatArray, slack_s: FloatArray,
                max_latency_ms: FloatArray, interruptible: BoolArray, latency_ms: FloatArray, extra: FloatArray,
                nearest_site: IntArray, may_wait: bool, nearest_only: bool, pauses: bool, flex_cap_frac: float,
                max_candidates: int, cap_free_kw: FloatArray, planned_kw: FloatArray, commit_from: int,
                first_come: bool = False) -> tuple[IntArray, IntArray]:  # pragma: no cover - compiled
    """One call of a planning policy: plan a batch of jobs from step ``t0``; returns site and start step per job.

    Parameters
    ----------
    t0 : int
        Current step (the forecasts' issue step).
    n_steps : int
        Steps in the horizon.
    step_s : float
        Step length [s].
    s_per_h : float
        Seconds per hour [s/h].
    w : ndarray
        (h x S) forecast cost per kWh of job energy from step ``t0`` [cost unit/kWh].
    origin : ndarray
        Demand region of each job (J,).
    submit_s, duration_s, slack_s : ndarray
        Submit time [s from horizon start], duration [s] and slack [s] of each job.
    power_kw : ndarray
        Power of each job [kW].
    max_latency_ms : ndarray
        Latency limit of each job [ms].
    interruptible : ndarray
        Whether each job may be paused.
    latency_ms : ndarray
        (R x S) latency from each region to each site [ms].
    extra : ndarray
        (J x S) per-job cost of each site [cost unit].
    nearest_site : ndarray
        Nearest site of each region (R,).
    may_wait, nearest_only, pauses : bool
        Whether jobs may start later than now; whether sites other than the nearest cost
        :data:`SPILL_PENALTY`; whether interruptible jobs hold their power up to their deadline.
    flex_cap_frac : float
        Share of the free capacity that jobs able to wait plan into (fraction).
    max_candidates : int
        Most candidate starts per job and site (longer windows are strided).
    cap_free_kw : ndarray
        (T x S) capacity less exogenous load [kW].
    planned_kw : ndarray
        (T x S) the capacity plan [kW]; updated in place.
    commit_from : int
        Plans starting at or after this step are not committed to ``planned_kw``.
    first_come : bool
        Plan the jobs in order of submission (first come, first served) instead of deadline; ties keep the batch
        order.

    Returns
    -------
    site, start : ndarray
        Site index and start step of each job. Jobs that fit nowhere go to the nearest site now
        (and enter the plan).
    """
    n_jobs = submit_s.shape[0]
    h, n_sites = w.shape
    deadline = submit_s + slack_s + duration_s
    wait = np.zeros(n_jobs, dtype=np.int64)
    if may_wait:
        for j in range(n_jobs):
            wait[j] = np.int64(np.floor(slack_s[j] / step_s))
    order = np.argsort(submit_s if first_come else deadline, kind="mergesort")
    prefix = np.zeros((h + 1, n_sites))
    acc = np.zeros(n_sites)
    n_prefix = 0
    n_cap = max_candidates + 2
    ks = np.empty(n_cap, dtype=np.int64)
    ends = np.empty(n_cap)
    ps = np.empty(n_cap, dtype=np.int64)
    ws = np.empty(n_cap, dtype=np.int64)
    pe = np.empty(n_cap, dtype=np.int64)
    we = np.empty(n_cap, dtype=np.int64)
    fs = np.empty(n_cap)
    fe = np.empty(n_cap)
    xs = np.empty(n_cap)
    xe = np.empty(n_cap)
    costs = np.empty((n_cap, n_sites))
    feas = np.empty(n_sites, dtype=np.bool_)
    ex = np.empty(n_sites)
    site_out = np.full(n_jobs, -1, dtype=np.int64)
    start_out = np.full(n_jobs, -1, dtype=np.int64)
    base = t0 * step_s
    # x // step_s by a division and a correction: exact for whole seconds well below 2**52 [s]
    int_step = step_s == math.floor(step_s) and step_s > 0.0 and (n_steps + 1) * step_s < 2.0 ** 50
    todo = order
    for pass_no in range(2):
        missed = np.empty(todo.shape[0], dtype=np.int64)
        n_missed = 0
        for oi in range(todo.shape[0]):
            j = todo[oi]
            p = power_kw[j]
            hold = deadline[j] if (pauses and interruptible[j]) else 0.0
            cap_frac = 1.0 if (pass_no == 1 or wait[j] <= 0) else flex_cap_frac
            o = origin[j]
            for s in range(n_sites):
                feas[s] = latency_ms[o, s] <= max_latency_ms[j]
                ex[s] = extra[j, s]
                if nearest_only:
                    ex[s] = ex[s] + (0.0 if s == nearest_site[o] else SPILL_PENALTY)
            # the candidate starts (the same at every site)
            last_k = min(n_steps - 1, t0 + h - 1, t0 + wait[j])
            stride = max(1, (last_k - t0 + max_candidates) // max_candidates)  # ceil(window / max_candidates)
            n_q = 0
            k = t0
            while k <= last_k:
                start = max(k * step_s, submit_s[j])
                end = start + duration_s[j]
                if end > deadline[j] + _EPS and k > t0:
                    break
                ks[n_q] = k
                ends[n_q] = end
                x = start - base
                xs[n_q] = x
                i = _floor_div(x, step_s, int_step)
                if i >= h:
                    ps[n_q] = h
                    ws[n_q] = h - 1
                    fs[n_q] = x - h * step_s
                else:
                    ps[n_q] = i
                    ws[n_q] = i
                    fs[n_q] = x - i * step_s
                x = end - base
                xe[n_q] = x
                i = _floor_div(x, step_s, int_step)
                if i >= h:
                    pe[n_q] = h
                    we[n_q] = h - 1
                    fe[n_q] = x - h * step_s
                else:
                    pe[n_q] = i
                    we[n_q] = i
                    fe[n_q] = x - i * step_s
                n_q += 1
                k += stride
            if pe[n_q - 1] >= n_prefix:
                n_prefix = _extend_prefix(prefix, acc, pe[n_q - 1], n_prefix, w, step_s, s_per_h)
            _costs(costs, n_q, p, ex, prefix, w, ps, ws, fs, pe, we, fe, s_per_h)
            bs, bk = _scan(feas, costs, n_q, ks, ends, hold, step_s, planned_kw, cap_free_kw, p, cap_frac)
            if bs >= 0:
                site_out[j] = bs
                start_out[j] = bk
                if bk < commit_from:
                    end = max(bk * step_s, submit_s[j]) + duration_s[j]
                    last = min(n_steps, math.ceil(max(end, hold) / step_s - 1e-9))
                    for u in range(bk, last):
                        planned_kw[u, bs] += p
            elif pass_no == 0:
                missed[n_missed] = j
                n_missed += 1
        # no room within the flexible share: use the real-time headroom before overbooking
        todo = missed[:n_missed]
        if n_missed == 0:
            break
    # fall back to the nearest site now for jobs that fit nowhere; they enter the plan too
    for j in range(n_jobs):
        if site_out[j] < 0:
            o = origin[j]
            s = 0
            for r in range(1, n_sites):
                if latency_ms[o, r] < latency_ms[o, s]:
                    s = r
            site_out[j] = s
            start_out[j] = t0
            end = max(t0 * step_s, submit_s[j]) + duration_s[j]
            last = min(n_steps, math.ceil(end / step_s - 1e-9))
            for u in range(t0, last):
                planned_kw[u, s] += power_kw[j]
    return site_out, start_out
