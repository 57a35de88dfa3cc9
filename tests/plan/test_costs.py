"""Annualisation and the sourced planning constants."""

from __future__ import annotations

from pathlib import Path

import pytest

from shulu.errors import InputError
from shulu.plan.costs import (
    annualised_cost,
    capital_recovery_factor,
    costs_table,
    generation_embodied_kg_per_kw_year,
    load_costs,
)


def test_crf_by_hand() -> None:
    # 1 year at 10%: repay 1.1 of the capital at the end of the year
    assert capital_recovery_factor(0.1, 1) == pytest.approx(1.1)
    # 2 years at 10%: 0.1 * 1.21 / 0.21 = 0.5761905
    assert capital_recovery_factor(0.1, 2) == pytest.approx(0.1 * 1.21 / 0.21)
    assert capital_recovery_factor(0.0, 5) == pytest.approx(0.2)
    # the annuity repays the capital: present value of n payments of CRF equals 1
    r, n = 0.08, 25
    pv = sum(capital_recovery_factor(r, n) / (1 + r) ** k for k in range(1, n + 1))
    assert pv == pytest.approx(1.0)


def test_annualised_and_embodied() -> None:
    assert annualised_cost(1000.0, 0.0, 10.0, 0.05) == pytest.approx(150.0)
    # 55 kg/MWh at CF 0.2 over 8,760 h: 0.2 * 8.76 MWh * 55 = 96.36 kg per kW and year
    assert generation_embodied_kg_per_kw_year(55.0, 0.2) == pytest.approx(96.36)


def test_bad_finance_inputs() -> None:
    with pytest.raises(InputError, match="lifetime"):
        capital_recovery_factor(0.08, 0)
    with pytest.raises(InputError, match="discount rate"):
        capital_recovery_factor(-0.1, 10)


def test_builtin_constants_and_sources() -> None:
    c = load_costs()
    assert c.discount_rate_frac == pytest.approx(0.08)
    assert c.pue_target("east") == 1.25 and c.pue_target("west") == 1.2
    # battery fit reproduces the two tender averages it was fitted to [CNY/kWh of a 2-hour / 4-hour system]
    for hours, per_kwh in ((2.0, 464.6), (4.0, 424.9)):
        fit = (c.battery_energy_capex_cny_per_kwh * hours + c.battery_power_capex_cny_per_kw) / hours
        assert fit == pytest.approx(per_kwh, rel=1e-3)
    # the generic UHV cost line reproduces both sourced lines within 0.5%
    assert c.uhv_capex_cny_per_kw(1634.0) == pytest.approx(28.1e9 / 8e6, rel=5e-3)
    assert c.uhv_capex_cny_per_kw(2370.0) == pytest.approx(35.3e9 / 8e6, rel=5e-3)
    table = costs_table()
    assert table["source"].str.len().min() > 2
    assert set(table["name"]) >= {"solar_capex_cny_per_kw", "battery_embodied_kgco2e_per_kwh", "uhv_green_frac"}


def test_override_file(tmp_path: Path) -> None:
    f = tmp_path / "costs.yaml"
    f.write_text("finance:\n  carbon_price_cny_per_t: {value: 250.0, source: mine}\nsolar:\n  capex_cny_per_kw: 3000\n")
    c = load_costs(f)
    assert c.carbon_price_cny_per_t == 250.0 and c.solar_capex_cny_per_kw == 3000.0
    f.write_text("solar:\n  capex_per_watt: 3\n")
    with pytest.raises(InputError, match=r"solar.capex_per_watt"):
        load_costs(f)
    f.write_text("battery:\n  rte_frac: 1.5\n")
    with pytest.raises(InputError, match="fraction"):
        load_costs(f)
