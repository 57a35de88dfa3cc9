"""The oracle: a lower bound on location-based emissions with perfect knowledge, as a linear programme.

Jobs are grouped into cohorts (same origin, latency limit, arrival step and last allowed step). The LP is a
*relaxation* of every schedule that meets all deadlines and latency limits:

* **work**: ``e[c, s, t] >= 0`` is the energy [kWh] cohort ``c`` runs at site ``s`` in step ``t``, allowed only at
  sites within the cohort's latency limit and in steps from its arrival to the step holding its deadline; the
  cohort's energy must be done (jobs whose deadline lies past the horizon owe only what they cannot still do
  afterwards at full power); at most its total power per step (jobs may be split, paused, moved — fluid);
* **capacity**: per site and step, the jobs' energy fits the IT capacity (less exogenous load);
* **power balance** per site and step: ``import >= demand + charge - discharge - renewables``, with
  ``demand`` the chord of the facility's concave power curve between no jobs and full (see :class:`SiteTerms`),
  so demand is never overstated;
* **battery**: state of charge within bounds, charge/discharge within power, efficiencies applied; it may charge
  from anything (the simulator's rules are narrower);
* **objective**: minimise ``sum(import x step x intensity)``.

Every simulated run whose jobs meet their deadlines and latency limits is a feasible point, so its location-based
emissions are >= the bound. The LP is solved with HiGHS (through SciPy). Its size grows with jobs x sites x
window; :data:`MAX_VARIABLES` guards against instances too large to solve here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd
import scipy.sparse as sp
from scipy.optimize import linprog

from shulu import units
from shulu.errors import InputError
from shulu.sim.policy import JobBatch, SimContext

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: Largest LP the oracle builds (variables); beyond it, use a shorter horizon or fewer jobs.
MAX_VARIABLES = 3_000_000
#: Share of IT electricity that becomes recoverable heat (as in the power layer).
_WASTE_HEAT_FRAC = 0.9


@dataclass(frozen=True)
class OracleSolution:
    """The bound and the fluid schedule behind it."""

    bound_emissions_location_kg: float
    cohort_of_job: IntArray  #: (J,) cohort index of each job
    work: pd.DataFrame  #: cohort, site, step, energy_kwh (non-zero entries)
    n_variables: int
    n_constraints: int
    solve_s: float
    block_steps: int = 1  #: steps per block the jobs' work was aggregated over (1 = exact per step)
    method: str = "lp"  #: "lp" (HiGHS) or "flow" (OR-Tools min-cost flow)
    raw_solve_s: float = float("nan")  #: time inside the solver alone [s]


def cohorts(batch: JobBatch, step_s: float, n_steps: int, block_steps: int = 1) -> tuple[IntArray, pd.DataFrame]:
    """Group jobs by (origin, latency limit, first block, last block); per cohort owed energy and power.

    A job may work from its arrival step to the step holding its deadline; with ``block_steps`` > 1 those are
    widened to whole blocks (a relaxation).
    """
    last = np.minimum(np.ceil(batch.deadline_s / step_s - 1e-9).astype(np.int64) - 1, n_steps - 1)
    last = np.maximum(last, batch.arrival_step)
    horizon_s = n_steps * step_s
    energy = batch.power_kw * batch.duration_s / units.SECONDS_PER_HOUR
    # work that could still be done after the horizon, at full power, before the deadline
    after_h = np.maximum(batch.deadline_s - horizon_s, 0.0) / units.SECONDS_PER_HOUR
    owed = np.maximum(energy - batch.power_kw * after_h, 0.0)
    # one int64 key per job (numpy, not a pandas MultiIndex: this runs once per block length tried)
    lat_vals, lat_code = np.unique(batch.max_latency_ms, return_inverse=True)
    first_b, last_b = batch.arrival_step // block_steps, last // block_steps
    n_b = int(max(n_steps // block_steps + 1, last_b.max(initial=0) + 1))
    key = ((batch.origin.astype(np.int64) * len(lat_vals) + lat_code) * n_b + first_b) * n_b + last_b
    uniq, codes = np.unique(key, return_inverse=True)
    n_c = len(uniq)
    rest, u_last = np.divmod(uniq, n_b)
    rest, u_first = np.divmod(rest, n_b)
    u_origin, u_lat = np.divmod(rest, len(lat_vals))
    info = pd.DataFrame({"origin": u_origin, "lat": lat_vals[u_lat], "first": u_first, "last": u_last,
                         "power_kw": np.bincount(codes, weights=batch.power_kw, minlength=n_c),
                         "owed_kwh": np.bincount(codes, weights=owed, minlength=n_c)})
    return np.asarray(codes, dtype=np.int64), info


@dataclass(frozen=True)
class SiteTerms:
    """Per step and site (arrays of shape (T, S)), the linear under-estimate of a site's facility demand that
    both oracle formulations share: ``demand >= fixed_demand_kw + job_factor x jobs_it_kw``.

    Facility power is ``P x (PUE(u) + heat-pump share)`` with IT power ``P = idle x C + (1 - idle) x (L + x)``
    (``x`` the jobs' IT power) and ``PUE(u) = max(a + c (1 - u), 1)``, ``u = P / C``. Dropping the ``max`` where
    ``a >= 1`` (and the light-load term where ``a < 1``) leaves a function *concave* in ``x``, which lies above its
    chord between ``x = 0`` and ``x = free``: that chord is the tightest linear bound, exact at empty and full.
    """

    fixed_demand_kw: FloatArray  #: demand with no jobs: idle draw and exogenous load, through PUE [kW]
    job_factor: FloatArray  #: facility kW per kW of job IT power (chord slope) [-]
    renewable_kw: FloatArray  #: contracted solar + wind output [kW]
    free_it_kw: FloatArray  #: IT capacity left for jobs [kW]
    intensity_g_per_kwh: FloatArray  #: grid carbon intensity [g/kWh]


def site_terms(ctx: SimContext) -> SiteTerms:
    """Compute :class:`SiteTerms` from a simulation context."""
    sites = ctx.scenario.network.sites
    sig = ctx.signals

    def col(attr: str) -> FloatArray:
        return np.array([getattr(s, attr) for s in sites], dtype=np.float64)[None, :]

    idle = col("server_idle_frac")
    a = col("pue_design") + col("pue_temp_coef_per_c") * np.maximum(0.0, sig["temperature_c"] - col("pue_ref_temp_c"))
    light = np.where(a >= 1.0, col("pue_light_load_coef"), 0.0)
    frac, cop = col("heat_recovery_frac"), col("heat_pump_cop")
    base = np.maximum(a, 1.0) + np.where(frac > 0, _WASTE_HEAT_FRAC * frac / np.maximum(cop - 1.0, 1e-12), 0.0)
    cap = ctx.capacity_kw[None, :]
    load = sig["it_load_kw"]
    free = np.maximum(cap - load, 0.0)

    def facility(p_kw: FloatArray) -> FloatArray:
        return p_kw * (base + light * (1.0 - np.clip(p_kw / cap, 0.0, 1.0)))

    p0 = idle * cap + (1.0 - idle) * load
    p1 = p0 + (1.0 - idle) * free
    d0 = facility(p0)
    slope = np.where(free > 0, (facility(p1) - d0) / np.where(free > 0, free, 1.0),
                     (1.0 - idle) * base)
    renew = (sig["solar_cf"] * np.array([s.supply.solar_kw for s in sites])[None, :]
             + sig["wind_cf"] * np.array([s.supply.wind_kw for s in sites])[None, :])
    return SiteTerms(fixed_demand_kw=d0, job_factor=slope, renewable_kw=renew, free_it_kw=free,
                     intensity_g_per_kwh=np.asarray(sig["intensity_g_per_kwh"], dtype=np.float64))


#: Block lengths [steps] tried in turn until the LP fits :data:`MAX_VARIABLES`.
BLOCK_CHOICES: tuple[int, ...] = (1, 2, 3, 4, 6, 8, 12, 24, 48, 96, 168)


def _work_size(ctx: SimContext, batch: JobBatch, block_steps: int) -> tuple[IntArray, pd.DataFrame, int]:
    codes, info = cohorts(batch, float(ctx.step_s), ctx.n_steps, block_steps)
    feas = ctx.latency_ms[info["origin"].to_numpy()] <= info["lat"].to_numpy()[:, None]
    width = info["last"].to_numpy() - info["first"].to_numpy() + 1
    return codes, info, int(np.sum(feas.sum(axis=1) * width))


def check_battery_charge(battery_charge: str) -> None:
    """Refuse an unknown ``battery_charge`` (``"any"``: batteries may charge from the grid too, a bound valid
    under every dispatch rule; ``"renewables"``: only from the site's own solar and wind, valid under the twin's
    ``self-consumption`` and ``none`` rules)."""
    if battery_charge not in ("any", "renewables"):
        raise InputError(f"battery_charge must be 'any' or 'renewables', got {battery_charge!r}",
                         field="battery_charge")


def solve_bound(ctx: SimContext, batch: JobBatch, *, block_steps: int | None = None,
                time_limit_s: float | None = None, battery_charge: str = "any") -> OracleSolution:
    """Build and solve the LP; return the lower bound on location-based emissions [kg].

    Parameters
    ----------
    block_steps : int, optional
        Aggregate the jobs' work into blocks of this many steps (a looser but still valid bound). By default
        the smallest block from :data:`BLOCK_CHOICES` that keeps the LP within :data:`MAX_VARIABLES`.
    battery_charge : {"any", "renewables"}
        What batteries may charge from (:func:`check_battery_charge`): with ``"renewables"`` the charge power in
        a step is at most the site's solar + wind output.
    """
    import time

    check_battery_charge(battery_charge)

    t_start = time.perf_counter()
    T, S = ctx.n_steps, len(ctx.site_ids)
    step_h = ctx.step_s / units.SECONDS_PER_HOUR
    sites = ctx.scenario.network.sites
    sig = ctx.signals
    n_site_vars = 5 * T * S  # J (job energy), import, charge, discharge, soc
    choices = (block_steps,) if block_steps is not None else BLOCK_CHOICES
    for bs in choices:
        if bs is None or bs < 1:
            raise InputError(f"expected block_steps >= 1, got {bs}", field="block_steps")
        cohort_of_job, info, n_e = _work_size(ctx, batch, bs)
        if n_e + n_site_vars <= MAX_VARIABLES:
            break
    else:
        raise InputError(f"the oracle's LP would have {n_e + n_site_vars:,} variables even with blocks of {bs} "
                         f"steps (limit {MAX_VARIABLES:,}); use a shorter horizon or fewer jobs", field="oracle")
    n_c = len(info)
    n_b = -(-T // bs)

    # --- work variables e[c, s, b]
    feas = ctx.latency_ms[info["origin"].to_numpy()] <= info["lat"].to_numpy()[:, None]  # (C, S)
    first = info["first"].to_numpy()
    last = info["last"].to_numpy()
    width = last - first + 1
    cs_c, cs_s = np.nonzero(feas)
    rep = width[cs_c]
    e_c = np.repeat(cs_c, rep)
    e_s = np.repeat(cs_s, rep)
    offsets = np.arange(n_e) - np.repeat(np.cumsum(rep) - rep, rep)
    e_b = np.repeat(first[cs_c], rep) + offsets
    steps_in_block = np.minimum(bs, T - np.arange(n_b) * bs).astype(np.float64)
    # site variables: J, import, charge, discharge, soc at index base + k*T*S + t*S + s
    base = n_e

    def sv(k: int, t: IntArray | int, s: IntArray | int) -> IntArray:
        return np.asarray(base + k * T * S + np.asarray(t) * S + np.asarray(s), dtype=np.int64)

    n_var = base + n_site_vars
    rows: list[IntArray] = []
    cols: list[IntArray] = []
    vals: list[FloatArray] = []
    r = 0

    def add(row: IntArray, col: IntArray, val: FloatArray) -> None:
        rows.append(np.asarray(row, dtype=np.int64))
        cols.append(np.asarray(col, dtype=np.int64))
        vals.append(np.asarray(val, dtype=np.float64))

    # (a) cohort energy owed:  sum e >= owed      -> -sum e <= -owed
    add(r + e_c, np.arange(n_e), -np.ones(n_e))
    ub_a = -info["owed_kwh"].to_numpy()
    r += n_c
    # (b) cohort power per block: sum_s e[c,s,b] <= P_c x steps(b) x step_h
    cb = e_c * n_b + e_b
    cb_codes, cb_uniq = pd.factorize(cb)
    add(r + cb_codes, np.arange(n_e), np.ones(n_e))
    ub_b = info["power_kw"].to_numpy()[cb_uniq // n_b] * steps_in_block[cb_uniq % n_b] * step_h
    r += len(cb_uniq)
    grid_t, grid_s = np.meshgrid(np.arange(T), np.arange(S), indexing="ij")
    tt, ss = grid_t.reshape(-1), grid_s.reshape(-1)
    # (d) import: -imp + k x J - dis + ch <= R - D0   (J = sum e / step_h)
    terms = site_terms(ctx)
    d0, k, renew = terms.fixed_demand_kw, terms.job_factor, terms.renewable_kw
    row_d = r + tt * S + ss
    add(row_d, sv(1, tt, ss), -np.ones(T * S))
    add(row_d, sv(2, tt, ss), np.ones(T * S))
    add(row_d, sv(3, tt, ss), -np.ones(T * S))
    add(row_d, sv(0, tt, ss), k.reshape(-1) / step_h)
    ub_d = (renew - d0).reshape(-1)
    r += T * S
    n_ub = r
    # (c) per site and block, the jobs' work is spread over the block's steps: sum_c e - sum_t J = 0
    eq_rows: list[IntArray] = [e_b * S + e_s, (tt // bs) * S + ss]
    eq_cols: list[IntArray] = [np.arange(n_e), sv(0, tt, ss)]
    eq_vals: list[FloatArray] = [np.ones(n_e), -np.ones(T * S)]
    n_eq_c = n_b * S
    # (e) battery: soc[t] - soc[t-1] - eta_c dt ch + dt/eta_d dis = 0  (soc[-1] = initial)
    sup = [s.supply for s in sites]
    p_kw = np.array([p.battery_power_kw for p in sup])
    eta = np.sqrt(np.array([p.battery_rte_frac for p in sup]))
    e_kwh = np.array([p.battery_energy_kwh for p in sup])
    soc0 = np.array([p.battery_soc_initial_frac for p in sup]) * e_kwh
    eq_row = n_eq_c + tt * S + ss
    eq_rows += [eq_row, eq_row, eq_row]
    eq_cols += [sv(4, tt, ss), sv(2, tt, ss), sv(3, tt, ss)]
    eq_vals += [np.ones(T * S), -eta[ss] * step_h, step_h / np.maximum(eta[ss], 1e-12)]
    prev = tt > 0
    eq_rows.append(eq_row[prev])
    eq_cols.append(sv(4, tt[prev] - 1, ss[prev]))
    eq_vals.append(-np.ones(int(prev.sum())))
    b_eq = np.concatenate([np.zeros(n_eq_c), np.where(tt == 0, soc0[ss], 0.0)])

    a_ub = sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(n_ub, n_var))
    b_ub = np.concatenate([ub_a, ub_b, ub_d])
    a_eq = sp.csr_matrix((np.concatenate(eq_vals), (np.concatenate(eq_rows), np.concatenate(eq_cols))),
                         shape=(n_eq_c + T * S, n_var))
    # bounds: J within the free IT capacity (capacity per site and step), battery power and energy
    free = terms.free_it_kw * step_h
    lo = np.zeros(n_var)
    hi = np.full(n_var, np.inf)
    hi[sv(0, tt, ss)] = free.reshape(-1)
    hi[sv(2, tt, ss)] = p_kw[ss] if battery_charge == "any" else np.minimum(p_kw[ss], terms.renewable_kw.reshape(-1))
    hi[sv(3, tt, ss)] = p_kw[ss]
    lo[sv(4, tt, ss)] = np.array([p.battery_soc_min_frac for p in sup])[ss] * e_kwh[ss]
    hi[sv(4, tt, ss)] = np.array([p.battery_soc_max_frac for p in sup])[ss] * e_kwh[ss]
    cost = np.zeros(n_var)
    cost[sv(1, tt, ss)] = sig["intensity_g_per_kwh"].reshape(-1) * step_h / units.G_PER_KG
    t_solve = time.perf_counter()
    res = linprog(cost, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq, bounds=np.column_stack([lo, hi]),
                  method="highs", options={} if time_limit_s is None else {"time_limit": time_limit_s})
    raw_solve_s = time.perf_counter() - t_solve
    if res.status != 0:
        raise InputError(f"the oracle's LP could not be solved: {res.message} (are some deadlines impossible "
                         "within capacity?)", field="oracle")
    x = res.x
    nz = x[:n_e] > 1e-9
    work = pd.DataFrame({"cohort": e_c[nz], "site": e_s[nz], "step": e_b[nz] * bs, "energy_kwh": x[:n_e][nz]})
    return OracleSolution(bound_emissions_location_kg=float(res.fun), cohort_of_job=cohort_of_job, work=work,
                          n_variables=n_var, n_constraints=n_ub + a_eq.shape[0], solve_s=time.perf_counter() - t_start,
                          block_steps=bs, method="lp", raw_solve_s=raw_solve_s)
