"""The compiled planner (:func:`shulu.policies.planner.place_batch`) against a plain-Python reference.

The reference is the planner as documented, written the simplest way: jobs in deadline order; every feasible site,
every candidate start in time order, cost = power x (integral of W over the run) + extra, where the integral is
read off prefix sums of W; a candidate replaces the best when cheaper by more than 1e-12 and it has room in the
plan in every step it touches; a second pass with the full capacity for jobs that found no room in the flexible
share; the nearest site now for the rest. The fast path must give every job the same site and start and leave the
same capacity plan, including on ties (W drawn from a few values, or constant in time).
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from shulu.policies.planner import SPILL_PENALTY, place_batch

S_PER_H = 3600.0
EPS = 1e-9


def reference(t0: int, n_steps: int, step_s: float, w: np.ndarray, origin: np.ndarray, submit: np.ndarray,
              duration: np.ndarray, power: np.ndarray, slack: np.ndarray, max_lat: np.ndarray,
              interruptible: np.ndarray, latency: np.ndarray, extra: np.ndarray, nearest: np.ndarray,
              may_wait: bool, nearest_only: bool, pauses: bool, flex: float, max_candidates: int,
              cap_free: np.ndarray, planned: np.ndarray, commit_from: int,
              first_come: bool = False) -> tuple[list[int], list[int]]:
    """The planner, loop by loop in Python floats (``planned`` is updated in place)."""
    h, n_sites = w.shape
    prefix = [[0.0] * n_sites for _ in range(h + 1)]
    for s in range(n_sites):
        acc = 0.0
        for u in range(h):
            prefix[u][s] = acc
            acc += float(w[u, s]) * step_s / S_PER_H
        prefix[h][s] = acc

    def integral(s: int, x: float) -> float:
        i = int(x // step_s)
        if i >= h:
            return prefix[h][s] + float(w[h - 1, s]) * (x - h * step_s) / S_PER_H
        return prefix[i][s] + float(w[i, s]) * (x - i * step_s) / S_PER_H

    n = len(submit)
    deadline = [float(submit[j]) + float(slack[j]) + float(duration[j]) for j in range(n)]
    wait = [math.floor(float(slack[j]) / step_s) if may_wait else 0 for j in range(n)]
    hold = [deadline[j] if (pauses and interruptible[j]) else 0.0 for j in range(n)]
    order = sorted(range(n), key=lambda j: float(submit[j]) if first_come else deadline[j])  # stable
    site = [-1] * n
    start = [-1] * n
    base = t0 * step_s

    def last_step(end: float, j: int) -> int:
        return min(n_steps, math.ceil(max(end, hold[j]) / step_s - 1e-9))

    def plan(jobs: list[int], full: bool) -> None:
        for j in jobs:
            p = float(power[j])
            frac = 1.0 if (full or wait[j] <= 0) else flex
            best, bs, bk = math.inf, -1, -1
            last_k = min(n_steps - 1, t0 + h - 1, t0 + wait[j])
            stride = max(1, (last_k - t0 + max_candidates) // max_candidates)
            for s in range(n_sites):
                if not latency[origin[j], s] <= max_lat[j]:
                    continue
                ex = float(extra[j, s])
                if nearest_only:
                    ex = ex + (0.0 if s == nearest[origin[j]] else SPILL_PENALTY)
                k = t0
                while k <= last_k:
                    st_ = max(k * step_s, float(submit[j]))
                    end = st_ + float(duration[j])
                    if end > deadline[j] + EPS and k > t0:
                        break
                    c = p * (integral(s, end - base) - integral(s, st_ - base)) + ex
                    if c < best - 1e-12 and all(planned[u, s] + p <= frac * cap_free[u, s] + EPS
                                                for u in range(k, last_step(end, j))):
                        best, bs, bk = c, s, k
                    k += stride
            if bs >= 0:
                site[j], start[j] = bs, bk
                if bk < commit_from:
                    end = max(bk * step_s, float(submit[j])) + float(duration[j])
                    for u in range(bk, last_step(end, j)):
                        planned[u, bs] += p

    plan(order, full=False)
    plan([j for j in order if site[j] < 0], full=True)
    for j in range(n):
        if site[j] < 0:
            s = int(np.argmin(latency[origin[j]]))
            site[j], start[j] = s, t0
            end = max(t0 * step_s, float(submit[j])) + float(duration[j])
            for u in range(t0, min(n_steps, math.ceil(end / step_s - 1e-9))):
                planned[u, s] += float(power[j])
    return site, start


@st.composite
def instances(draw: st.DrawFn) -> dict[str, object]:
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    n_steps = draw(st.integers(2, 30))
    n_sites = draw(st.integers(1, 4))
    n_regions = draw(st.integers(1, 3))
    n_jobs = draw(st.integers(1, 12))
    step_s = float(draw(st.sampled_from([300, 900, 3600])))
    t0 = draw(st.integers(0, n_steps - 1))
    h = min(draw(st.integers(1, 40)), n_steps - t0)
    kind = draw(st.sampled_from(["random", "few values", "constant in time"]))
    if kind == "random":
        w = rng.uniform(0.0, 2.0, (h, n_sites))
    elif kind == "few values":  # exact ties between candidates
        w = rng.choice([0.25, 0.5, 1.0], (h, n_sites))
    else:
        w = np.repeat(rng.uniform(0.0, 2.0, (1, n_sites)), h, axis=0)
    on_step = rng.random(n_jobs) < 0.3
    duration = np.where(on_step, rng.integers(1, 4, n_jobs) * step_s, rng.uniform(1.0, 4 * step_s, n_jobs))
    latency = rng.uniform(1.0, 40.0, (n_regions, n_sites))
    extra = rng.uniform(0.0, 0.5, (n_jobs, n_sites)) if draw(st.booleans()) else np.zeros((n_jobs, n_sites))
    return {
        "t0": t0, "n_steps": n_steps, "step_s": step_s, "w": w,
        "origin": rng.integers(0, n_regions, n_jobs).astype(np.int64),
        "submit": t0 * step_s + rng.uniform(0.0, step_s, n_jobs) * (rng.random(n_jobs) < 0.7),
        "duration": duration, "power": rng.uniform(0.5, 5.0, n_jobs),
        "slack": rng.uniform(0.0, 12 * step_s, n_jobs) * (rng.random(n_jobs) < 0.8),
        "max_lat": rng.uniform(5.0, 50.0, n_jobs), "interruptible": rng.random(n_jobs) < 0.5,
        "latency": latency, "extra": extra, "nearest": np.argmin(latency, axis=1).astype(np.int64),
        "may_wait": draw(st.booleans()), "nearest_only": draw(st.booleans()), "pauses": draw(st.booleans()),
        "flex": draw(st.sampled_from([0.5, 0.8, 1.0])), "max_candidates": draw(st.sampled_from([3, 192])),
        "cap_free": rng.uniform(2.0, 12.0, (n_steps, n_sites)),
        "planned": rng.uniform(0.0, 6.0, (n_steps, n_sites)) * (rng.random((n_steps, n_sites)) < 0.5),
        "commit_from": draw(st.sampled_from([t0 + 1, n_steps])), "first_come": draw(st.booleans()),
    }


@settings(max_examples=300, deadline=None)
@given(instances())
def test_place_batch_equals_the_reference(inst: dict[str, object]) -> None:
    a = dict(inst)
    planned_ref = np.array(a.pop("planned"), dtype=np.float64)
    planned_fast = planned_ref.copy()
    args = [a[k] for k in ("t0", "n_steps", "step_s")]
    rest = [a[k] for k in ("w", "origin", "submit", "duration", "power", "slack", "max_lat", "interruptible",
                           "latency", "extra", "nearest", "may_wait", "nearest_only", "pauses", "flex",
                           "max_candidates", "cap_free")]
    site_ref, start_ref = reference(*args, *rest, planned_ref, a["commit_from"], a["first_come"])  # type: ignore[arg-type]
    site, start = place_batch(*args, S_PER_H, *rest, planned_fast, a["commit_from"], a["first_come"])
    assert site.tolist() == site_ref
    assert start.tolist() == start_ref
    assert np.array_equal(planned_fast, planned_ref)


def test_reference_by_hand() -> None:
    # one site, W = 3, 1, 2 [kg/kWh] in three hourly steps; a 1 kW, 1-hour job with 2 h of slack starts in the
    # cheapest hour (step 1, 1 kg); a second identical job finds step 1 full (2 kW free, 1.5 kW planned) and
    # takes step 2 (2 kg), the cheaper of the two left; both enter the plan
    w = np.array([[3.0], [1.0], [2.0]])
    planned = np.array([[0.0], [0.5], [0.0]])
    args = (0, 3, 3600.0, S_PER_H, w, np.array([0, 0]), np.array([0.0, 0.0]), np.array([3600.0, 3600.0]),
            np.array([1.0, 1.0]), np.array([7200.0, 7200.0]), np.array([50.0, 50.0]), np.array([False, False]),
            np.array([[1.0]]), np.zeros((2, 1)), np.array([0]), True, False, False, 1.0, 192, np.full((3, 1), 2.0),
            planned, 3)
    site, start = place_batch(*args)
    assert site.tolist() == [0, 0]
    assert start.tolist() == [1, 2]
    assert planned.ravel().tolist() == [0.0, 1.5, 1.0]
