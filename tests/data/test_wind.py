"""Wind capacity factors: calibration, seasonal and diurnal shape, power curve by hand, bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shulu.data import wind
from shulu.errors import InputError

YEAR_H = pd.date_range("2025-01-01T00:00Z", periods=8760, freq="h")
YEAR_5MIN = pd.date_range("2025-01-01T00:00Z", periods=105_120, freq="5min")


@pytest.mark.parametrize(("target", "seed"), [(0.20, 0), (0.25, 1), (0.28, 2), (0.35, 3)])
def test_hourly_mean_within_1pct(target: float, seed: int) -> None:
    cf = wind.wind_cf(YEAR_H, target_cf=target, rng=np.random.default_rng(seed), lon_deg=111.8)
    assert abs(float(cf.mean()) / target - 1.0) < 0.01
    assert cf.min() >= 0.0 and cf.max() <= 1.0


def test_five_minute_year_mean_within_1pct() -> None:
    cf = wind.wind_cf(YEAR_5MIN, target_cf=0.22, rng=np.random.default_rng(4), lon_deg=105.2)
    assert len(cf) == 105_120
    assert abs(float(cf.mean()) / 0.22 - 1.0) < 0.01
    assert cf.min() >= 0.0 and cf.max() <= 1.0


def test_winter_windier_than_summer_when_asked() -> None:
    months = YEAR_H.month.to_numpy()
    winter, summer = np.isin(months, [12, 1, 2]), np.isin(months, [6, 7, 8])
    cf = wind.wind_cf(YEAR_H, target_cf=0.25, rng=np.random.default_rng(5), seasonal_amplitude_frac=0.25,
                      peak_day_of_year=15.0)
    assert cf[winter].mean() > 1.2 * cf[summer].mean()
    # and the other way round when the peak is put in July
    cf = wind.wind_cf(YEAR_H, target_cf=0.25, rng=np.random.default_rng(5), seasonal_amplitude_frac=0.25,
                      peak_day_of_year=196.0)
    assert cf[summer].mean() > 1.2 * cf[winter].mean()


def test_windier_at_night_local_solar_time() -> None:
    lon = 105.19
    cf = wind.wind_cf(YEAR_H, target_cf=0.25, rng=np.random.default_rng(6), diurnal_amplitude_frac=0.2,
                      seasonal_amplitude_frac=0.0, lon_deg=lon)
    solar_h = (YEAR_H.hour.to_numpy() + lon / 15.0) % 24  # independent local solar time
    night = (solar_h >= 0) & (solar_h < 5)
    afternoon = (solar_h >= 12) & (solar_h < 17)
    assert cf[night].mean() > 1.2 * cf[afternoon].mean()


def test_power_curve_by_hand() -> None:
    # cubic between cut-in 3 and rated 12 m/s: (7.5^3 - 27) / (1728 - 27) = 394.875 / 1701
    v = np.array([0.0, 2.9, 3.0, 7.5, 12.0, 20.0, 24.9, 25.0, 30.0])
    expected = [0.0, 0.0, 0.0, 394.875 / 1701.0, 1.0, 1.0, 1.0, 0.0, 0.0]
    np.testing.assert_allclose(wind.power_curve(v), expected, rtol=1e-12)


def test_five_minute_persistence_is_scaled_to_the_step() -> None:
    # a 5-minute series is smoother step to step than an hourly one (same hourly persistence)
    cf_5 = wind.wind_cf(YEAR_5MIN[: 12 * 24 * 60], target_cf=0.3, rng=np.random.default_rng(8))
    cf_h = wind.wind_cf(YEAR_H[: 24 * 60], target_cf=0.3, rng=np.random.default_rng(8))
    assert np.mean(np.abs(np.diff(cf_5))) < 0.6 * np.mean(np.abs(np.diff(cf_h)))


def test_deterministic_for_a_seed() -> None:
    a = wind.wind_cf(YEAR_H, target_cf=0.3, rng=np.random.default_rng(9))
    b = wind.wind_cf(YEAR_H, target_cf=0.3, rng=np.random.default_rng(9))
    c = wind.wind_cf(YEAR_H, target_cf=0.3, rng=np.random.default_rng(10))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


@pytest.mark.parametrize("bad", [0.0, 1.0, -0.2, 1.2, 0.8])  # 0.8 is above what the power curve allows
def test_bad_target_rejected(bad: float) -> None:
    with pytest.raises(InputError) as err:
        wind.wind_cf(YEAR_H[: 24 * 30], target_cf=bad, rng=np.random.default_rng(0))
    assert err.value.field == "target_cf"


def test_bad_amplitude_and_index_rejected() -> None:
    with pytest.raises(InputError) as err:
        wind.wind_cf(YEAR_H[:48], target_cf=0.2, rng=np.random.default_rng(0), seasonal_amplitude_frac=1.0)
    assert err.value.field == "seasonal_amplitude_frac"
    with pytest.raises(InputError) as err:
        wind.wind_cf(YEAR_H[:48], target_cf=0.2, rng=np.random.default_rng(0), diurnal_amplitude_frac=-0.1)
    assert err.value.field == "diurnal_amplitude_frac"
    with pytest.raises(InputError, match="timezone-aware"):
        wind.wind_cf(pd.date_range("2025-01-01", periods=48, freq="h"), target_cf=0.2, rng=np.random.default_rng(0))
    with pytest.raises(InputError, match="at least two"):
        wind.wind_cf(YEAR_H[:1], target_cf=0.2, rng=np.random.default_rng(0))


@settings(max_examples=25, deadline=None)
@given(target=st.floats(0.05, 0.5), seed=st.integers(0, 2**32 - 1), seasonal=st.floats(0.0, 0.5))
def test_any_target_seed_and_shape_is_calibrated(target: float, seed: int, seasonal: float) -> None:
    cf = wind.wind_cf(YEAR_H[: 24 * 90], target_cf=target, rng=np.random.default_rng(seed),
                      seasonal_amplitude_frac=seasonal)
    assert cf.min() >= 0.0 and cf.max() <= 1.0
    assert abs(float(cf.mean()) / target - 1.0) < 0.01
