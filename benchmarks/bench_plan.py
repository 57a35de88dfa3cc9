"""B-plan: build and solve time of the national layout model — representative days and the full hourly year —
and the error of the representative-day reduction against the full year.

The national case: the built-in China year (10 clusters, 8 regions, 100,000 jobs), demand doubled, every site at
least 80% hourly carbon-free, the default costs (UHV lines: the named ones). The representative-day design is
also *evaluated* on the full year (its solar, wind, battery, lines and allocation held, operation re-optimised
hour by hour, IT capacity topped up where a peak hour needs it): the gap between its estimated cost and its cost
on the full year, and its green share there, are the reduction's error; then the design is calibrated on the full year
(``shulu.plan.run.calibrate_on_full_year``), as ``shulu plan`` does by default. Last, the full hourly year is solved
by Benders decomposition started from the calibrated plan, and every figure above is also compared with that
optimum. The evaluation and calibration solves are decomposed too (``method="auto"``: above 200,000 variables).
"""

from __future__ import annotations

import os
import time
from typing import Any

from shulu.data.china import build_china_scenario
from shulu.errors import InputError
from shulu.plan.costs import load_costs
from shulu.plan.inputs import inputs_from_scenario
from shulu.plan.layout import DESIGN_VARS, FixedDesign, PlanOptions, solve
from shulu.plan.reduce import representative_days
from shulu.plan.run import calibrate_on_full_year

N_JOBS = 100_000
DAYS = 12
#: Time limit of the full-year solve [s] (override with SHULU_BENCH_PLAN_FULL_S; 0 skips it).
FULL_LIMIT_S = float(os.environ.get("SHULU_BENCH_PLAN_FULL_S", "2400"))
#: Relative gap at which the full-year decomposition stops.
FULL_GAP = 1e-3


def run(n_jobs: int = N_JOBS, days: int = DAYS, full_limit_s: float = FULL_LIMIT_S) -> dict[str, Any]:
    """Time inputs, reduction, build and solve; evaluate the reduction's error."""
    scn = build_china_scenario(2025, n_jobs=n_jobs, seed=2025)
    costs = load_costs()
    opts = PlanOptions(green_share_min_frac=0.8)
    t = time.perf_counter()
    full = inputs_from_scenario(scn, costs, demand_growth_frac=1.0, lines="named")
    inputs_s = time.perf_counter() - t
    t = time.perf_counter()
    red, chosen = representative_days(full, days)
    reduce_s = time.perf_counter() - t
    rep = solve(red, costs, opts)
    out: dict[str, Any] = {
        "sites": len(full.site_ids), "regions": int(full.demand_kw.sizes["region"]),
        "classes": int(full.demand_kw.sizes["cls"]), "jobs": n_jobs, "lines": len(full.lines),
        "inputs_s": inputs_s, "reduce_s": reduce_s,
        "rep_days": len(chosen), "rep_variables": rep.n_variables, "rep_constraints": rep.n_constraints,
        "rep_build_s": rep.build_s, "rep_solve_s": rep.solve_s,
        "rep_objective_mcny": rep.totals["objective_cny_per_year"] / 1e6,
    }
    fixed = FixedDesign(rep.design[list(DESIGN_VARS)], rep.lines["contracted_kw"], rep.allocation)
    ev = solve(full, costs, opts, fixed=fixed)
    out["rep_design_on_full_year_mcny"] = ev.totals["objective_cny_per_year"] / 1e6
    out["rep_cost_error_frac"] = rep.totals["objective_cny_per_year"] / ev.totals["objective_cny_per_year"] - 1.0
    out["rep_design_full_year_green_min_site"] = ev.totals["green_share_min_site_frac"]
    out["rep_design_full_year_green_network"] = ev.totals["green_share_network_frac"]
    out["rep_design_full_year_it_topup_kw"] = float((ev.design["it_added_kw"] - rep.design["it_added_kw"]).sum())
    out["evaluate_full_year_solve_s"] = ev.solve_s
    t = time.perf_counter()
    cal, rounds = calibrate_on_full_year(rep, full, costs, opts)
    out["calibrate_s"] = time.perf_counter() - t
    out["calibration_rounds"] = len(rounds) - 1
    last = rounds[-1]
    out["calibrated_objective_mcny"] = cal.totals["objective_cny_per_year"] / 1e6
    out["calibrated_design_on_full_year_mcny"] = last["cost_full_horizon_cny_per_year"] / 1e6
    out["calibrated_full_year_green_min_site"] = min(last["full_horizon_green_share"].values())
    out["calibrated_full_year_it_topup_kw"] = sum(last.get("it_topup_kw", {}).values())
    if full_limit_s > 0:
        # the full hourly year by Benders decomposition (shulu.optimize.benders), started from the calibrated
        # plan; then the reduction's error against the full-year optimum
        try:
            fy = solve(full, costs, PlanOptions(green_share_min_frac=0.8, time_limit_s=full_limit_s,
                                                method="benders", gap_frac=FULL_GAP), start=cal)
        except InputError as exc:
            out["full_year"] = f"not solved: {exc}"
            return out
        b = fy.extra["benders"]
        best = fy.totals["objective_cny_per_year"]
        out.update({"full_variables": fy.n_variables, "full_constraints": fy.n_constraints,
                    "full_build_s": fy.build_s, "full_solve_s": fy.solve_s, "full_method": "benders",
                    "full_status": b["status"], "full_iterations": b["iterations"], "full_gap_frac": b["gap_frac"],
                    "full_objective_mcny": best / 1e6, "full_lower_bound_mcny": b["lower_bound"] / 1e6,
                    "full_green_min_site": fy.totals["green_share_min_site_frac"],
                    "full_green_shortfall_kwh_per_year": b["green_shortfall_kwh_per_year"],
                    "rep_objective_error_frac": rep.totals["objective_cny_per_year"] / best - 1.0,
                    "rep_design_on_full_year_vs_optimum_frac": ev.totals["objective_cny_per_year"] / best - 1.0,
                    "calibrated_design_on_full_year_vs_optimum_frac":
                        last["cost_full_horizon_cny_per_year"] / best - 1.0})
        for v in ("it_added_kw", "solar_added_kw", "wind_added_kw", "battery_added_kwh"):
            out[f"full_{v}"] = float(fy.design[v].sum())
            out[f"rep_{v}"] = float(rep.design[v].sum())
            out[f"calibrated_{v}"] = float(cal.design[v].sum())
    return out


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
