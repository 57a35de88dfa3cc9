"""B3: the oracle's time against the raw min-cost-flow solve and against a generic LP on the same network.

Instance: the built-in China year, 10 sites x 8,760 h, 1,000,000 jobs. The oracle (cohorting, building the
network, OR-Tools' min-cost flow, reading the schedule back) is timed whole and compared with the time inside
``SimpleMinCostFlow.solve`` alone (target: within 1.5x). The same network is then handed to HiGHS as a plain LP
(node-arc incidence equalities), with a time limit; where it does not finish, the ratio is reported as a lower
bound. A four-week slice, on which the LP does finish, gives a measured ratio too.
"""

from __future__ import annotations

import time
from typing import Any

import pandas as pd

from shulu.data.china import build_china_scenario
from shulu.model.scenario import Scenario
from shulu.optimize.flow import build_flow_network, solve_flow_bound, solve_flow_network_as_lp
from shulu.sim.engine import job_batch, make_context

N_JOBS = 1_000_000
LP_TIME_LIMIT_S = 600.0


def window(scn: Scenario, days: int) -> Scenario:
    """The first ``days`` days of a scenario, with the jobs that arrive in them."""
    end = scn.start + pd.Timedelta(days=days)
    f = scn.workload.frame
    return scn.replace(end=end, workload=scn.workload.__class__.from_frame(f[f["submit_time"] < end]))


def measure(scn: Scenario, lp_limit_s: float) -> dict[str, Any]:
    """Oracle whole, raw flow solve, and the generic LP on the same network."""
    ctx, batch = make_context(scn), job_batch(scn)
    t = time.perf_counter()
    sol = solve_flow_bound(ctx, batch)
    oracle_s = time.perf_counter() - t
    net = build_flow_network(ctx, batch, block_steps=sol.block_steps)
    lp_kg, lp_s = solve_flow_network_as_lp(net, time_limit_s=lp_limit_s)
    finished = lp_kg == lp_kg
    return {"jobs": len(batch.index), "steps": ctx.n_steps, "block_steps": sol.block_steps,
            "arcs": sol.n_variables, "nodes": sol.n_constraints, "bound_t": sol.bound_emissions_location_kg / 1000,
            "oracle_s": oracle_s, "raw_flow_solve_s": sol.raw_solve_s,
            "oracle_over_raw_flow": oracle_s / sol.raw_solve_s,
            "generic_lp_s": lp_s, "generic_lp_finished": finished,
            "generic_lp_bound_t": lp_kg / 1000 if finished else float("nan"),
            ("generic_lp_over_oracle" if finished else "generic_lp_over_oracle_at_least"): lp_s / oracle_s}


def run(n_jobs: int = N_JOBS) -> dict[str, Any]:
    """B3 on the full year and on a four-week slice."""
    scn = build_china_scenario(2025, n_jobs=n_jobs, seed=2025)
    return {"year": measure(scn, LP_TIME_LIMIT_S), "four_weeks": measure(window(scn, 28), LP_TIME_LIMIT_S)}


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2, default=float))
