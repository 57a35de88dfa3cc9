"""Battery dispatch rules on their own: by hand, by property, and site by site."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from shulu import units
from shulu.errors import InputError
from shulu.sim.battery import (
    DISPATCH_RULES,
    BatteryArrays,
    BatteryResult,
    CarbonAware,
    DispatchRule,
    get_dispatch_rule,
)

BATTERY_FIELDS = ("energy_kwh", "power_kw", "eta_charge", "eta_discharge", "soc_min_frac", "soc_max_frac",
                  "soc_initial_frac")
RESULT_FIELDS = ("charge_kw", "grid_charge_kw", "discharge_kw", "soc_kwh", "renewable_discharge_kw")


def params(energy: list[float], power: list[float], rte: list[float], soc_min: list[float], soc_max: list[float],
           soc0: list[float]) -> BatteryArrays:
    eta = np.sqrt(np.array(rte, dtype=float))
    return BatteryArrays(energy_kwh=np.array(energy, dtype=float), power_kw=np.array(power, dtype=float),
                         eta_charge=eta, eta_discharge=eta.copy(), soc_min_frac=np.array(soc_min, dtype=float),
                         soc_max_frac=np.array(soc_max, dtype=float), soc_initial_frac=np.array(soc0, dtype=float))


def dispatch(rule: str | DispatchRule, surplus: np.ndarray, deficit: np.ndarray, p: BatteryArrays,
             step_s: float = 3600.0, intensity: np.ndarray | None = None) -> BatteryResult:
    r = get_dispatch_rule(rule) if isinstance(rule, str) else rule
    inten = np.full(surplus.shape, 500.0) if intensity is None else intensity
    return r.dispatch(surplus, deficit, inten, np.full(surplus.shape, 0.5), p, step_s)


def col(*values: float) -> np.ndarray:
    return np.array(values, dtype=float).reshape(-1, 1)


# --- by hand ------------------------------------------------------------------------------------------------------


def test_self_consumption_by_hand_two_sites() -> None:
    # site 0: 400 kWh, 100 kW, RTE 0.81 -> eta 0.9 each way; SOC 50% = 200 kWh, window [40, 360] kWh.
    # site 1: no battery (0 kWh) -> idle, SOC 0.
    p = params([400.0, 0.0], [100.0, 50.0], [0.81, 0.81], [0.1, 0.1], [0.9, 0.9], [0.5, 0.5])
    surplus = np.array([[300, 300], [300, 300], [0, 0], [0, 0], [0, 0], [0, 0]], dtype=float)
    deficit = np.array([[0, 0], [0, 0], [500, 500], [500, 500], [500, 500], [10, 10]], dtype=float)
    b = dispatch("self-consumption", surplus, deficit, p)
    # t0: charge 100 kW (power limit) -> +90 kWh = 290
    # t1: headroom 70 kWh -> charge 70/0.9 kW = 77.78 kW -> 360 (soc_max)
    # t2, t3: deliver 100 kW, draw 100/0.9 = 111.11 kWh each
    # t4: energy above the floor 360 - 200/0.9 - 40 = 97.78 kWh -> delivers 88 kW -> 40 kWh; t5: empty
    np.testing.assert_allclose(b.charge_kw[:, 0], [100.0, 70.0 / 0.9, 0, 0, 0, 0])
    np.testing.assert_allclose(b.discharge_kw[:, 0], [0, 0, 100.0, 100.0, 88.0, 0], atol=1e-9)
    np.testing.assert_allclose(b.soc_kwh[:, 0], [290.0, 360.0, 360 - 100 / 0.9, 360 - 200 / 0.9, 40.0, 40.0])
    assert np.all(b.grid_charge_kw == 0.0)
    for name in RESULT_FIELDS:
        assert getattr(b, name).shape == (6, 2)
        assert np.all(getattr(b, name)[:, 1] == 0.0), name


def test_half_hour_steps_scale_energy() -> None:
    # 30-minute steps: 100 kW for 0.5 h stores 50 kWh x 0.9 = 45 kWh
    p = params([400.0], [100.0], [0.81], [0.0], [1.0], [0.5])
    b = dispatch("self-consumption", col(300.0, 0.0), col(0.0, 90.0), p, step_s=1800.0)
    np.testing.assert_allclose(b.soc_kwh[:, 0], [245.0, 245.0 - 90.0 / 0.9 * 0.5])


def test_five_minute_step_energy_is_power_times_step() -> None:
    p = params([100.0], [60.0], [1.0], [0.0], [1.0], [0.0])
    b = dispatch("self-consumption", col(60.0, 60.0), col(0.0, 0.0), p, step_s=300.0)
    step_h = 300.0 / units.SECONDS_PER_HOUR
    np.testing.assert_allclose(b.soc_kwh[:, 0], [60.0 * step_h, 2 * 60.0 * step_h])  # 5, 10 kWh


def test_floor_and_ceiling_hold() -> None:
    # starting at the floor nothing discharges; starting at the ceiling nothing charges
    p = params([100.0, 100.0], [50.0, 50.0], [0.9, 0.9], [0.2, 0.2], [0.8, 0.8], [0.2, 0.8])
    b = dispatch("self-consumption", np.array([[0.0, 40.0]]), np.array([[40.0, 0.0]]), p)
    assert b.discharge_kw[0, 0] == 0.0 and b.charge_kw[0, 1] == 0.0
    np.testing.assert_allclose(b.soc_kwh[0], [20.0, 80.0])


def test_none_rule_is_idle() -> None:
    p = params([400.0], [100.0], [0.81], [0.1], [0.9], [0.5])
    b = dispatch("none", col(300.0, 0.0), col(0.0, 500.0), p)
    for name in ("charge_kw", "grid_charge_kw", "discharge_kw", "renewable_discharge_kw"):
        assert np.all(getattr(b, name) == 0.0), name
    np.testing.assert_allclose(b.soc_kwh[:, 0], [200.0, 200.0])


def test_carbon_aware_charges_from_grid_in_clean_steps_by_hand() -> None:
    # 200 kWh, 100 kW, lossless, empty; 20% quantile of [100, 900 x 4] is 740 g/kWh -> only step 0 is clean
    p = params([200.0], [100.0], [1.0], [0.0], [1.0], [0.0])
    inten = col(100.0, 900.0, 900.0, 900.0, 900.0)
    b = dispatch("carbon-aware", col(0, 0, 0, 0, 0), col(100, 100, 100, 100, 100), p, intensity=inten)
    np.testing.assert_allclose(b.grid_charge_kw[:, 0], [100.0, 0, 0, 0, 0])
    np.testing.assert_allclose(b.discharge_kw[:, 0], [0, 100.0, 0, 0, 0])
    np.testing.assert_allclose(b.soc_kwh[:, 0], [100.0, 0, 0, 0, 0])
    assert np.all(b.renewable_discharge_kw == 0.0)  # grid-charged energy is not renewable


def test_carbon_aware_holds_charge_in_clean_steps() -> None:
    # a full battery is not discharged in the clean step 0 even with a deficit; it is in dirty step 1
    p = params([200.0], [100.0], [1.0], [0.0], [1.0], [1.0])
    inten = col(100.0, 900.0, 900.0, 900.0, 900.0)
    b = dispatch("carbon-aware", col(0, 0, 0, 0, 0), col(50, 50, 0, 0, 0), p, intensity=inten)
    np.testing.assert_allclose(b.discharge_kw[:, 0], [0, 50.0, 0, 0, 0])
    assert np.all(b.grid_charge_kw == 0.0)


def test_carbon_aware_charges_from_surplus_first() -> None:
    # in a clean step surplus fills the power limit first; the grid tops up only the rest
    p = params([500.0], [100.0], [1.0], [0.0], [1.0], [0.0])
    inten = col(100.0, 900.0, 900.0, 900.0, 900.0)
    b = dispatch("carbon-aware", col(30, 0, 0, 0, 0), col(0, 0, 0, 0, 0), p, intensity=inten)
    assert b.charge_kw[0, 0] == pytest.approx(30.0) and b.grid_charge_kw[0, 0] == pytest.approx(70.0)


def test_registry_and_unknown_rule() -> None:
    assert set(DISPATCH_RULES) == {"self-consumption", "none", "carbon-aware"}
    for name, rule in DISPATCH_RULES.items():
        assert rule.name == name and get_dispatch_rule(name) is rule
    with pytest.raises(InputError, match="carbon-aware") as exc:
        get_dispatch_rule("greedy")
    assert "none" in str(exc.value) and "self-consumption" in str(exc.value)


def test_carbon_aware_quantile_checked() -> None:
    with pytest.raises(InputError, match="low_quantile"):
        CarbonAware(low_quantile=1.5)


def test_battery_arrays_from_sites_split_efficiency() -> None:
    from shulu.model import PowerSupply, Site

    s = Site(id="a", name="A", role="west", lat_deg=0, lon_deg=0, it_capacity_kw=10,
             supply=PowerSupply(battery_energy_kwh=10.0, battery_power_kw=5.0, battery_rte_frac=0.81))
    b = BatteryArrays.from_sites([s, s])
    np.testing.assert_allclose(b.eta_charge, [0.9, 0.9])
    np.testing.assert_allclose(b.eta_discharge, [0.9, 0.9])
    np.testing.assert_allclose(b.energy_kwh, [10.0, 10.0])


def test_carbon_aware_flat_intensity_does_not_charge_from_grid() -> None:
    p = params([400.0], [100.0], [0.81], [0.1], [1.0], [0.5])
    n = 6
    b = dispatch("carbon-aware", np.zeros((n, 1)), np.full((n, 1), 500.0), p, intensity=np.full((n, 1), 500.0))
    assert np.all(b.grid_charge_kw == 0.0)
    ref = dispatch("self-consumption", np.zeros((n, 1)), np.full((n, 1), 500.0), p)
    np.testing.assert_allclose(b.discharge_kw, ref.discharge_kw)


# --- by property --------------------------------------------------------------------------------------------------


@st.composite
def battery_params(draw: st.DrawFn, n_sites: int) -> BatteryArrays:
    energy, power, rte, lo, hi, soc0 = [], [], [], [], [], []
    for _ in range(n_sites):
        a, b, c = sorted(draw(st.tuples(st.floats(0, 1), st.floats(0, 1), st.floats(0, 1))))
        energy.append(draw(st.sampled_from([0.0, 1.0, 250.0, 2000.0]) | st.floats(0.0, 5000.0)))
        power.append(draw(st.sampled_from([0.0, 100.0]) | st.floats(0.0, 1000.0)))
        rte.append(draw(st.floats(0.3, 1.0)))
        lo.append(a)
        soc0.append(b)
        hi.append(c)
    p = params(energy, power, rte, lo, hi, soc0)
    limits = [draw(st.just(np.inf) | st.floats(0.0, 1500.0)) for _ in range(n_sites)]
    return BatteryArrays(*(getattr(p, f) for f in BATTERY_FIELDS), grid_import_limit_kw=np.array(limits))


@settings(max_examples=80, deadline=None)
@given(data=st.data(), n=st.integers(1, 40), n_sites=st.integers(1, 3),
       rule=st.sampled_from(sorted(DISPATCH_RULES)), step_s=st.sampled_from([300.0, 900.0, 3600.0]))
def test_dispatch_properties(data: st.DataObject, n: int, n_sites: int, rule: str, step_s: float) -> None:
    p = data.draw(battery_params(n_sites))
    net = data.draw(hnp.arrays(np.float64, (n, n_sites), elements=st.floats(-1000.0, 1000.0) | st.just(0.0)))
    surplus = np.maximum(net, 0.0)
    deficit = np.maximum(-net, 0.0)
    inten = data.draw(hnp.arrays(np.float64, (n, n_sites), elements=st.sampled_from([100.0, 500.0, 900.0])
                                 | st.floats(0.0, 1200.0)))
    b = dispatch(rule, surplus, deficit, p, step_s=step_s, intensity=inten)
    dt_h = step_s / units.SECONDS_PER_HOUR
    tol = 1e-9 * max(1.0, float(p.energy_kwh.max()), float(p.power_kw.max()))
    for name in RESULT_FIELDS:
        arr = getattr(b, name)
        assert arr.shape == (n, n_sites) and arr.dtype == np.float64 and np.all(np.isfinite(arr)), name
        assert np.all(arr >= 0.0), name
    # power limits, and surplus / deficit bound what the battery takes and gives
    assert np.all(b.charge_kw + b.grid_charge_kw <= p.power_kw + tol)
    assert np.all(b.discharge_kw <= p.power_kw + tol)
    assert np.all(b.charge_kw <= surplus + tol)
    assert np.all(b.discharge_kw <= deficit + tol)
    assert np.all(b.renewable_discharge_kw <= b.discharge_kw + tol)
    assert not np.any((b.charge_kw + b.grid_charge_kw > 0.0) & (b.discharge_kw > 0.0))
    assert p.grid_import_limit_kw is not None
    assert np.all(b.grid_charge_kw <= np.maximum(p.grid_import_limit_kw - deficit, 0.0) + tol)
    if rule != "carbon-aware":
        assert np.all(b.grid_charge_kw == 0.0)
    if rule == "none":
        assert np.all(b.charge_kw == 0.0) and np.all(b.discharge_kw == 0.0)
    # state of charge within [soc_min, soc_max] x energy
    assert np.all(b.soc_kwh >= p.soc_min_frac * p.energy_kwh - tol)
    assert np.all(b.soc_kwh <= p.soc_max_frac * p.energy_kwh + tol)
    # stored energy changes by exactly what went in and out, efficiencies applied
    e = np.vstack([p.soc_initial_frac * p.energy_kwh, b.soc_kwh])
    expected = ((b.charge_kw + b.grid_charge_kw) * p.eta_charge - b.discharge_kw / p.eta_discharge) * dt_h
    np.testing.assert_allclose(np.diff(e, axis=0), expected, atol=tol * 10)
    # deterministic, and every site is independent of the others (vectorised = one site at a time)
    again = dispatch(rule, surplus.copy(), deficit.copy(), p, step_s=step_s, intensity=inten.copy())
    for name in RESULT_FIELDS:
        np.testing.assert_array_equal(getattr(again, name), getattr(b, name))
    for s in range(n_sites):
        ps = BatteryArrays(*(np.ascontiguousarray(getattr(p, f)[s:s + 1]) for f in (*BATTERY_FIELDS,
                                                                                  "grid_import_limit_kw")))
        one = dispatch(rule, np.ascontiguousarray(surplus[:, s:s + 1]), np.ascontiguousarray(deficit[:, s:s + 1]),
                       ps, step_s=step_s, intensity=np.ascontiguousarray(inten[:, s:s + 1]))
        for name in RESULT_FIELDS:
            np.testing.assert_array_equal(getattr(one, name)[:, 0], getattr(b, name)[:, s])
