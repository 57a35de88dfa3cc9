"""The layout model solved by Benders decomposition against the same model solved as one LP."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from shulu.errors import InputError
from shulu.model import Scenario
from shulu.optimize.benders import linopy_blocks
from shulu.plan.costs import load_costs
from shulu.plan.inputs import inputs_from_scenario
from shulu.plan.layout import LINKING_VARS, PlanOptions, build_model, capacity_rows, solve
from shulu.plan.reduce import representative_days

GAP = 1e-4


@pytest.fixture(scope="module")
def fortnight_inputs(china_fortnight: Scenario):  # type: ignore[no-untyped-def]
    costs = load_costs()
    return inputs_from_scenario(china_fortnight, costs, demand_growth_frac=0.5, lines="named"), costs


@pytest.fixture(scope="module")
def whole(fortnight_inputs):  # type: ignore[no-untyped-def]
    inp, costs = fortnight_inputs
    return solve(inp, costs, PlanOptions(green_share_min_frac=0.6, method="lp"))


def test_benders_reaches_the_lp_optimum(fortnight_inputs, whole) -> None:  # type: ignore[no-untyped-def]
    inp, costs = fortnight_inputs
    res = solve(inp, costs, PlanOptions(green_share_min_frac=0.6, method="benders", gap_frac=GAP))
    b = res.extra["benders"]
    best = whole.totals["objective_cny_per_year"]
    assert res.extra["method"] == "benders" and b["status"] == "optimal"
    assert b["lower_bound"] <= best * (1 + 1e-7)
    assert best <= res.totals["objective_cny_per_year"] <= best * (1 + GAP) + 1e-6
    # the plan keeps every promise the LP's does: green share per site (with margin), all demand served
    aim = 0.6 + costs.green_margin_frac
    assert res.design["green_share_frac"].min() >= aim - 1e-6
    assert b["green_shortfall_kwh_per_year"] == pytest.approx(0.0, abs=1e-6)
    served = res.allocation.groupby(["region", "cls"])["share_frac"].sum()
    assert np.allclose(served.to_numpy(), 1.0, atol=1e-6)
    assert res.totals["jobs_energy_kwh_per_year"] == pytest.approx(whole.totals["jobs_energy_kwh_per_year"],
                                                                   rel=1e-6)
    cap = res.design["it_total_kw"] * costs.util_max_frac
    peak = (res.hourly["jobs_kw"] + res.hourly["shift_kw"]).max("time").to_series()
    assert (peak <= cap + 1e-6).all()


def test_benders_from_representative_days_reaches_the_same_optimum(fortnight_inputs, whole) -> None:  # type: ignore[no-untyped-def]
    inp, costs = fortnight_inputs
    red, _ = representative_days(inp, 3, rescale="medoids")
    opts = PlanOptions(green_share_min_frac=0.6, method="benders", gap_frac=GAP)
    start = solve(red, costs, PlanOptions(green_share_min_frac=0.6, method="lp"))
    res = solve(inp, costs, opts, start=start)
    best = whole.totals["objective_cny_per_year"]
    assert res.extra["benders"]["started_from_plan"]
    assert best <= res.totals["objective_cny_per_year"] <= best * (1 + GAP) + 1e-6


def test_capacity_rows_hold_at_the_optimum_and_count_the_work(fortnight_inputs, whole) -> None:  # type: ignore[no-untyped-def]
    """Every pool row is valid (the LP optimum satisfies it) and counts the work the shares send to a site."""
    inp, costs = fortnight_inputs
    opts = PlanOptions(green_share_min_frac=0.6)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = build_model(inp, costs, opts)
    lp = linopy_blocks(m, [v for v in LINKING_VARS if v in m.variables], "site")
    v_mat, v = capacity_rows(inp, costs, lp["positions"], lp["c"].size)
    x = np.zeros(lp["c"].size)
    for name in ("share", "it_added_kw"):
        pos = lp["positions"][name]
        sol = whole.design["it_added_kw"] if name == "it_added_kw" else None
        if sol is not None:
            x[pos.sel(site=list(sol.index)).to_numpy()] = sol.to_numpy()
        else:
            a = whole.allocation.set_index(["region", "cls", "site"])["share_frac"]
            for (r, c, s), val in a.items():
                x[int(pos.sel(region=r, cls=c, site=s))] = val
    slack = v - v_mat @ x
    assert slack.min() >= -1e-6 * max(1.0, float(np.abs(v).max()))
    # what the rows count is the work the model's own rows put at each site: hourly the hourly classes' jobs,
    # daily all the work (no IT was added here, so the rows' activity is the work alone)
    assert float(whole.design["it_added_kw"].abs().max()) == 0.0
    act = v_mat @ x
    n_t, n_s = inp.signals.sizes["time"], len(inp.site_ids)
    jobs = whole.hourly["jobs_kw"].transpose("time", "site").sel(site=inp.site_ids).to_numpy()
    assert act[:n_t * n_s].reshape(n_t, n_s) == pytest.approx(jobs, rel=1e-9, abs=1e-9)
    work = (whole.hourly["jobs_kw"] + whole.hourly["shift_kw"]).groupby(inp.period).sum()
    daily = work.transpose("group", "site").sel(site=inp.site_ids).to_numpy()
    assert act[n_t * n_s:].reshape(-1, n_s) == pytest.approx(daily, rel=1e-6, abs=1e-6)


def test_network_scope_cannot_be_decomposed() -> None:
    with pytest.raises(InputError, match="green share per site"):
        PlanOptions(green_scope="network", method="benders")
    with pytest.raises(InputError, match="method"):
        PlanOptions(method="bundle")  # type: ignore[arg-type]


def test_a_fixed_design_is_evaluated_alike(fortnight_inputs, whole) -> None:  # type: ignore[no-untyped-def]
    """Evaluating a design on every hour (the calibration's step) decomposes too: same cost either way."""
    from shulu.plan.layout import DESIGN_VARS, FixedDesign

    inp, costs = fortnight_inputs
    red, _ = representative_days(inp, 3, rescale="medoids")
    rep = solve(red, costs, PlanOptions(green_share_min_frac=0.6, method="lp"))
    fixed = FixedDesign(rep.design[list(DESIGN_VARS)], rep.lines["contracted_kw"], rep.allocation)
    lp = solve(inp, costs, PlanOptions(green_share_min_frac=0.6, method="lp"), fixed=fixed)
    bd = solve(inp, costs, PlanOptions(green_share_min_frac=0.6, method="benders", gap_frac=GAP), fixed=fixed)
    assert bd.totals["objective_cny_per_year"] == pytest.approx(lp.totals["objective_cny_per_year"], rel=GAP)
    assert bd.design["green_share_frac"].to_numpy() == pytest.approx(lp.design["green_share_frac"].to_numpy(),
                                                                     abs=1e-3)
    # the design is held: sun, wind and batteries as planned; IT at least as planned
    for v in ("solar_added_kw", "wind_added_kw", "battery_added_kwh", "battery_added_kw"):
        assert bd.design[v].to_numpy() == pytest.approx(rep.design[v].to_numpy(), abs=1e-6)
    assert (bd.design["it_added_kw"] >= rep.design["it_added_kw"] - 1e-6).all()
