"""Representative days: clustering, energy kept, and the error against the full horizon."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from shulu.errors import InputError
from shulu.model import Scenario
from shulu.plan.costs import load_costs
from shulu.plan.inputs import inputs_from_scenario
from shulu.plan.layout import DESIGN_VARS, FixedDesign, PlanOptions, solve
from shulu.plan.reduce import kmedoids, representative_days


def test_kmedoids_finds_obvious_groups() -> None:
    rng = np.random.default_rng(0)
    x = np.r_[rng.normal(0, 0.1, (6, 3)), rng.normal(5, 0.1, (4, 3))]
    med, lab = kmedoids(x, 2, seed=1)
    assert sorted(np.bincount(lab).tolist()) == [4, 6]
    assert len(set(lab[:6])) == 1 and len(set(lab[6:])) == 1
    for j, m in enumerate(med):
        assert lab[m] == j  # a medoid is a member of its own group
    with pytest.raises(InputError, match="representative days"):
        kmedoids(x, 11)


@pytest.mark.parametrize("rescale", ["all", "medoids"])
def test_reduction_keeps_energy_and_weights(china_fortnight: Scenario, rescale: str) -> None:
    inp = inputs_from_scenario(china_fortnight, load_costs(), lines="none")
    red, days = representative_days(inp, 3, rescale=rescale)
    assert int(days["weight_days"].sum()) == 14
    assert float(red.weight.sum()) == pytest.approx(14 * 24)
    # demand energy per (region, class) is kept exactly; solar energy per site within clipping
    full_e = inp.demand_kw.sum("time")
    red_e = (red.demand_kw * red.weight).sum("time")
    np.testing.assert_allclose(red_e.values, full_e.values, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose((red.signals["solar_cf"] * red.weight).sum("time").values,
                               inp.signals["solar_cf"].sum("time").values, rtol=0.02)
    assert red.annual_factor == pytest.approx(inp.annual_factor)


def test_representative_days_error_against_the_full_fortnight(china_fortnight: Scenario) -> None:
    # Measured (docs/planning.md): 4 clusters (+ peak days) estimate the fortnight's optimum within ~3%, and the
    # design they choose costs within ~2% of the full optimum when run hour by hour over the fortnight.
    costs = load_costs()
    opts = PlanOptions(green_share_min_frac=0.6)
    inp = inputs_from_scenario(china_fortnight, costs, lines="none")
    full = solve(inp, costs, opts)
    red, _ = representative_days(inp, 4)
    rep = solve(red, costs, opts)
    fixed = FixedDesign(rep.design[list(DESIGN_VARS)], None, rep.allocation)
    ev = solve(inp, costs, opts, fixed=fixed)
    f = full.totals["objective_cny_per_year"]
    assert abs(rep.totals["objective_cny_per_year"] / f - 1) < 0.05
    assert ev.totals["objective_cny_per_year"] >= f * (1 - 1e-6)  # no design beats the optimum on its own hours
    assert ev.totals["objective_cny_per_year"] / f - 1 < 0.05
    assert ev.totals["green_share_min_site_frac"] > 0.55


def test_whole_days_required(china_fortnight: Scenario) -> None:
    inp = inputs_from_scenario(china_fortnight, load_costs(), lines="none")
    part = inp.replace(signals=inp.signals.isel(time=slice(0, 30)), demand_kw=inp.demand_kw.isel(time=slice(0, 30)),
                       weight=inp.weight.isel(time=slice(0, 30)))
    with pytest.raises(InputError, match="whole days"):
        representative_days(part, 1)


def test_medoid_rescaling_keeps_peak_days_as_they_were(china_fortnight: Scenario) -> None:
    # the days added for their peak hours (weight one day, after the medoids) carry their real demand: only the
    # medoid days are rescaled to keep each series' energy — unless the peak days alone already hold all of it or
    # the medoid days hold none (then every chosen day is scaled alike)
    inp = inputs_from_scenario(china_fortnight, load_costs(), lines="none")
    red, days = representative_days(inp, 3, rescale="medoids")
    peak = days.index[3:]
    assert len(peak) > 0 and (days.loc[peak, "weight_days"] == 1).all()

    def day(d: int) -> xr.DataArray:
        return inp.demand_kw.isel(time=slice(d * 24, (d + 1) * 24))

    total = inp.demand_kw.sum("time")
    peak_energy = sum(day(int(days.loc[p, "day"])).sum("time") for p in peak)
    medoid_energy = sum(day(int(days.loc[c, "day"])).sum("time") for c in days.index[:3])
    kept = ((peak_energy < total) & (medoid_energy > 0)).to_numpy()
    assert kept.sum() > 0
    for c in peak:
        got = red.demand_kw.isel(time=slice(c * 24, (c + 1) * 24)).to_numpy()
        orig = day(int(days.loc[c, "day"])).to_numpy()
        np.testing.assert_allclose(got[:, kept], orig[:, kept], rtol=1e-12, atol=1e-12)
    # and no series rises above its real largest value on the medoid days either (solar and wind likewise)
    assert (red.demand_kw.max("time") <= inp.demand_kw.max("time") * (1 + 1e-9) + 1e-12).all()
    for v in ("solar_cf", "wind_cf"):
        assert (red.signals[v].max("time") <= inp.signals[v].max("time") * (1 + 1e-9) + 1e-12).all()


def test_unknown_rescale_rule(china_fortnight: Scenario) -> None:
    inp = inputs_from_scenario(china_fortnight, load_costs(), lines="none")
    with pytest.raises(InputError, match="rescale"):
        representative_days(inp, 3, rescale="peaks")
