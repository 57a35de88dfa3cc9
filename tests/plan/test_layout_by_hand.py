"""Tiny layout instances whose optimum is derived by hand (comments give the derivation)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from shulu import units
from shulu.errors import InputError
from shulu.plan.cfe import single_site_inputs
from shulu.plan.costs import PlanCosts, load_costs
from shulu.plan.inputs import PlanInputs
from shulu.plan.layout import PlanOptions, solve

BIG = 1e12  # a capex that rules an option out


def no_extras(**kw: float) -> PlanCosts:
    """Costs with no carbon price or margin; battery, wind and IT additions ruled out unless given."""
    base = {"carbon_price_cny_per_t": 0.0, "green_margin_frac": 0.0, "battery_energy_capex_cny_per_kwh": BIG,
            "wind_capex_cny_per_kw": BIG, "server_capex_cny_per_kw": BIG}
    base.update(kw)
    return load_costs().replace(**base)


def test_solar_alone_for_half_cfe() -> None:
    # One site, 2 hours, 100 kW of IT at PUE 1 and no idle draw; sun only in hour 0 (CF 1), grid CFE 0.
    # Solar beyond 100 kW is wasted (no battery), so the least-cost plan is 100 kW of solar: it covers hour 0,
    # hour 1 imports 100 kW. CFE = 100 / 200 = 0.5, exactly the target.
    # Cost per year: solar 100 x annualised solar + 100 kWh x price x (8,760 h / 2 h represented).
    costs = no_extras()
    inp = single_site_inputs(np.array([100.0, 100.0]), solar_cf=np.array([1.0, 0.0]), price_cny_per_kwh=0.8)
    res = solve(inp, costs, PlanOptions(green_share_min_frac=0.5, green_margin_frac=0.0))
    d = res.design.iloc[0]
    assert d["solar_added_kw"] == pytest.approx(100.0, abs=1e-6)
    assert res.totals["green_share_network_frac"] == pytest.approx(0.5, abs=1e-9)
    expected = 100.0 * costs.solar_cny_per_kw_year + 100.0 * 0.8 * units.HOURS_PER_YEAR / 2.0
    assert res.totals["objective_cny_per_year"] == pytest.approx(expected, rel=1e-9)
    np.testing.assert_allclose(res.hourly["import_kw"].values[:, 0], [0.0, 100.0], atol=1e-6)


def test_solar_and_battery_for_full_cfe() -> None:
    # 100 kW flat for 2 hours, sun only in hour 0, grid CFE 0, target 100%: hour 1 must come from the battery.
    # Round trip 0.81 -> eta = 0.9 each way. Delivering 100 kW for 1 h draws 100 / 0.9 = 111.1 kWh from store,
    # which took a charge c with 0.9 c = 111.1 -> c = 123.457 kW in hour 0. So:
    #   solar = 100 + 123.457 = 223.457 kW; battery energy = 111.111 kWh (state of charge swings 0 -> 111.1,
    #   cyclic, minimum 0); battery power = max(charge, discharge) = 123.457 kW; no import.
    costs = no_extras(battery_energy_capex_cny_per_kwh=385.2)
    inp = single_site_inputs(np.array([100.0, 100.0]), solar_cf=np.array([1.0, 0.0]), rte_frac=0.81,
                             soc_min_frac=0.0)
    res = solve(inp, costs, PlanOptions(green_share_min_frac=1.0, green_margin_frac=0.0))
    d = res.design.iloc[0]
    c = 100.0 / 0.9 / 0.9
    assert d["solar_added_kw"] == pytest.approx(100.0 + c, rel=1e-6)
    assert d["battery_added_kwh"] == pytest.approx(100.0 / 0.9, rel=1e-6)
    assert d["battery_added_kw"] == pytest.approx(c, rel=1e-6)
    assert res.totals["grid_import_kwh_per_year"] == pytest.approx(0.0, abs=1e-3)
    assert res.totals["green_share_network_frac"] == pytest.approx(1.0, abs=1e-9)


def two_sites(latency_ms: tuple[float, float], max_latency_ms: float, price: tuple[float, float],
              n: int = 3) -> PlanInputs:
    """East site 'e' and west site 'w', one region, one class of 60 kW flat IT load, PUE 1, no idle draw."""
    time = pd.Index(np.arange(n), name="time")
    site = pd.Index(["e", "w"], name="site")
    region = pd.Index(["city"], name="region")
    cls = pd.Index(["warm"], name="cls")
    one = single_site_inputs(np.full(n, 60.0))  # borrow the table layouts
    sites = pd.concat([one.sites] * 2)
    sites.index = site
    sites["role"] = ["east", "west"]
    sites["it_capacity_kw"] = 100.0

    def ts(v: tuple[float, float]) -> xr.DataArray:
        return xr.DataArray(np.tile(np.array(v, dtype=float), (n, 1)), coords=[time, site])

    signals = xr.Dataset({"solar_cf": ts((0.0, 0.0)), "wind_cf": ts((0.0, 0.0)), "price_cny_per_kwh": ts(price),
                          "intensity_g_per_kwh": ts((500.0, 500.0)), "grid_cfe_frac": ts((0.0, 0.0)),
                          "facility_factor": ts((1.0, 1.0))})
    rs = xr.DataArray([list(latency_ms)], coords=[region, site])
    zero_rc = xr.DataArray([[0.0]], coords=[region, cls])
    classes = pd.DataFrame({"job_class": ["warm"], "max_latency_ms": [max_latency_ms], "min_slack_s": [0.0],
                            "shiftable": [False]}, index=cls)
    return one.replace(sites=sites, signals=signals, classes=classes, latency_ms=rs, transfer_kwh_per_gb=rs * 0,
                       bandwidth_gbps=rs * 0 + 100.0, data_gb_per_kwh=zero_rc, peak_gbps=zero_rc,
                       demand_kw=xr.DataArray(np.full((n, 1, 1), 60.0), coords=[time, region, cls]))


def test_work_moves_to_the_cheaper_site_within_latency() -> None:
    # 60 kW of work; the west grid costs 0.3 CNY/kWh and the east 0.9; both sites have room (util 60% < 85%).
    # With a 50 ms limit and the west 30 ms away, all of it goes west: cost = 60 kW x 8,760 h x 0.3.
    costs = no_extras(solar_capex_cny_per_kw=BIG)
    res = solve(two_sites((2.0, 30.0), 50.0, (0.9, 0.3)), costs, PlanOptions(green_share_min_frac=0.0))
    a = res.allocation.set_index("site")["share_frac"]
    assert a.get("w", 0.0) == pytest.approx(1.0) and a.get("e", 0.0) == pytest.approx(0.0, abs=1e-9)
    assert res.totals["objective_cny_per_year"] == pytest.approx(60.0 * units.HOURS_PER_YEAR * 0.3, rel=1e-9)
    # a 10 ms limit leaves only the east: cost = 60 x 8,760 x 0.9
    res = solve(two_sites((2.0, 30.0), 10.0, (0.9, 0.3)), costs, PlanOptions(green_share_min_frac=0.0))
    assert set(res.allocation["site"]) == {"e"}
    assert res.totals["objective_cny_per_year"] == pytest.approx(60.0 * units.HOURS_PER_YEAR * 0.9, rel=1e-9)


def test_line_is_contracted_just_enough_for_the_green_share() -> None:
    # The east site ('e') draws 100 kW; no sun or wind, grid CFE 0. A line from 'w' delivers its contracted kW
    # flat (utilisation 1, no loss), half of it green. Green share 25%: noncfe = (100 - L) + 0.5 L <= 75 -> L >= 50.
    # The grid (0.2 CNY/kWh) is cheaper than the line (its capex plus 0.3 CNY/kWh at the sending end), so the
    # plan contracts exactly L = 50 kW.
    costs = no_extras(solar_capex_cny_per_kw=BIG)
    inp = single_site_inputs(np.full(4, 100.0), price_cny_per_kwh=0.2, site="e", role="east")
    line = pd.DataFrame([{"from_site": "w", "to_site": "e", "length_km": 1000.0, "capex_cny_per_kw": 2700.0,
                          "loss_frac": 0.0, "capacity_kw": 1e6, "green_frac": 0.5, "utilisation_frac": 1.0,
                          "send_price_cny_per_kwh": 0.3, "named": False}], index=pd.Index(["w>e"], name="line"))
    res = solve(inp.replace(lines=line), costs, PlanOptions(green_share_min_frac=0.25, green_margin_frac=0.0))
    assert float(res.lines.loc["w>e", "contracted_kw"]) == pytest.approx(50.0, rel=1e-6)
    assert res.totals["green_share_network_frac"] == pytest.approx(0.25, abs=1e-9)
    line_year = 50.0 * (costs.uhv_cny_per_kw_year(2700.0) + units.HOURS_PER_YEAR * 0.3)
    grid_year = 50.0 * units.HOURS_PER_YEAR * 0.2
    assert res.totals["objective_cny_per_year"] == pytest.approx(line_year + grid_year, rel=1e-9)


def test_infeasible_plans_say_why() -> None:
    costs = no_extras(solar_capex_cny_per_kw=BIG)
    with pytest.raises(InputError, match="no site is within 5 ms"):
        solve(two_sites((20.0, 30.0), 5.0, (0.9, 0.3)), costs, PlanOptions(green_share_min_frac=0.0))
    # no sun, no wind, no clean grid: no green share can be reached
    inp = single_site_inputs(np.full(3, 10.0))
    with pytest.raises(InputError, match="infeasible plan"):
        solve(inp, load_costs(), PlanOptions(green_share_min_frac=0.5))
    with pytest.raises(InputError, match="between 0 and 1"):
        PlanOptions(green_share_min_frac=1.2)
    with pytest.raises(InputError, match="'site' or 'network'"):
        PlanOptions(green_scope="planet")  # type: ignore[arg-type]


def test_battery_floor_sized_above_the_swing() -> None:
    # As test_solar_and_battery_for_full_cfe, but the state of charge may not fall below 20% of the energy: the
    # swing of 100 / 0.9 = 111.1 kWh must fit between 0.2 E and E, so E = 111.1 / 0.8 = 138.9 kWh; the state of
    # charge runs from 0.2 x 138.9 = 27.8 kWh (end of hour 1) to 138.9 kWh (end of hour 0). Charge and discharge
    # share one power row; hour 0 only charges (123.457 kW) and hour 1 only discharges 100 kW (drawing
    # 100 / 0.9 = 111.1 kWh from the store).
    costs = no_extras(battery_energy_capex_cny_per_kwh=385.2)
    inp = single_site_inputs(np.array([100.0, 100.0]), solar_cf=np.array([1.0, 0.0]), rte_frac=0.81,
                             soc_min_frac=0.2)
    res = solve(inp, costs, PlanOptions(green_share_min_frac=1.0, green_margin_frac=0.0))
    d = res.design.iloc[0]
    e_kwh = 100.0 / 0.9 / 0.8
    assert d["battery_added_kwh"] == pytest.approx(e_kwh, rel=1e-6)
    assert d["battery_added_kw"] == pytest.approx(100.0 / 0.81, rel=1e-6)
    np.testing.assert_allclose(res.hourly["soc_kwh"].values[:, 0], [e_kwh, 0.2 * e_kwh], rtol=1e-6)
    np.testing.assert_allclose(res.hourly["charge_kw"].values[:, 0], [100.0 / 0.81, 0.0], atol=1e-6)
    np.testing.assert_allclose(res.hourly["discharge_kw"].values[:, 0], [0.0, 100.0], atol=1e-6)
