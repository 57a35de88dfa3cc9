"""24/7 CFE sizing: the cost-vs-CFE curve and solution invariants (hypothesis)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shulu.model import Scenario
from shulu.plan.cfe import pareto, single_site_inputs, site_inputs_from_scenario, size_cfe
from shulu.plan.costs import load_costs
from shulu.plan.reduce import representative_days

HOURS = 24


def test_pareto_curve_is_monotone(china_fortnight: Scenario) -> None:
    costs = load_costs()
    inp, _ = representative_days(site_inputs_from_scenario(china_fortnight, "zhongwei", costs), 2)
    df = pareto(inp, costs, (0.0, 0.5, 0.8, 0.95))
    assert (np.diff(df["cost_cny_per_year"]) >= -1e-6 * df["cost_cny_per_year"].max()).all()
    assert (df["cfe_frac"] >= df["target_frac"] - 1e-7).all()
    # reaching 95% takes more sun/wind/storage than reaching 50%
    more = df.iloc[-1][["solar_added_kw", "wind_added_kw", "battery_added_kwh"]].sum()
    assert more > df.iloc[1][["solar_added_kw", "wind_added_kw", "battery_added_kwh"]].sum()


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(load=st.lists(st.floats(0.0, 200.0), min_size=HOURS, max_size=HOURS),
       sun_peak=st.floats(0.3, 1.0), wind=st.floats(0.0, 0.6), grid_cfe=st.floats(0.0, 0.5),
       target=st.floats(0.0, 0.95))
def test_solution_balances_power_and_meets_cfe(load: list[float], sun_peak: float, wind: float, grid_cfe: float,
                                               target: float) -> None:
    hours = np.arange(HOURS)
    solar = np.clip(np.sin((hours - 6) / 12 * np.pi), 0, None) * sun_peak
    wind_cf = np.full(HOURS, wind) * (0.5 + 0.5 * np.cos(hours / 5.0))
    inp = single_site_inputs(np.asarray(load) + 1.0, solar_cf=solar, wind_cf=wind_cf, grid_cfe_frac=grid_cfe,
                             price_cny_per_kwh=0.6, facility_factor=1.2, idle_frac=0.3, rte_frac=0.85)
    res = size_cfe(inp, load_costs(), target)
    h = res.hourly.isel(site=0)
    supply = h["renewable_kw"] + h["discharge_kw"] + h["import_kw"]
    # hourly power balance: supply covers demand and charging (surplus is exported or curtailed)
    assert bool((supply - h["charge_kw"] >= h["demand_kw"] - 1e-6).all())
    # the battery charges only from sun and wind
    assert bool((h["charge_kw"] <= h["renewable_kw"] + 1e-6).all())
    cfe = 1 - float(h["noncfe_kw"].sum()) / float(h["demand_kw"].sum())
    assert cfe >= target - 1e-6
    assert res.totals["cfe_frac"] == pytest.approx(cfe)
