"""The power balance and battery dispatch, by hand and by property."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from shulu.errors import InputError
from shulu.model import PowerSupply, Site
from shulu.sim.battery import BatteryArrays, get_dispatch_rule
from shulu.sim.power import SiteArrays, heat_recovery_kw, site_power


def make_site(**supply: float) -> Site:
    return Site(id="a", name="A", role="west", lat_deg=0, lon_deg=0, it_capacity_kw=1000, pue_design=1.2,
                pue_temp_coef_per_c=0.0, pue_light_load_coef=0.0, supply=PowerSupply(**supply))  # type: ignore[arg-type]


def run(site: Site, it: list[float], solar: list[float], *, step_s: float = 3600.0, rule: str = "self-consumption",
        intensity: float | list[float] = 500.0, price: float = 0.5, cfe: float = 0.0):  # type: ignore[no-untyped-def]
    n = len(it)
    col = (n, 1)
    inten = np.broadcast_to(np.asarray(intensity, dtype=float).reshape(-1, 1), col).copy()
    return site_power(np.array(it, dtype=float).reshape(col), np.full(col, 10.0),
                      np.array(solar, dtype=float).reshape(col), np.zeros(col), inten, np.full(col, price),
                      np.full(col, cfe), SiteArrays.from_sites([site]), step_s, get_dispatch_rule(rule))


def test_grid_only_by_hand() -> None:
    f = run(make_site(), [1000.0], [0.0])
    assert f.facility_kw[0, 0] == pytest.approx(1200.0)
    assert f.grid_import_kw[0, 0] == pytest.approx(1200.0)
    assert f.emissions_location_kg[0, 0] == pytest.approx(600.0)  # 1200 kWh x 500 g
    assert f.cost_cny[0, 0] == pytest.approx(600.0)


def test_surplus_export_and_curtailment_by_hand() -> None:
    # 500 kW IT -> 600 kW facility; 1000 kW solar x cf 0.9 = 900 kW -> 300 kW surplus
    f = run(make_site(solar_kw=1000.0), [500.0], [0.9], rule="none")
    assert f.renewable_used_kw[0, 0] == pytest.approx(600.0)
    assert f.grid_export_kw[0, 0] == pytest.approx(300.0) and f.curtailed_kw[0, 0] == 0.0
    assert f.grid_import_kw[0, 0] == 0.0 and f.cfe_frac[0, 0] == 1.0
    f = run(make_site(solar_kw=1000.0, grid_export_allowed=False), [500.0], [0.9], rule="none")
    assert f.curtailed_kw[0, 0] == pytest.approx(300.0) and f.grid_export_kw[0, 0] == 0.0


def test_battery_by_hand() -> None:
    # 400 kWh battery, 100 kW, RTE 0.81 -> eta 0.9 each way; SOC from 50% (200 kWh), min 10%, max 100%.
    site = make_site(solar_kw=1000.0, battery_energy_kwh=400.0, battery_power_kw=100.0, battery_rte_frac=0.81,
                     battery_soc_min_frac=0.1, battery_soc_initial_frac=0.5)
    # step 0: facility 600, solar 900 -> surplus 300, charge 100 kW -> stores 90 kWh -> 290
    # step 1: facility 600, no solar -> discharge 100 kW delivered, draws 111.11 kWh -> 178.89; import 500
    # step 2: discharge 100 -> 67.78 kWh; step 3: floor 40 kWh -> 27.78 kWh x 0.9 = 25 kW delivered
    f = run(site, [500.0, 500.0, 500.0, 500.0], [0.9, 0.0, 0.0, 0.0])
    soc = f.soc_kwh[:, 0]
    np.testing.assert_allclose(soc, [290.0, 290 - 100 / 0.9, 290 - 200 / 0.9, 40.0])
    np.testing.assert_allclose(f.battery_charge_kw[:, 0], [100.0, 0, 0, 0])
    np.testing.assert_allclose(f.battery_discharge_kw[:, 0], [0, 100.0, 100.0, (290 - 200 / 0.9 - 40) * 0.9])
    np.testing.assert_allclose(f.grid_export_kw[:, 0], [200.0, 0, 0, 0])
    np.testing.assert_allclose(f.grid_import_kw[:, 0], [0, 500.0, 500.0, 600 - (290 - 200 / 0.9 - 40) * 0.9])


def test_five_minute_step_energy() -> None:
    site = make_site(battery_energy_kwh=100.0, battery_power_kw=60.0, battery_rte_frac=1.0,
                     battery_soc_initial_frac=1.0, battery_soc_min_frac=0.0)
    # 60 kW discharge for 5 minutes draws 5 kWh
    f = run(site, [50.0], [0.0], step_s=300.0)
    assert f.battery_discharge_kw[0, 0] == pytest.approx(60.0)
    assert f.soc_kwh[0, 0] == pytest.approx(95.0)
    assert f.emissions_location_kg[0, 0] == pytest.approx(0.0)  # 60 kW facility fully covered


def test_heat_recovery_by_hand() -> None:
    delivered, hp = heat_recovery_kw(np.array([100.0]), np.array([0.5]), np.array([5.0]))
    assert hp[0] == pytest.approx(11.25) and delivered[0] == pytest.approx(56.25)
    site = Site(id="a", name="A", role="east", lat_deg=0, lon_deg=0, it_capacity_kw=100, pue_design=1.0,
                pue_temp_coef_per_c=0, pue_light_load_coef=0, heat_recovery_frac=0.5, heat_pump_cop=5.0)
    f = run(site, [100.0], [0.0])
    assert f.heat_pump_kw[0, 0] == pytest.approx(11.25) and f.demand_kw[0, 0] == pytest.approx(111.25)
    assert f.heat_recovered_kw[0, 0] == pytest.approx(56.25)


def test_market_and_location_kept_apart() -> None:
    f = run(make_site(green_purchase_frac=0.3), [1000.0], [0.0])
    assert f.emissions_location_kg[0, 0] == pytest.approx(600.0)
    assert f.emissions_market_kg[0, 0] == pytest.approx(420.0)


def test_pue_temperature_and_load() -> None:
    site = Site(id="a", name="A", role="east", lat_deg=0, lon_deg=0, it_capacity_kw=100, pue_design=1.2,
                pue_temp_coef_per_c=0.01, pue_ref_temp_c=15, pue_light_load_coef=0.1)
    col = (1, 1)
    f = site_power(np.full(col, 50.0), np.full(col, 25.0), np.zeros(col), np.zeros(col), np.full(col, 500.0),
                   np.full(col, 0.5), np.zeros(col), SiteArrays.from_sites([site]), 3600, get_dispatch_rule("none"))
    assert f.pue[0, 0] == pytest.approx(1.2 + 0.1 + 0.05)  # +10 °C x 0.01, + 0.1 x (1 - 0.5)


def test_carbon_aware_charges_in_clean_hours() -> None:
    site = make_site(battery_energy_kwh=200.0, battery_power_kw=100.0, battery_rte_frac=1.0,
                     battery_soc_initial_frac=0.1, battery_soc_min_frac=0.1)
    inten = [100.0, 900.0, 900.0, 900.0, 900.0]
    f = run(site, [100.0] * 5, [0.0] * 5, rule="carbon-aware", intensity=inten)
    assert f.battery_grid_charge_kw[0, 0] == pytest.approx(100.0)  # 20% quantile = the clean hour
    assert f.battery_discharge_kw[1, 0] > 0
    base = run(site, [100.0] * 5, [0.0] * 5, rule="none", intensity=inten)
    assert f.emissions_location_kg.sum() < base.emissions_location_kg.sum()


def test_unknown_rule() -> None:
    with pytest.raises(InputError, match="self-consumption"):
        get_dispatch_rule("magic")


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 48), data=st.data(), rule=st.sampled_from(["self-consumption", "none", "carbon-aware"]),
       step_s=st.sampled_from([300.0, 900.0, 3600.0]), export=st.booleans(),
       energy=st.floats(0.0, 2000.0), power=st.floats(0.0, 800.0), rte=st.floats(0.5, 1.0),
       soc=st.tuples(st.floats(0, 1), st.floats(0, 1), st.floats(0, 1)), limit=st.one_of(st.none(), st.floats(0, 3000)))
def test_balance_and_bounds(n: int, data: st.DataObject, rule: str, step_s: float, export: bool, energy: float,
                            power: float, rte: float, soc: tuple[float, float, float], limit: float | None) -> None:
    lo, init, hi = sorted(soc)
    site = make_site(solar_kw=800.0, wind_kw=500.0, battery_energy_kwh=energy, battery_power_kw=power,
                     battery_rte_frac=rte, battery_soc_min_frac=lo, battery_soc_initial_frac=init,
                     battery_soc_max_frac=hi, grid_export_allowed=export, grid_import_limit_kw=limit)
    arr = hnp.arrays(np.float64, (n, 1), elements=st.floats(0, 1))
    it = data.draw(arr) * 1000.0
    col = (n, 1)
    f = site_power(it, np.full(col, 20.0), data.draw(arr), data.draw(arr), data.draw(arr) * 900.0,
                   np.full(col, 0.5), data.draw(arr), SiteArrays.from_sites([site]), step_s, get_dispatch_rule(rule))
    scale = np.maximum(1.0, f.demand_kw + f.solar_kw + f.wind_kw)
    assert np.all(np.abs(f.energy_balance_residual_kw()) <= 1e-9 * scale)
    eps = 1e-9 * max(energy, 1.0)
    assert np.all(f.soc_kwh >= lo * energy - eps) and np.all(f.soc_kwh <= hi * energy + eps)
    assert np.all(f.battery_charge_kw + f.battery_grid_charge_kw <= power + 1e-9)
    assert np.all(f.battery_discharge_kw <= power + 1e-9)
    assert not np.any((f.battery_charge_kw + f.battery_grid_charge_kw > 0) & (f.battery_discharge_kw > 0))
    for name in ("grid_import_kw", "grid_export_kw", "curtailed_kw", "unserved_kw", "battery_charge_kw",
                 "emissions_location_kg", "emissions_market_kg", "cost_cny"):
        assert np.all(getattr(f, name) >= -1e-12), name
    assert np.all((f.cfe_frac >= 0) & (f.cfe_frac <= 1))
    assert np.all(f.emissions_market_kg <= f.emissions_location_kg + 1e-12)
    # stored energy changes exactly by what went in and out (efficiencies applied)
    b = BatteryArrays.from_sites([site])
    dt_h = step_s / 3600
    d_e = np.diff(np.concatenate([[init * energy], f.soc_kwh[:, 0]]))
    expected = ((f.battery_charge_kw[:, 0] + f.battery_grid_charge_kw[:, 0]) * b.eta_charge[0]
                - f.battery_discharge_kw[:, 0] / max(b.eta_discharge[0], 1e-12)) * dt_h
    np.testing.assert_allclose(d_e, expected, atol=1e-6 * max(energy, 1.0))
