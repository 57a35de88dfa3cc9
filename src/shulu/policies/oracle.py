"""``oracle``: places jobs from the oracle's fluid schedule and records its lower bound.

The bound is solved as a min-cost flow (OR-Tools, :mod:`shulu.optimize.flow`) by default, or as the LP
(HiGHS, :mod:`shulu.optimize.oracle`) with ``method="lp"``; the LP keeps battery losses and the exact PUE at
battery sites, so it can be slightly tighter, but it is much slower on large instances.

The bound (``bound_emissions_location_kg`` in the policy parameters, and ``gap_to_oracle_frac`` in
``shulu compare``) is what no policy that meets every deadline and latency limit can beat. The placement
(``placement="pack"``, the default) packs whole jobs within capacity by their marginal emissions and improves
them by local search (:mod:`shulu.optimize.pack`), so that the engine runs every job in time; its simulated
emissions are an upper estimate of the optimum (``placement="round"``: the older rounding of the fluid schedule,
each cohort to the site that did most of its work at its first working step, which queues and can be late).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from shulu.optimize.flow import solve_flow_bound
from shulu.optimize.oracle import OracleSolution, check_battery_charge, solve_bound
from shulu.optimize.pack import pack_schedule
from shulu.sim.policy import JobBatch, Placement, Policy, SimContext, SiteState, nearest_feasible_site


class OraclePolicy(Policy):
    """Offline optimum with perfect knowledge (lower bound + rounded placement).

    Parameters
    ----------
    method : {"flow", "lp"}
        Solve the bound as a min-cost flow (default) or as the LP.
    block_steps : int, optional
        Aggregate job windows into blocks of this many steps; by default the shortest that fits the solver's
        size budget.
    battery_charge : {"any", "renewables"}
        What the bound lets batteries charge from: anything (valid under every dispatch rule) or only the site's
        own solar and wind (valid under the default ``self-consumption`` rule and ``none``; not ``carbon-aware``).
    placement : {"pack", "round"}
        How jobs are placed (see the module docstring).
    passes : int
        Local-search passes of the ``pack`` placement.
    """

    name: ClassVar[str] = "oracle"
    online: ClassVar[bool] = False

    def __init__(self, method: str = "flow", block_steps: int | None = None, battery_charge: str = "any",
                 placement: str = "pack", passes: int = 3) -> None:
        if method not in ("flow", "lp"):
            raise ValueError(f"method must be 'flow' or 'lp', got {method!r}")
        if placement not in ("pack", "round"):
            raise ValueError(f"placement must be 'pack' or 'round', got {placement!r}")
        if passes < 0:
            raise ValueError(f"passes must be >= 0, got {passes}")
        check_battery_charge(battery_charge)
        if block_steps is not None and block_steps < 1:
            raise ValueError(f"block_steps must be >= 1, got {block_steps}")
        self.method = method
        self.block_steps = block_steps
        self.battery_charge = battery_charge
        self.placement = placement
        self.passes = passes
        self.n_unfit = 0
        self.solution: OracleSolution | None = None

    def params(self) -> dict[str, Any]:
        """The bound and the LP's size."""
        if self.solution is None:
            return {}
        s = self.solution
        return {"bound_emissions_location_kg": s.bound_emissions_location_kg, "method": s.method,
                "variables_or_arcs": s.n_variables, "constraints_or_nodes": s.n_constraints, "solve_s": s.solve_s,
                "raw_solve_s": s.raw_solve_s, "block_steps": s.block_steps,
                "battery_charge": self.battery_charge, "placement": self.placement, "jobs_unfit": self.n_unfit}

    def place(self, batch: JobBatch, state: SiteState | None, ctx: SimContext) -> Placement:
        """Solve the bound over the whole batch, then place the jobs (packed, or rounded from the fluid)."""
        if self.method == "flow":
            sol = solve_flow_bound(ctx, batch, block_steps=self.block_steps, battery_charge=self.battery_charge)
        else:
            sol = solve_bound(ctx, batch, block_steps=self.block_steps, battery_charge=self.battery_charge)
        self.solution = sol
        site = nearest_feasible_site(batch, ctx)
        if self.placement == "pack":
            site, release, self.n_unfit = pack_schedule(ctx, batch, site, passes=self.passes)
            return Placement(site, release)
        start = batch.arrival_step.copy()
        if len(sol.work):
            w = sol.work
            per = w.groupby(["cohort", "site"])["energy_kwh"].sum().reset_index()
            best = per.loc[per.groupby("cohort")["energy_kwh"].idxmax()]
            first = w.merge(best[["cohort", "site"]], on=["cohort", "site"]).groupby("cohort")["step"].min()
            c_site = np.full(int(sol.cohort_of_job.max()) + 1, -1, dtype=np.int64)
            c_step = np.full_like(c_site, -1)
            c_site[best["cohort"].to_numpy()] = best["site"].to_numpy()
            c_step[first.index.to_numpy()] = first.to_numpy()
            cs = c_site[sol.cohort_of_job]
            ok = cs >= 0
            site[ok] = cs[ok]
            start[ok] = np.maximum(c_step[sol.cohort_of_job][ok], batch.arrival_step[ok])
        return Placement(site, start)
