"""One call for ``shulu plan``: inputs, time reduction, the layout LP, the hub-pair comparison, the twin check."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd

from shulu import __version__
from shulu.errors import InputError
from shulu.model.scenario import Scenario
from shulu.plan.costs import PlanCosts, costs_table, load_costs
from shulu.plan.inputs import PlanInputs, inputs_from_scenario
from shulu.plan.layout import DESIGN_VARS, FixedDesign, GreenScope, PlanOptions, PlanResult, solve
from shulu.plan.output import check, planned_scenario
from shulu.plan.reduce import representative_days
from shulu.plan.transmission import compare_pairs

#: Representative days by default (the full hourly year is ``days=None``).
DEFAULT_DAYS = 12
#: Representative days for the per-pair comparison (one small LP per pair and option).
PAIR_DAYS = 6
#: Hourly horizons longer than this [steps] start their (decomposed) solve from the representative-day plan.
START_ABOVE_STEPS = 60 * 24


#: Calibration rounds and the shortfall [fraction] below which a site counts as meeting its green share.
CALIBRATION_ROUNDS = 2
CALIBRATION_TOLERANCE_FRAC = 0.002


def calibrate_on_full_year(plan: PlanResult, full: PlanInputs, costs: PlanCosts, options: PlanOptions
                           ) -> tuple[PlanResult, list[dict[str, Any]]]:
    """Check a representative-day plan on every hour and raise the margin of sites that fall short there.

    The design (sun, wind, battery, lines, allocation) is evaluated on the full horizon with operation re-optimised
    hour by hour and IT capacity topped up where a peak hour needs it; a site whose green share there is below what
    the plan aimed for gets that shortfall added to its margin, every site keeps at least the IT capacity the full
    horizon needed, and the representative-day model is solved again — at most :data:`CALIBRATION_ROUNDS` times.

    Returns
    -------
    (plan, rounds)
        The last plan, and per round each site's full-horizon green share and added margin.
    """
    rounds: list[dict[str, Any]] = []
    extra: dict[str, float] = dict(options.site_margin_frac)
    min_it: dict[str, float] = dict(options.min_it_added_kw)
    aim = options.green_share_min_frac + (costs.green_margin_frac if options.green_margin_frac is None
                                          else options.green_margin_frac)
    for k in range(CALIBRATION_ROUNDS + 1):
        fixed = FixedDesign(plan.design[list(DESIGN_VARS)], plan.lines["contracted_kw"] if len(plan.lines) else None,
                            plan.allocation)
        ev = solve(full, costs, options, fixed=fixed)
        got = ev.design["green_share_frac"]
        if options.green_scope == "network":
            short = {"*": aim - ev.totals["green_share_network_frac"]}
        else:
            short = {str(s): aim + extra.get(str(s), 0.0) - float(v) for s, v in got.items()}
        rounds.append({"round": k, "full_horizon_green_share": {str(s): float(v) for s, v in got.items()},
                       "margin_added": dict(extra), "cost_full_horizon_cny_per_year":
                       ev.totals["objective_cny_per_year"]})
        topup = ev.design["it_added_kw"] - plan.design["it_added_kw"]
        rounds[-1]["it_topup_kw"] = {str(s): float(v) for s, v in topup.items()}
        worst = max(short.values())
        if (worst <= CALIBRATION_TOLERANCE_FRAC and float(topup.max()) <= 1e-6) or k == CALIBRATION_ROUNDS:
            break
        for s, v in ev.design["it_added_kw"].items():  # peak hours the representative days missed
            min_it[str(s)] = max(min_it.get(str(s), 0.0), float(v))
        for s, v in short.items():
            if v > CALIBRATION_TOLERANCE_FRAC:
                for sid in (plan.design.index if s == "*" else [s]):
                    extra[str(sid)] = min(extra.get(str(sid), 0.0) + v, 1.0)
        plan = solve(plan.inputs, costs, replace(options, site_margin_frac=extra, min_it_added_kw=min_it))
    return plan, rounds


@dataclass
class PlanRun:
    """Everything ``shulu plan`` produces."""

    plan: PlanResult
    scenario: Scenario  #: the planned scenario
    transmission: pd.DataFrame | None
    summary: dict[str, Any]
    days: pd.DataFrame | None = None
    check: dict[str, Any] | None = None
    timings: dict[str, float] = field(default_factory=dict)


def run_plan(scn: Scenario, *, demand_growth_frac: float = 0.0, green_share_min_frac: float = 0.8,
             carbon_price_cny_per_t: float | None = None, days: int | None = DEFAULT_DAYS,
             green_scope: GreenScope = "site", lines: str = "all", costs_file: str | os.PathLike[str] | None = None,
             pairs: bool = True, twin_check: bool = True, seed: int = 0, calibrate: bool = True,
             rescale: str = "all", method: str = "auto", gap_frac: float = 1e-3,
             time_limit_s: float = 3600.0) -> PlanRun:
    """Plan a scenario's network for grown demand; optionally compare hub pairs and check the plan in the twin.

    Parameters
    ----------
    scn : Scenario
        Today's network, signals and workload.
    demand_growth_frac : float
        Demand growth as a fraction (1.0 doubles it), > -1.
    green_share_min_frac : float
        Hourly carbon-free share every site (or the network) must reach [0..1].
    carbon_price_cny_per_t : float, optional
        Carbon price [CNY/tCO2] (default: the cost file's).
    days : int or None
        Representative days, or None for the full hourly horizon.
    green_scope : {"site", "network"}
    lines : {"all", "named", "none"}
        Which UHV lines may be contracted.
    costs_file : path, optional
        Overrides of ``plan_costs.yaml``.
    pairs : bool
        Compare move-bits vs move-electrons for every (west, east) pair.
    twin_check : bool
        Simulate the planned scenario (policy ``planned``) and today's (``local``) and check the promises.
    seed : int
        Seed of the clustering.
    calibrate : bool
        With representative days, evaluate the design on the full horizon and raise the green margin of the sites
        that fall short there (see :func:`calibrate_on_full_year`).
    rescale : {"all", "medoids"}
        How representative days keep the horizon's energy (see :func:`shulu.plan.reduce.representative_days`).
    method : {"auto", "lp", "benders"}
        How the LP is solved (see :class:`shulu.plan.layout.PlanOptions`): ``auto`` decomposes models above
        :data:`shulu.plan.layout.BENDERS_ABOVE_VARIABLES` variables (a full national year, its calibration runs).
    gap_frac : float
        Relative gap at which the decomposition stops.
    time_limit_s : float
        Limit per solve [s].
    """
    from shulu.runner import simulate

    options = PlanOptions(green_share_min_frac=green_share_min_frac, green_scope=green_scope,
                          method=method, gap_frac=gap_frac, time_limit_s=time_limit_s)  # type: ignore[arg-type]
    costs = load_costs(costs_file)
    if carbon_price_cny_per_t is not None:
        if not carbon_price_cny_per_t >= 0:
            raise InputError(f"expected a carbon price >= 0 CNY/t, got {carbon_price_cny_per_t}",
                             field="carbon_price")
        costs = costs.replace(carbon_price_cny_per_t=float(carbon_price_cny_per_t))
    timings: dict[str, float] = {}
    t = time.perf_counter()
    full = inputs_from_scenario(scn, costs, demand_growth_frac=demand_growth_frac, lines=lines)
    timings["inputs_s"] = time.perf_counter() - t
    chosen = None
    inp = full
    if days is not None:
        t = time.perf_counter()
        inp, chosen = representative_days(full, days, seed=seed, rescale=rescale)
        timings["reduce_s"] = time.perf_counter() - t
    start = None
    if days is None and method != "lp" and green_scope == "site" and full.signals.sizes["time"] > START_ABOVE_STEPS:
        # a long hourly horizon goes to Benders: start it from the representative-day plan (seconds to solve)
        t = time.perf_counter()
        red, _ = representative_days(full, min(DEFAULT_DAYS, full.signals.sizes["time"] // 24), seed=seed,
                                     rescale="medoids")
        start = solve(red, costs, replace(options, method="lp"))
        timings["start_s"] = time.perf_counter() - t
    plan = solve(inp, costs, options, start=start)
    timings["build_s"] = plan.build_s
    timings["solve_s"] = plan.solve_s
    calibration: list[dict[str, Any]] = []
    if days is not None and calibrate and green_share_min_frac > 0:
        t = time.perf_counter()
        plan, calibration = calibrate_on_full_year(plan, full, costs, options)
        timings["calibrate_s"] = time.perf_counter() - t
    planned = planned_scenario(scn, plan, demand_growth_frac=demand_growth_frac)
    trans = None
    if pairs:
        t = time.perf_counter()
        pair_inp = inp
        if days is None or days > PAIR_DAYS:
            pair_inp, _ = representative_days(full, min(PAIR_DAYS, full.signals.sizes["time"] // 24), seed=seed)
        trans = compare_pairs(scn, pair_inp, costs, green_share_min_frac=green_share_min_frac, plan=plan)
        timings["pairs_s"] = time.perf_counter() - t
    summary: dict[str, Any] = {
        "scenario": scn.name, "shulu_version": __version__,
        "options": {"demand_growth_frac": demand_growth_frac, "green_share_min_frac": green_share_min_frac,
                    "green_scope": green_scope, "green_margin_frac": costs.green_margin_frac,
                    "carbon_price_cny_per_t": costs.carbon_price_cny_per_t, "lines": lines,
                    "time_resolution": "full hourly horizon" if chosen is None else f"{len(chosen)} "
                    f"representative days ({days} clusters + peak days)",
                    "rescale": None if chosen is None else rescale, "method": plan.extra.get("method"),
                    "gap_frac": gap_frac},
        "totals": plan.totals,
        "model": {"n_variables": plan.n_variables, "n_constraints": plan.n_constraints, **timings,
                  "benders": plan.extra.get("benders")},
        "representative_days": None if chosen is None else chosen.to_dict(orient="records"),
        "calibration": calibration,
        "constants": costs_table(costs_file).to_dict(orient="records"),
    }
    run = PlanRun(plan=plan, scenario=planned, transmission=trans, summary=summary, days=chosen, timings=timings)
    if twin_check:
        t = time.perf_counter()
        planned_res = simulate(planned, "planned")
        today_res = simulate(scn, "local")
        run.check = check(plan, planned_res, today_res)
        timings["twin_s"] = time.perf_counter() - t
        summary["twin_check"] = run.check
    return run
