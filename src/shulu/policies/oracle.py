"""``oracle``: places jobs from the oracle LP's fluid schedule and records the LP's lower bound.

The bound (``bound_emissions_location_kg`` in the policy parameters, and ``gap_to_oracle_frac`` in
``shulu compare``) is what no policy that meets every deadline and latency limit can beat. The placement itself
rounds the fluid schedule — each cohort's jobs go to the site that did most of its work, released at the first
step it worked there — and is simulated like any other policy, so its emissions are >= the bound.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from shulu.optimize.oracle import OracleSolution, solve_bound
from shulu.sim.policy import JobBatch, Placement, Policy, SimContext, SiteState, nearest_feasible_site


class OraclePolicy(Policy):
    """Offline optimum with perfect knowledge (LP lower bound + rounded placement)."""

    name: ClassVar[str] = "oracle"
    online: ClassVar[bool] = False

    def __init__(self) -> None:
        self.solution: OracleSolution | None = None

    def params(self) -> dict[str, Any]:
        """The bound and the LP's size."""
        if self.solution is None:
            return {}
        s = self.solution
        return {"bound_emissions_location_kg": s.bound_emissions_location_kg, "lp_variables": s.n_variables,
                "lp_constraints": s.n_constraints, "lp_solve_s": s.solve_s, "lp_block_steps": s.block_steps}

    def place(self, batch: JobBatch, state: SiteState | None, ctx: SimContext) -> Placement:
        """Solve the LP over the whole batch and round its schedule."""
        sol = solve_bound(ctx, batch)
        self.solution = sol
        site = nearest_feasible_site(batch, ctx)
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
