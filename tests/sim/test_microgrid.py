"""Microgrid mode: one site, load series, solar, battery, grid — through the same engine."""

from __future__ import annotations

import numpy as np
import pytest

from shulu.data.microgrid import build_microgrid_scenario
from shulu.errors import InputError
from shulu.runner import simulate


def test_microgrid_energy_totals_by_hand() -> None:
    n = 288  # one day of 5-minute steps
    load = np.full(n, 60.0)
    cf = np.zeros(n)
    cf[100:150] = 0.8  # 0.8 x 150 kW = 120 kW of solar for 50 steps
    scn = build_microgrid_scenario(days=1, step_s=300, load_kw=load, solar_cf=cf, intensity_g_per_kwh=400.0,
                                   battery_energy_kwh=0.0, battery_power_kw=0.0)
    res = simulate(scn, "local")
    s = res.summary
    step_h = 300 / 3600
    assert s["energy_it_kwh"] == pytest.approx(60.0 * n * step_h)
    assert s["energy_facility_kwh"] == pytest.approx(s["energy_it_kwh"])  # PUE 1 in microgrid mode
    assert s["renewable_used_kwh"] == pytest.approx(60.0 * 50 * step_h)
    assert s["grid_export_kwh"] == pytest.approx(60.0 * 50 * step_h)
    assert s["grid_import_kwh"] == pytest.approx(60.0 * (n - 50) * step_h)
    assert s["emissions_location_kg"] == pytest.approx(60.0 * (n - 50) * step_h * 0.4)


def test_microgrid_battery_shifts_solar() -> None:
    scn = build_microgrid_scenario(days=7, step_s=900, seed=3, solar_kw=400.0)
    with_bat = simulate(scn, "local").summary
    without = simulate(scn, "local", dispatch="none").summary
    assert with_bat["grid_import_kwh"] < without["grid_import_kwh"]
    assert with_bat["grid_export_kwh"] < without["grid_export_kwh"]


def test_year_of_five_minute_steps_runs() -> None:
    scn = build_microgrid_scenario(days=365, step_s=300, seed=1)
    assert scn.n_steps == 105_120
    res = simulate(scn, "local")
    sites = res.sites
    supply = sites["solar_kw"] + sites["battery_discharge_kw"] + sites["grid_import_kw"]
    uses = sites["demand_kw"] + sites["battery_charge_kw"] + sites["grid_export_kw"] + sites["curtailed_kw"]
    np.testing.assert_allclose(supply, uses, rtol=1e-9, atol=1e-9)


def test_series_length_checked() -> None:
    with pytest.raises(InputError, match="288 values") as exc:
        build_microgrid_scenario(days=1, load_kw=np.ones(10))
    assert exc.value.field == "load_kw"
