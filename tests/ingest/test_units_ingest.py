"""Unit conversion at the provider edges: factors by hand, round trips by property."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shulu import units


def test_lbs_per_mwh_by_hand() -> None:
    # 1 lb = 453.59237 g (exact); 1 MWh = 1000 kWh -> 1 lb/MWh = 0.45359237 g/kWh
    assert units.intensity_factor("lbs_co2_per_mwh") == pytest.approx(0.45359237, rel=1e-15)
    assert 1000.0 * units.intensity_factor("lbs/MWh") == pytest.approx(453.59237)


@pytest.mark.parametrize(("unit", "factor"), [("gCO₂eq/kWh", 1.0), ("g/kWh", 1.0), ("kg/kWh", 1000.0),
                                              ("t/MWh", 1000.0), ("kg/MWh", 1.0), ("KG CO2 / KWH", 1000.0)])
def test_factors_by_hand(unit: str, factor: float) -> None:
    assert units.intensity_factor(unit) == factor


def test_unknown_unit_is_a_key_error() -> None:
    with pytest.raises(KeyError):
        units.intensity_factor("gCO2/MJ")


@given(st.floats(min_value=0.0, max_value=1e5, allow_nan=False), st.sampled_from(
    sorted(units.INTENSITY_UNITS_TO_G_PER_KWH)))
def test_round_trip(value: float, unit: str) -> None:
    f = units.intensity_factor(unit)
    assert math.isclose(value * f / f, value, rel_tol=1e-12, abs_tol=1e-12)
    g = value * units.LBS_PER_MWH_TO_G_PER_KWH
    assert math.isclose(g * units.G_PER_KWH_TO_LBS_PER_MWH, value, rel_tol=1e-12, abs_tol=1e-12)
