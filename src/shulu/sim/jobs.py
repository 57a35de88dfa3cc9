"""The job engine: runs placed jobs within each site's IT capacity, step by step (numba-compiled).

Rules (documented in ``docs/simulation.md``):

* A placement gives each job a site and a *release step* (>= its arrival step).
  At its release step the job joins the site's waiting queue, which is kept in
  order of deadline (earliest deadline first; ties in release order), so work
  with slack yields to work without it.
* Capacity holds at the step's resolution: in every step, (a) the jobs' average
  power (energy / step) and (b) the power of the jobs held across the step's end
  (still running, or paused and keeping their servers) stay within the site's IT
  capacity (less any exogenous load). So the power running into every step starts
  within capacity; peaks shorter than a step may exceed it (use 5-minute steps to
  tighten this). Each step the queue is scanned in order (up to ``scan_limit``
  entries, so small jobs may backfill past a large one) and a job is admitted
  when it fits both.
* A job admitted in step ``t`` starts at ``max(step start, submit time)``; it
  runs until its duration is done. Energy is counted by the seconds it actually
  runs in each step.
* Interruptible jobs are paused in a step where the site's pause mask is set,
  but only while they can still meet their deadline after skipping the step. A
  paused running job keeps its servers (its power stays held), so it can always
  resume; a queued interruptible job is held back by the same rule.
* Jobs still queued or running at the end of the horizon are *unfinished*;
  their energy within the horizon is counted.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np
import numpy.typing as npt

from shulu import units

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

_EPS = 1e-9


@numba.njit(cache=True)
def _insert_buckets(jobs: IntArray, release: IntArray, bucket_head: IntArray, bucket_tail: IntArray,
                    bucket_next: IntArray) -> None:  # pragma: no cover - compiled
    for k in range(jobs.shape[0]):
        j = jobs[k]
        r = release[j]
        bucket_next[j] = -1
        if bucket_head[r] < 0:
            bucket_head[r] = j
        else:
            bucket_next[bucket_tail[r]] = j
        bucket_tail[r] = j


@numba.njit(cache=True)
def _run_steps(t_from: int, t_to: int, step_s: float, cap_kw: FloatArray, base_kw: FloatArray, pause: BoolArray,
               submit_s: FloatArray, power_kw: FloatArray, deadline_s: FloatArray, interruptible: BoolArray,
               site_of: IntArray, bucket_head: IntArray, bucket_next: IntArray,
               w_head: IntArray, w_tail: IntArray, w_next: IntArray, w_count: IntArray,
               r_head: IntArray, r_next: IntArray, start_s: FloatArray, remaining_s: FloatArray,
               end_s: FloatArray, energy_kwh: FloatArray, paused_s: FloatArray, run_flag: BoolArray,
               job_kw: FloatArray, reserved_kw: FloatArray, queue_len: IntArray,
               scan_limit: int, s_per_h: float) -> None:  # pragma: no cover - compiled
    n_sites = cap_kw.shape[0]
    for t in range(t_from, t_to):
        t0 = t * step_s
        t1 = t0 + step_s
        # 1. released jobs join their site's queue, kept in order of deadline (earliest first; ties in release order)
        j = bucket_head[t]
        while j >= 0:
            s = site_of[j]
            w_next[j] = -1
            if w_head[s] < 0:
                w_head[s] = j
                w_tail[s] = j
            elif deadline_s[w_tail[s]] <= deadline_s[j]:
                w_next[w_tail[s]] = j
                w_tail[s] = j
            elif deadline_s[w_head[s]] > deadline_s[j]:
                w_next[j] = w_head[s]
                w_head[s] = j
            else:
                p = w_head[s]
                while w_next[p] >= 0 and deadline_s[w_next[p]] <= deadline_s[j]:
                    p = w_next[p]
                w_next[j] = w_next[p]
                w_next[p] = j
            w_count[s] += 1
            j = bucket_next[j]
        for s in range(n_sites):
            paused_site = pause[t, s]
            cap = cap_kw[s] - base_kw[t, s]
            cap_ks = cap * step_s * (1.0 + 1e-12) + _EPS  # capacity over the step [kW s]
            # 2. running jobs: run or pause this step; energy use [kW s] and power held at the step's end [kW]
            use = 0.0
            held = 0.0
            j = r_head[s]
            while j >= 0:
                if paused_site and interruptible[j] and deadline_s[j] - t1 >= remaining_s[j]:
                    run_flag[j] = False
                    held += power_kw[j]  # a paused job keeps its servers
                else:
                    run_flag[j] = True
                    dt = min(remaining_s[j], t1 - max(t0, start_s[j]))
                    use += power_kw[j] * dt
                    if remaining_s[j] - dt > _EPS:
                        held += power_kw[j]
                j = r_next[j]
            # 3. admit from the queue (scan up to scan_limit entries): the job must fit both the step's
            #    energy (average power) and the power held across the step's end
            prev = -1
            j = w_head[s]
            scanned = 0
            while j >= 0 and scanned < scan_limit:
                nxt = w_next[j]
                scanned += 1
                hold = paused_site and interruptible[j] and deadline_s[j] - t1 >= remaining_s[j]
                a = max(t0, submit_s[j])
                dt = min(remaining_s[j], t1 - a)
                cont = power_kw[j] if remaining_s[j] - dt > _EPS else 0.0
                if (not hold) and use + power_kw[j] * dt <= cap_ks and held + cont <= cap * (1.0 + 1e-12) + _EPS:
                    # unlink from waiting
                    if prev < 0:
                        w_head[s] = nxt
                    else:
                        w_next[prev] = nxt
                    if w_tail[s] == j:
                        w_tail[s] = prev
                    w_count[s] -= 1
                    # push on running
                    r_next[j] = r_head[s]
                    r_head[s] = j
                    start_s[j] = a
                    run_flag[j] = True
                    use += power_kw[j] * dt
                    held += cont
                else:
                    prev = j
                j = nxt
            # 4. progress running jobs
            e_step = 0.0
            prev = -1
            j = r_head[s]
            while j >= 0:
                nxt = r_next[j]
                if run_flag[j]:
                    a = max(t0, start_s[j])
                    dt = min(remaining_s[j], t1 - a)
                    if dt < 0.0:
                        dt = 0.0
                    e = power_kw[j] * dt / s_per_h
                    energy_kwh[j] += e
                    e_step += e
                    remaining_s[j] -= dt
                    if remaining_s[j] <= _EPS:
                        remaining_s[j] = 0.0
                        end_s[j] = a + dt
                        if prev < 0:
                            r_head[s] = nxt
                        else:
                            r_next[prev] = nxt
                        j = nxt
                        continue
                else:
                    paused_s[j] += step_s
                prev = j
                j = nxt
            job_kw[t, s] = e_step * s_per_h / step_s
            reserved_kw[t, s] = held
            queue_len[t, s] = w_count[s]


@dataclass
class JobEngine:
    """Mutable state of the job engine over one horizon.

    Parameters
    ----------
    n_steps : int
        Steps in the horizon.
    step_s : float
        Step length [s].
    cap_kw : numpy.ndarray
        IT capacity per site [kW], shape (S,).
    base_kw : numpy.ndarray
        Exogenous IT load per step and site [kW], shape (T, S); it takes capacity first.
    pause : numpy.ndarray
        Pause mask for interruptible jobs, bool (T, S).
    submit_s, duration_s, power_kw, deadline_s : numpy.ndarray
        Per job, times in seconds from the horizon start [s] and power [kW].
    interruptible : numpy.ndarray
        Per job, bool.
    scan_limit : int
        Queue entries scanned per site and step (backfill depth).
    """

    n_steps: int
    step_s: float
    cap_kw: FloatArray
    base_kw: FloatArray
    pause: BoolArray
    submit_s: FloatArray
    duration_s: FloatArray
    power_kw: FloatArray
    deadline_s: FloatArray
    interruptible: BoolArray
    scan_limit: int = 256

    def __post_init__(self) -> None:
        n = self.submit_s.shape[0]
        s = self.cap_kw.shape[0]
        self.site_of = np.full(n, -1, dtype=np.int64)
        self.release_step = np.full(n, -1, dtype=np.int64)
        self.bucket_head = np.full(self.n_steps + 1, -1, dtype=np.int64)
        self.bucket_tail = np.full(self.n_steps + 1, -1, dtype=np.int64)
        self.bucket_next = np.full(n, -1, dtype=np.int64)
        self.w_head = np.full(s, -1, dtype=np.int64)
        self.w_tail = np.full(s, -1, dtype=np.int64)
        self.w_next = np.full(n, -1, dtype=np.int64)
        self.w_count = np.zeros(s, dtype=np.int64)
        self.r_head = np.full(s, -1, dtype=np.int64)
        self.r_next = np.full(n, -1, dtype=np.int64)
        self.start_s = np.full(n, np.nan)
        self.remaining_s = self.duration_s.astype(np.float64).copy()
        self.end_s = np.full(n, np.nan)
        self.energy_kwh = np.zeros(n)
        self.paused_s = np.zeros(n)
        self.run_flag = np.zeros(n, dtype=np.bool_)
        self.job_kw = np.zeros((self.n_steps, s))
        self.reserved_kw = np.zeros((self.n_steps, s))
        self.queue_len = np.zeros((self.n_steps, s), dtype=np.int64)
        self.t = 0

    def place(self, jobs: IntArray, site: IntArray, release_step: IntArray) -> None:
        """Record the placement of ``jobs`` (indices): their site and release step.

        Release steps past the horizon mean the job never starts (it is unfinished).
        """
        jobs = np.asarray(jobs, dtype=np.int64)
        self.site_of[jobs] = site
        rel = np.minimum(np.asarray(release_step, dtype=np.int64), self.n_steps)
        self.release_step[jobs] = rel
        _insert_buckets(jobs, self.release_step, self.bucket_head, self.bucket_tail, self.bucket_next)

    def advance(self, to_step: int) -> None:
        """Run steps ``self.t .. to_step - 1``."""
        if to_step <= self.t:
            return
        _run_steps(self.t, to_step, float(self.step_s), self.cap_kw, self.base_kw, self.pause, self.submit_s,
                   self.power_kw, self.deadline_s, self.interruptible, self.site_of, self.bucket_head,
                   self.bucket_next, self.w_head, self.w_tail, self.w_next, self.w_count, self.r_head, self.r_next,
                   self.start_s, self.remaining_s, self.end_s, self.energy_kwh, self.paused_s, self.run_flag,
                   self.job_kw, self.reserved_kw, self.queue_len, int(self.scan_limit), units.SECONDS_PER_HOUR)
        self.t = to_step

    @property
    def free_kw(self) -> FloatArray:
        """Capacity not reserved in the last simulated step, per site [kW]."""
        if self.t == 0:
            return self.cap_kw - self.base_kw[0]
        last = self.t - 1
        return self.cap_kw - self.base_kw[last] - self.reserved_kw[last]
