"""B7b: the error of representative days against the true hourly optimum, on the national case cut to a quarter.

The full hourly national year is not solved on a 2-core machine (B7), so the reduction's error against the
full-horizon optimum is measured where that optimum can be computed: the national case of B7 (10 clusters,
8 regions, 100,000 jobs, demand doubled, every site at least 80% hourly carbon-free, the named UHV lines) over
the year's first 13 weeks (91 days, 2,184 h). The hourly LP over all 91 days is solved to optimality; so is the
model on ``k`` representative days chosen from the same 91 days (plus the peak days). Reported per ``k``: the
representative-day estimate against the optimum, the representative-day design run on all 91 days (operation
re-optimised, IT topped up where an hour needs it) against the optimum, its lowest site green share there, and
how far its design (IT, solar, wind, battery) is from the optimum's — for both ways of keeping the energy
(``rescale``: every chosen day alike, or the medoid days only with the peak days kept real). The hourly LP is
also solved by Benders decomposition (as the full year is), beside the one-LP solve in the same run.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from shulu.data.china import build_china_scenario
from shulu.plan.costs import load_costs
from shulu.plan.inputs import STEPS_PER_DAY, PlanInputs, inputs_from_scenario
from shulu.plan.layout import DESIGN_VARS, FixedDesign, PlanOptions, solve
from shulu.plan.reduce import RESCALE, representative_days

N_JOBS = 100_000
DAYS = 91
KS = (4, 8)


def first_days(inp: PlanInputs, days: int) -> PlanInputs:
    """The inputs' first ``days`` days (every field over time cut alike)."""
    cut = {"time": slice(0, days * STEPS_PER_DAY)}
    return inp.replace(signals=inp.signals.isel(cut), demand_kw=inp.demand_kw.isel(cut),
                       weight=inp.weight.isel(cut), period=inp.period.isel(cut), cycle=inp.cycle.isel(cut))


def run(n_jobs: int = N_JOBS, days: int = DAYS, ks: tuple[int, ...] = KS) -> dict[str, Any]:
    """Solve the quarter hourly, then on k representative days; compare."""
    scn = build_china_scenario(2025, n_jobs=n_jobs, seed=2025)
    costs = load_costs()
    opts = PlanOptions(green_share_min_frac=0.8, time_limit_s=3000.0)
    quarter = first_days(inputs_from_scenario(scn, costs, demand_growth_frac=1.0, lines="named"), days)
    t = time.perf_counter()
    opt = solve(quarter, costs, opts)
    out: dict[str, Any] = {"days": days, "hours": days * STEPS_PER_DAY, "jobs": n_jobs,
                           "hourly_variables": opt.n_variables, "hourly_solve_s": opt.solve_s,
                           "hourly_wall_s": time.perf_counter() - t,
                           "hourly_optimum_mcny": opt.totals["objective_cny_per_year"] / 1e6}
    best = opt.totals["objective_cny_per_year"]
    # the same hourly LP by Benders decomposition (what the full year uses), side by side
    t = time.perf_counter()
    bd = solve(quarter, costs, PlanOptions(green_share_min_frac=0.8, time_limit_s=3000.0, method="benders"))
    rec = bd.extra["benders"]
    out.update({"benders_wall_s": time.perf_counter() - t, "benders_solve_s": bd.solve_s,
                "benders_iterations": rec["iterations"], "benders_gap_frac": rec["gap_frac"],
                "benders_objective_vs_lp_frac": bd.totals["objective_cny_per_year"] / best - 1.0,
                "benders_lower_bound_vs_lp_frac": rec["lower_bound"] / best - 1.0,
                "lp_over_benders_solve_time": opt.solve_s / bd.solve_s})
    d_opt = opt.design[list(DESIGN_VARS)]
    for k, rescale in ((k, r) for k in ks for r in RESCALE):
        red, chosen = representative_days(quarter, k, rescale=rescale)
        rep = solve(red, costs, opts)
        fixed = FixedDesign(rep.design[list(DESIGN_VARS)], rep.lines["contracted_kw"], rep.allocation)
        ev = solve(quarter, costs, opts, fixed=fixed)
        d_rep = rep.design[list(DESIGN_VARS)]
        # design distance: total absolute difference over sites, relative to the optimum's total, per variable
        dist = {v: float(np.abs(d_rep[v] - d_opt[v]).sum() / max(float(d_opt[v].abs().sum()), 1e-9))
                for v in DESIGN_VARS}
        out[f"k{k} rescale={rescale}"] = {
            "rep_days": len(chosen), "rep_solve_s": rep.solve_s,
            "estimate_vs_optimum_frac": rep.totals["objective_cny_per_year"] / best - 1.0,
            "design_on_all_hours_vs_optimum_frac": ev.totals["objective_cny_per_year"] / best - 1.0,
            "design_on_all_hours_green_min_site": ev.totals["green_share_min_site_frac"],
            "it_topup_kw": float((ev.design["it_added_kw"] - rep.design["it_added_kw"]).sum()),
            **{f"design_l1_{v}": dist[v] for v in DESIGN_VARS},
        }
    return out


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
