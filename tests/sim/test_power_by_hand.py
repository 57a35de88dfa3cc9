"""More of the power balance by hand: two sites at once, 5-minute steps, CFE with a battery, import limits."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from shulu import units
from shulu.errors import InputError
from shulu.model import PowerSupply, Site
from shulu.sim.battery import get_dispatch_rule
from shulu.sim.power import PowerFlows, SiteArrays, site_power


def make_site(sid: str, it_capacity_kw: float = 1000.0, pue_design: float = 1.2, **supply: Any) -> Site:
    # PUE flat: temperature coefficient 0 and light-load coefficient 0
    return Site(id=sid, name=sid.upper(), role="west", lat_deg=0, lon_deg=0, it_capacity_kw=it_capacity_kw,
                pue_design=pue_design, pue_temp_coef_per_c=0.0, pue_light_load_coef=0.0,
                supply=PowerSupply(**supply))


def run(sites: list[Site], n: int, *, it: list[float], solar_cf: list[float], intensity: list[float],
        price: list[float], grid_cfe: list[float] | None = None, step_s: float = 3600.0,
        rule: str = "self-consumption", per_step: dict[str, np.ndarray] | None = None) -> PowerFlows:
    def grid(values: list[float]) -> np.ndarray:
        return np.tile(np.asarray(values, dtype=float), (n, 1))

    s = len(sites)
    arr = {"it": grid(it), "solar": grid(solar_cf), "intensity": grid(intensity), "price": grid(price),
           "cfe": grid(grid_cfe if grid_cfe is not None else [0.0] * s)}
    arr.update(per_step or {})
    return site_power(arr["it"], np.full((n, s), 10.0), arr["solar"], np.zeros((n, s)), arr["intensity"],
                      arr["price"], arr["cfe"], SiteArrays.from_sites(sites), step_s, get_dispatch_rule(rule))


def test_two_sites_constant_hour_by_hand() -> None:
    # A: 1000 kW IT x PUE 1.2, no renewables, 500 g/kWh, 0.5 CNY/kWh
    # B: 500 kW IT x 1.2 = 600 kW; 1000 kW solar x cf 0.9 = 900 kW -> 300 kW surplus, export not allowed
    a = make_site("a")
    b = make_site("b", solar_kw=1000.0, grid_export_allowed=False)
    f = run([a, b], 3, it=[1000.0, 500.0], solar_cf=[0.0, 0.9], intensity=[500.0, 300.0], price=[0.5, 0.4],
            grid_cfe=[0.25, 0.25])
    np.testing.assert_allclose(f.facility_kw, [[1200.0, 600.0]] * 3)
    np.testing.assert_allclose(f.grid_import_kw, [[1200.0, 0.0]] * 3)
    np.testing.assert_allclose(f.emissions_location_kg, [[600.0, 0.0]] * 3)  # 1200 kWh x 500 g / 1000
    np.testing.assert_allclose(f.cost_cny, [[600.0, 0.0]] * 3)  # 1200 kWh x 0.5 CNY
    np.testing.assert_allclose(f.renewable_used_kw, [[0.0, 600.0]] * 3)
    np.testing.assert_allclose(f.curtailed_kw, [[0.0, 300.0]] * 3)
    np.testing.assert_allclose(f.grid_export_kw, 0.0)
    np.testing.assert_allclose(f.cfe_frac, [[0.25, 1.0]] * 3)
    assert f.emissions_location_kg.sum() == pytest.approx(1800.0)
    # the same sites one at a time give the same numbers (vectorised over sites)
    fa = run([a], 3, it=[1000.0], solar_cf=[0.0], intensity=[500.0], price=[0.5], grid_cfe=[0.25])
    fb = run([b], 3, it=[500.0], solar_cf=[0.9], intensity=[300.0], price=[0.4], grid_cfe=[0.25])
    for name in PowerFlows.names():
        np.testing.assert_array_equal(getattr(f, name)[:, :1], getattr(fa, name), err_msg=name)
        np.testing.assert_array_equal(getattr(f, name)[:, 1:], getattr(fb, name), err_msg=name)


def test_export_when_allowed() -> None:
    f = run([make_site("b", solar_kw=1000.0)], 1, it=[500.0], solar_cf=[0.9], intensity=[300.0], price=[0.4],
            rule="none")
    assert f.grid_export_kw[0, 0] == pytest.approx(300.0) and f.curtailed_kw[0, 0] == 0.0


def test_five_minute_steps_energy_is_power_times_step() -> None:
    # 12 five-minute steps of site A add up to the hour: 1200 kWh, 600 kg, 600 CNY
    step_h = 300.0 / units.SECONDS_PER_HOUR
    f = run([make_site("a")], 12, it=[1000.0], solar_cf=[0.0], intensity=[500.0], price=[0.5], step_s=300.0)
    np.testing.assert_allclose(f.emissions_location_kg, 1200.0 * step_h * 500.0 / units.G_PER_KG)  # 50 kg
    np.testing.assert_allclose(f.cost_cny, 50.0)
    assert f.emissions_location_kg.sum() == pytest.approx(600.0) and f.cost_cny.sum() == pytest.approx(600.0)
    assert (f.grid_import_kw.sum() * step_h) == pytest.approx(1200.0)


def test_market_based_green_share_by_hand() -> None:
    # 30% of import covered by green purchases: market 1200 x 0.7 x 0.5 = 420 kg; location stays 600 kg
    f = run([make_site("a", green_purchase_frac=0.3)], 2, it=[1000.0], solar_cf=[0.0], intensity=[500.0],
            price=[0.5])
    np.testing.assert_allclose(f.emissions_location_kg, 600.0)
    np.testing.assert_allclose(f.emissions_market_kg, 420.0)


def test_cfe_with_renewable_battery_energy_by_hand() -> None:
    # empty lossless 400 kWh / 100 kW battery, floor 0. 500 kW IT -> 600 kW. Grid 50% carbon-free.
    # t0: 900 kW solar: 600 direct, 100 charges, 200 exported -> CFE 1
    # t1: no solar: 100 kW from the battery (renewable), 500 kW import x 0.5 -> (100 + 250) / 600
    site = make_site("a", solar_kw=1000.0, battery_energy_kwh=400.0, battery_power_kw=100.0, battery_rte_frac=1.0,
                     battery_soc_min_frac=0.0, battery_soc_initial_frac=0.0)
    f = run([site], 2, it=[500.0], solar_cf=[0.0], intensity=[500.0], price=[0.5], grid_cfe=[0.5],
            per_step={"solar": np.array([[0.9], [0.0]])})
    np.testing.assert_allclose(f.battery_charge_kw[:, 0], [100.0, 0.0])
    np.testing.assert_allclose(f.grid_export_kw[:, 0], [200.0, 0.0])
    np.testing.assert_allclose(f.renewable_used_kw[:, 0], [700.0, 0.0])
    np.testing.assert_allclose(f.grid_import_kw[:, 0], [0.0, 500.0])
    np.testing.assert_allclose(f.cfe_frac[:, 0], [1.0, 350.0 / 600.0])


def test_cfe_excludes_grid_charging_by_hand() -> None:
    # PUE 1, 100 kW demand. Carbon-aware: clean step 0 charges 100 kW from the grid (import 200 kW), but only
    # the 100 kW serving the demand counts: CFE = 100 x 0.8 / 100. Step 1 runs on that grid-origin energy,
    # counted at the grid's carbon-free share of the step it is used in (0.2).
    site = make_site("a", pue_design=1.0, battery_energy_kwh=200.0, battery_power_kw=100.0, battery_rte_frac=1.0,
                     battery_soc_min_frac=0.0, battery_soc_initial_frac=0.0)
    n = 5
    f = run([site], n, it=[100.0], solar_cf=[0.0], intensity=[0.0], price=[0.5], rule="carbon-aware",
            per_step={"intensity": np.array([[100.0], [900.0], [900.0], [900.0], [900.0]]),
                      "cfe": np.array([[0.8], [0.2], [0.2], [0.2], [0.2]])})
    np.testing.assert_allclose(f.battery_grid_charge_kw[:, 0], [100.0, 0, 0, 0, 0])
    np.testing.assert_allclose(f.grid_import_kw[:, 0], [200.0, 0, 100.0, 100.0, 100.0])
    np.testing.assert_allclose(f.cfe_frac[:, 0], [0.8, 0.2, 0.2, 0.2, 0.2])
    # the grid charge is paid for and emitted at its own (clean) step: 200 kWh x 100 g
    assert f.emissions_location_kg[0, 0] == pytest.approx(20.0) and f.emissions_location_kg[1, 0] == 0.0
    np.testing.assert_allclose(f.energy_balance_residual_kw(), 0.0, atol=1e-9)


def test_import_limit_records_unserved() -> None:
    f = run([make_site("a", grid_import_limit_kw=1000.0)], 2, it=[1000.0], solar_cf=[0.0], intensity=[500.0],
            price=[0.5])
    np.testing.assert_allclose(f.grid_import_kw, 1000.0)
    np.testing.assert_allclose(f.unserved_kw, 200.0)
    np.testing.assert_allclose(f.energy_balance_residual_kw(), 0.0, atol=1e-9)


def test_grid_charging_respects_import_limit() -> None:
    site = make_site("a", pue_design=1.0, battery_energy_kwh=400.0, battery_power_kw=100.0, battery_rte_frac=1.0,
                     battery_soc_min_frac=0.0, battery_soc_initial_frac=0.0, grid_import_limit_kw=500.0)
    f = run([site], 5, it=[450.0], solar_cf=[0.0], intensity=[0.0], price=[0.5], rule="carbon-aware",
            per_step={"intensity": np.array([[100.0], [900.0], [900.0], [900.0], [900.0]])})
    np.testing.assert_allclose(f.unserved_kw, 0.0)
    assert f.battery_grid_charge_kw[0, 0] == pytest.approx(50.0)  # only the headroom under the limit


def test_heat_pump_cop_one_rejected() -> None:
    site = Site(id="a", name="A", role="east", lat_deg=0, lon_deg=0, it_capacity_kw=100, heat_recovery_frac=0.5,
                heat_pump_cop=1.0)
    with pytest.raises(InputError, match="heat_pump_cop"):
        SiteArrays.from_sites([site])
