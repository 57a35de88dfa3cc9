"""The oracle as a min-cost flow (OR-Tools): the same fluid relaxation as :mod:`shulu.optimize.oracle`'s LP.

The fluid oracle LP has the structure of a network flow except for two *gains*: a job's IT energy becomes
``job_factor[t, s]`` kWh of facility energy, and the battery loses energy. Both are removed by choosing the unit
of energy at each node, and every removal only *relaxes* the model, so the flow's optimum is still a lower bound
on every simulated schedule that meets its deadlines and latency limits:

* the **bus** ``F[t, s]`` (a site's facility energy in step ``t``) counts in units of ``m[t, s]`` kWh, where
  ``m = job_factor`` at sites without a battery (exact) and ``m = min(job_factor, min_t(job_factor) / RTE)`` at
  sites with one (``m <= job_factor``: job demand is at most understated, never overstated);
* one unit of job work on an arc into the bus is one kWh of IT energy;
* the **battery** ``B[t, s]`` counts in units of ``u = min_t(job_factor) / sqrt(RTE)`` kWh and moves energy to
  and from the bus one unit for one unit. With the clamp on ``m`` this stores at least what the real battery
  would store and spends at most what it would spend; a free spill arc lets it match the real state of charge
  exactly, so every real dispatch maps onto a feasible flow.

Graph (``C`` cohorts, ``B`` blocks of ``block_steps`` steps)::

    GRID --intensity x m--> F[t,s] --free IT--> Q[b,s] --> CB[c,b] --P_c x block--> C[c] (demand: owed)
    F[t,s] (supply: renewables - fixed demand) --> SPILL (curtailment)
    F[t,s] <--> B[t,s] --> B[t+1,s],  B[t,s] --> SPILL,  GRID --> SPILL (balance)

Quantities are scaled to integers with every rounding in the relaxing direction (demand floored, capacities and
free supplies ceiled, unit costs floored), so the bound stays a bound; the rounding error is ~1e-6 relative.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from shulu import units
from shulu.errors import InputError
from shulu.optimize.oracle import BLOCK_CHOICES, OracleSolution, check_battery_charge, cohorts, site_terms
from shulu.sim.policy import JobBatch, SimContext

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: Scale so that the total energy is about this many integer units (rounding error ~ nodes / this).
_ENERGY_UNITS = 1e10
#: Scale so that the largest unit cost is about this many integer units (rounding error ~ 1 / this).
_COST_UNITS = 1e6
#: Largest flow network built (arcs); beyond it, use blocks.
MAX_ARCS = 40_000_000
#: Arc budget when the block length is chosen automatically (about a minute of solving on one core).
AUTO_ARCS = 8_000_000


def choose_block(ctx: SimContext, batch: JobBatch, budget: int = AUTO_ARCS) -> int:
    """The shortest block from :data:`shulu.optimize.oracle.BLOCK_CHOICES` whose network fits ``budget`` arcs."""
    for bs in BLOCK_CHOICES:
        if flow_size(ctx, batch, bs) <= budget:
            return bs
    return BLOCK_CHOICES[-1]


def flow_size(ctx: SimContext, batch: JobBatch, block_steps: int = 1) -> int:
    """Number of arcs of the flow network for ``block_steps`` (to choose a block before building)."""
    _, info = cohorts(batch, float(ctx.step_s), ctx.n_steps, block_steps)
    feas = ctx.latency_ms[info["origin"].to_numpy()] <= info["lat"].to_numpy()[:, None]
    width = info["last"].to_numpy() - info["first"].to_numpy() + 1
    T, S = ctx.n_steps, len(ctx.site_ids)
    return int(np.sum((feas.sum(axis=1) + 1) * width)) + 9 * T * S


@dataclass(frozen=True)
class FlowNetwork:
    """The oracle's min-cost-flow network in integer units (arc and node arrays), and how to read it back."""

    tail: IntArray  #: (A,) arc tails
    head: IntArray  #: (A,) arc heads
    capacity: IntArray  #: (A,) arc capacities [energy units]
    unit_cost: IntArray  #: (A,) cost per unit of flow [cost units]
    supply: IntArray  #: (N,) node supplies (negative: demand) [energy units]
    kwh_per_unit: float  #: kWh of IT energy per energy unit on work arcs
    kg_per_cost_unit: float  #: kg CO2e per cost unit
    work_arcs: slice  #: arcs carrying cohort work e[c, s, b]
    work_cohort: IntArray  #: cohort of each work arc
    work_site: IntArray  #: site of each work arc
    work_step: IntArray  #: first step of the block of each work arc
    cohort_of_job: IntArray  #: (J,) cohort of each job
    block_steps: int


def solve_flow_bound(ctx: SimContext, batch: JobBatch, *, block_steps: int | None = None,
                     battery_charge: str = "any") -> OracleSolution:
    """Build and solve the oracle as a min-cost flow; return the lower bound on location-based emissions [kg].

    Parameters
    ----------
    ctx, batch : the simulation context and the whole workload.
    block_steps : int, optional
        Aggregate the jobs' windows into blocks of this many steps (a looser but still valid bound). By default
        the shortest block whose network fits :data:`AUTO_ARCS` arcs (:func:`choose_block`).
    battery_charge : {"any", "renewables"}
        What batteries may charge from: anything (valid under every dispatch rule), or only the site's own solar
        and wind (valid under the twin's ``self-consumption`` and ``none`` rules, not ``carbon-aware``, which
        also charges from the grid); see :func:`shulu.optimize.oracle.check_battery_charge`.

    Returns
    -------
    OracleSolution
        ``n_variables`` counts arcs and ``n_constraints`` nodes.

    Raises
    ------
    InputError
        When some job cannot meet its deadline within the capacity, or the network would exceed
        :data:`MAX_ARCS`.
    """
    from ortools.graph.python import min_cost_flow

    t0 = time.perf_counter()
    net = build_flow_network(ctx, batch, block_steps=block_steps, battery_charge=battery_charge)
    mcf = min_cost_flow.SimpleMinCostFlow()
    mcf.add_arcs_with_capacity_and_unit_cost(net.tail, net.head, net.capacity, net.unit_cost)
    mcf.set_nodes_supplies(np.arange(len(net.supply)), net.supply)
    t_solve = time.perf_counter()
    status = mcf.solve()
    raw_solve_s = time.perf_counter() - t_solve
    if status != mcf.OPTIMAL:
        raise InputError(f"the oracle's flow could not be solved (status {status}; are some deadlines impossible "
                         "within capacity?)", field="oracle")
    bound_kg = mcf.optimal_cost() * net.kg_per_cost_unit
    w = net.work_arcs
    flow = mcf.flows(np.arange(w.start, w.stop)) * net.kwh_per_unit
    nz = flow > 0
    work = pd.DataFrame({"cohort": net.work_cohort[nz], "site": net.work_site[nz], "step": net.work_step[nz],
                         "energy_kwh": flow[nz]})
    return OracleSolution(bound_emissions_location_kg=float(bound_kg), cohort_of_job=net.cohort_of_job, work=work,
                          n_variables=len(net.tail), n_constraints=len(net.supply),
                          solve_s=time.perf_counter() - t0, block_steps=net.block_steps, method="flow",
                          raw_solve_s=raw_solve_s)


def solve_flow_network_as_lp(net: FlowNetwork, time_limit_s: float | None = None) -> tuple[float, float]:
    """Solve the same network as a generic LP with HiGHS (node-arc incidence equalities); for comparison.

    Returns
    -------
    (bound_kg, solve_s) : the optimum [kg] (NaN if not solved within ``time_limit_s``) and the solver time [s].
    """
    import scipy.sparse as sp
    from scipy.optimize import linprog

    n_a, n_n = len(net.tail), len(net.supply)
    cols = np.arange(n_a)
    a_eq = sp.csr_matrix((np.concatenate([np.ones(n_a), -np.ones(n_a)]),
                          (np.concatenate([net.tail, net.head]), np.concatenate([cols, cols]))), shape=(n_n, n_a))
    t = time.perf_counter()
    res = linprog(net.unit_cost.astype(np.float64), A_eq=a_eq, b_eq=net.supply.astype(np.float64),
                  bounds=np.column_stack([np.zeros(n_a), net.capacity.astype(np.float64)]), method="highs",
                  options={} if time_limit_s is None else {"time_limit": time_limit_s})
    solve_s = time.perf_counter() - t
    return (float(res.fun) * net.kg_per_cost_unit if res.status == 0 else float("nan")), solve_s


def build_flow_network(ctx: SimContext, batch: JobBatch, *, block_steps: int | None = None,
                       battery_charge: str = "any") -> FlowNetwork:
    """Build the oracle's flow network (see the module docstring); arguments as in :func:`solve_flow_bound`."""
    check_battery_charge(battery_charge)
    if block_steps is None:
        block_steps = choose_block(ctx, batch)
    if block_steps < 1:
        raise InputError(f"expected block_steps >= 1, got {block_steps}", field="block_steps")
    n_arcs = flow_size(ctx, batch, block_steps)
    if n_arcs > MAX_ARCS:
        raise InputError(f"the oracle's flow network would have {n_arcs:,} arcs (limit {MAX_ARCS:,}); use blocks "
                         "of more steps, a shorter horizon or fewer jobs", field="oracle")
    bs = block_steps
    T, S = ctx.n_steps, len(ctx.site_ids)
    n_b = -(-T // bs)
    step_h = ctx.step_s / units.SECONDS_PER_HOUR
    terms = site_terms(ctx)
    sup = [s.supply for s in ctx.scenario.network.sites]
    e_kwh = np.array([p.battery_energy_kwh for p in sup])
    has_batt = (e_kwh > 0) & (np.array([p.battery_power_kw for p in sup]) > 0)
    rte = np.array([p.battery_rte_frac for p in sup])
    k = terms.job_factor
    k_lo = k.min(axis=0)
    m = np.where(has_batt[None, :], np.minimum(k, k_lo[None, :] / np.maximum(rte, 1e-12)[None, :]), k)
    u = k_lo / np.sqrt(np.maximum(rte, 1e-12))

    codes, info = cohorts(batch, float(ctx.step_s), T, bs)
    n_c = len(info)
    owed_kwh = info["owed_kwh"].to_numpy()
    # --- scales: q kWh per energy unit (IT kWh on job arcs, m kWh on the bus, u kWh in the battery)
    fixed_kwh = terms.fixed_demand_kw * step_h
    total = float(owed_kwh.sum() + (fixed_kwh / m).sum() + (terms.renewable_kw * step_h / m).sum()) + 1e-9
    q = total / _ENERGY_UNITS
    unit_cost_g = terms.intensity_g_per_kwh * m * q  # g per unit imported
    c_scale = max(float(unit_cost_g.max()), 1e-300) / _COST_UNITS  # g per integer cost unit

    def up(x: FloatArray) -> IntArray:
        return np.ceil(np.asarray(x) / q - 1e-9).astype(np.int64)

    def down(x: FloatArray) -> IntArray:
        return np.floor(np.asarray(x) / q + 1e-9).astype(np.int64)

    # --- nodes
    ts = np.arange(T * S)
    tt, ss = ts // S, ts % S
    F = ts  # F[t, s] = t*S + s
    Q0 = T * S  # Q[b, s] = Q0 + b*S + s
    CB0 = Q0 + n_b * S  # CB[c, b] (only those used) from CB0
    feas = ctx.latency_ms[info["origin"].to_numpy()] <= info["lat"].to_numpy()[:, None]
    first, last = info["first"].to_numpy(), info["last"].to_numpy()
    width = last - first + 1
    cb_c = np.repeat(np.arange(n_c), width)
    cb_b = np.repeat(first, width) + (np.arange(int(width.sum())) - np.repeat(np.cumsum(width) - width, width))
    n_cb = len(cb_c)
    C0 = CB0 + n_cb
    B0 = C0 + n_c  # B[t, s] = B0 + t*S + s
    GRID = B0 + T * S
    SPILL = GRID + 1
    n_nodes = SPILL + 1

    tails: list[IntArray] = []
    heads: list[IntArray] = []
    caps: list[IntArray] = []
    costs: list[IntArray] = []

    def arcs(tail: IntArray, head: IntArray, cap: IntArray | int, cost: IntArray | int = 0) -> None:
        tail = np.asarray(tail, dtype=np.int64)
        tails.append(tail)
        heads.append(np.asarray(head, dtype=np.int64))
        caps.append(np.broadcast_to(np.asarray(cap, dtype=np.int64), tail.shape))
        costs.append(np.broadcast_to(np.asarray(cost, dtype=np.int64), tail.shape))

    supply = np.zeros(n_nodes, dtype=np.int64)
    # cohorts owe their energy (floored: a relaxation)
    supply[C0:C0 + n_c] = -down(owed_kwh)
    # bus: renewables minus fixed demand, ceiled
    supply[F] = np.ceil(((terms.renewable_kw * step_h - fixed_kwh) / m).reshape(-1) / q - 1e-9).astype(np.int64)
    big = int(np.abs(supply).sum() + _ENERGY_UNITS)  # more than any arc can carry
    # grid import, priced (floored) per unit of m kWh
    arcs(np.full(T * S, GRID), F, big, np.floor(unit_cost_g.reshape(-1) / c_scale + 1e-9).astype(np.int64))
    arcs(F, np.full(T * S, SPILL), big)  # curtailment
    # capacity for jobs: F[t, s] -> Q[t // bs, s]
    arcs(F, Q0 + (tt // bs) * S + ss, up((terms.free_it_kw * step_h).reshape(-1)))
    # Q[b, s] -> CB[c, b] at feasible sites, CB[c, b] -> C[c] within the cohort's power x block length
    e_cb, e_s = np.nonzero(feas[cb_c])
    arcs(Q0 + cb_b[e_cb] * S + e_s, CB0 + e_cb, big)
    steps_in_block = np.minimum(bs, T - np.arange(n_b) * bs).astype(np.float64)
    arcs(CB0 + np.arange(n_cb), C0 + cb_c,
         up(info["power_kw"].to_numpy()[cb_c] * steps_in_block[cb_b] * step_h))
    # battery at sites that have one
    bt = np.nonzero(has_batt[ss])[0]
    if len(bt):
        sb = ss[bt]
        p_kwh = np.array([p.battery_power_kw for p in sup])[sb] * step_h
        # charge (from anything, or at most the site's renewable output in the step)
        ch_kwh = p_kwh if battery_charge == "any" else np.minimum(p_kwh, terms.renewable_kw.reshape(-1)[bt] * step_h)
        arcs(F[bt], B0 + bt, up(ch_kwh / m.reshape(-1)[bt]))
        arcs(B0 + bt, F[bt], up(p_kwh / m.reshape(-1)[bt]))  # discharge
        arcs(B0 + bt, np.full(len(bt), SPILL), big)  # spill (lets the relaxed store match the real one)
        usable = np.array([(p.battery_soc_max_frac - p.battery_soc_min_frac) * p.battery_energy_kwh for p in sup])
        nxt = bt[tt[bt] < T - 1]
        arcs(B0 + nxt, B0 + nxt + S, up(usable[ss[nxt]] / u[ss[nxt]]))
        init = np.array([max(p.battery_soc_initial_frac - p.battery_soc_min_frac, 0.0) * p.battery_energy_kwh
                         for p in sup])
        first_b = bt[tt[bt] == 0]
        supply[B0 + first_b] += up(init[ss[first_b]] / u[ss[first_b]])
    # balance: the grid supplies enough for everything; what is not used goes to the spill node
    supply[GRID] = big
    supply[SPILL] = -int(supply[:SPILL].sum())
    arcs(np.array([GRID]), np.array([SPILL]), np.array([big + int(supply[supply > 0].sum())]))

    n_before = sum(len(a) for a in tails[:3])
    return FlowNetwork(tail=np.concatenate(tails), head=np.concatenate(heads), capacity=np.concatenate(caps),
                       unit_cost=np.concatenate(costs), supply=supply, kwh_per_unit=q,
                       kg_per_cost_unit=c_scale / units.G_PER_KG, work_arcs=slice(n_before, n_before + len(e_cb)),
                       work_cohort=cb_c[e_cb], work_site=e_s, work_step=cb_b[e_cb] * bs, cohort_of_job=codes,
                       block_steps=bs)
