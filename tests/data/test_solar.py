"""Solar capacity factors: calibration, day/night from independent astronomy, determinism, bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shulu.data import solar
from shulu.errors import InputError

YEAR_H = pd.date_range("2025-01-01T00:00Z", periods=8760, freq="h")
YEAR_5MIN = pd.date_range("2024-12-31T16:00Z", periods=105_120, freq="5min")  # 2025 in Beijing time


def sun_elevation_deg(index: pd.DatetimeIndex, lat_deg: float, lon_deg: float) -> np.ndarray:
    """Textbook solar elevation (Cooper declination, Spencer equation of time); good to ~1 degree."""
    doy = index.dayofyear.to_numpy()
    hours = index.hour.to_numpy() + index.minute.to_numpy() / 60.0
    decl = np.radians(23.45) * np.sin(2 * np.pi * (284 + doy) / 365)
    b = 2 * np.pi * (doy - 1) / 365
    eot_min = 229.18 * (0.000075 + 0.001868 * np.cos(b) - 0.032077 * np.sin(b) - 0.014615 * np.cos(2 * b)
                        - 0.040849 * np.sin(2 * b))
    hour_angle = np.radians(15.0 * (hours + lon_deg / 15.0 + eot_min / 60.0 - 12.0))
    lat = np.radians(lat_deg)
    sin_el = np.sin(lat) * np.sin(decl) + np.cos(lat) * np.cos(decl) * np.cos(hour_angle)
    return np.degrees(np.arcsin(sin_el))


@pytest.mark.parametrize(("lat", "lon", "target"), [(37.51, 105.19, 0.17), (40.8, 114.9, 0.15),
                                                    (31.05, 120.9, 0.125), (30.5, 104.1, 0.105)])
def test_hourly_mean_within_1pct_of_target(lat: float, lon: float, target: float) -> None:
    cf = solar.solar_cf(YEAR_H, lat_deg=lat, lon_deg=lon, target_cf=target, rng=np.random.default_rng(7))
    assert abs(float(cf.mean()) / target - 1.0) < 0.01
    assert cf.min() >= 0.0 and cf.max() <= 1.0


def test_five_minute_year_mean_within_1pct() -> None:
    cf = solar.solar_cf(YEAR_5MIN, lat_deg=35.71, lon_deg=107.64, target_cf=0.165, rng=np.random.default_rng(3))
    assert len(cf) == 105_120
    assert abs(float(cf.mean()) / 0.165 - 1.0) < 0.01
    assert cf.min() >= 0.0 and cf.max() <= 1.0


def test_zero_at_night_and_peak_at_solar_noon() -> None:
    lat, lon = 37.51, 105.19  # Zhongwei
    cf = solar.solar_cf(YEAR_H, lat_deg=lat, lon_deg=lon, target_cf=0.17, rng=np.random.default_rng(1))
    # local solar midnight at 105.19 E is 24 - 105.19 / 15 = 16.99 h UTC: the 17:00 UTC step is dark every day
    assert np.all(cf[YEAR_H.hour == 17] == 0.0)
    # 2025-01-01T00:00+08:00 (local clock midnight) = 2024-12-31T16:00Z; on 2025-06-01 the same clock time is dark too
    assert cf[YEAR_H.get_loc(pd.Timestamp("2025-06-01T16:00Z"))] == 0.0
    # wherever the sun is more than 1.5 degrees below the horizon (independent astronomy), output is 0
    el = sun_elevation_deg(YEAR_H, lat, lon)
    assert np.all(cf[el < -1.5] == 0.0)
    assert np.all(el[cf > 0] > -1.5)
    assert np.mean(cf[el > 10.0] > 0) > 0.99
    # mean profile by UTC hour peaks within an hour of solar noon (12 - lon / 15 = 4.99 h UTC)
    by_hour = pd.Series(cf).groupby(YEAR_H.hour).mean()
    assert abs(int(by_hour.index[int(np.argmax(by_hour.to_numpy()))]) - (12 - lon / 15)) <= 1.0


def test_local_time_index_gives_the_same_series() -> None:
    utc = YEAR_H[: 24 * 20]
    local = utc.tz_convert("Asia/Shanghai")
    a = solar.solar_cf(utc, lat_deg=26.42, lon_deg=106.4, target_cf=0.11, rng=np.random.default_rng(5))
    b = solar.solar_cf(local, lat_deg=26.42, lon_deg=106.4, target_cf=0.11, rng=np.random.default_rng(5))
    np.testing.assert_array_equal(a, b)


def test_deterministic_for_a_seed() -> None:
    idx = YEAR_H[: 24 * 60]
    a = solar.solar_cf(idx, lat_deg=40.38, lon_deg=111.82, target_cf=0.17, rng=np.random.default_rng(42))
    b = solar.solar_cf(idx, lat_deg=40.38, lon_deg=111.82, target_cf=0.17, rng=np.random.default_rng(42))
    c = solar.solar_cf(idx, lat_deg=40.38, lon_deg=111.82, target_cf=0.17, rng=np.random.default_rng(43))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_cloud_persistence_controls_autocorrelation() -> None:
    idx = YEAR_H[: 24 * 90]

    def lag1(persistence_h: float) -> float:
        k = solar.clear_sky_index(idx, np.random.default_rng(0), lon_deg=105.0, cloud_persistence_h=persistence_h,
                                  daily_persistence=0.0)
        return float(np.corrcoef(k[:-1], k[1:])[0, 1])

    assert lag1(12.0) > lag1(1.0) + 0.1


def test_clear_sky_poa_peaks_near_noon_in_june() -> None:
    # Zhongwei on 2025-06-21: solar noon ~04:58 UTC, day ~14.6 h long, so dark from ~12:20 to ~21:40 UTC
    idx = pd.date_range("2025-06-21T00:00Z", periods=24, freq="h")
    poa = solar.plane_of_array_w_per_m2(idx, lat_deg=37.51, lon_deg=105.19)
    assert int(np.argmax(poa)) == 5
    assert 800.0 < poa.max() < 1200.0
    assert poa[13:21].max() == 0.0


@pytest.mark.parametrize("bad", [0.0, 1.0, -0.1, 1.5, float("nan")])
def test_bad_target_rejected(bad: float) -> None:
    with pytest.raises(InputError) as err:
        solar.solar_cf(YEAR_H[:48], lat_deg=30.0, lon_deg=110.0, target_cf=bad, rng=np.random.default_rng(0))
    assert err.value.field == "target_cf"


def test_unreachable_target_rejected() -> None:
    with pytest.raises(InputError, match="cannot reach") as err:
        solar.solar_cf(YEAR_H[: 24 * 30], lat_deg=30.0, lon_deg=110.0, target_cf=0.8, rng=np.random.default_rng(0))
    assert err.value.field == "target_cf"


def test_bad_index_and_position_rejected() -> None:
    naive = pd.date_range("2025-01-01", periods=48, freq="h")
    with pytest.raises(InputError, match="timezone-aware"):
        solar.solar_cf(naive, lat_deg=30.0, lon_deg=110.0, target_cf=0.15, rng=np.random.default_rng(0))
    gappy = YEAR_H[:48].delete(10)
    with pytest.raises(InputError, match="gap"):
        solar.solar_cf(gappy, lat_deg=30.0, lon_deg=110.0, target_cf=0.15, rng=np.random.default_rng(0))
    with pytest.raises(InputError) as err:
        solar.solar_cf(YEAR_H[:48], lat_deg=95.0, lon_deg=110.0, target_cf=0.15, rng=np.random.default_rng(0))
    assert err.value.field == "lat_deg"


@settings(max_examples=12, deadline=None)
@given(target=st.floats(0.05, 0.25), seed=st.integers(0, 2**32 - 1))
def test_any_target_and_seed_is_calibrated(target: float, seed: int) -> None:
    idx = YEAR_H[24 * 100: 24 * 160]
    cf = solar.solar_cf(idx, lat_deg=36.0, lon_deg=110.0, target_cf=target, rng=np.random.default_rng(seed))
    assert cf.min() >= 0.0 and cf.max() <= 1.0
    assert abs(float(cf.mean()) / target - 1.0) < 0.01
