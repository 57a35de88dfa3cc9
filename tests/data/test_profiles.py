"""Profile synthesis: solar, wind, temperature, grid intensity, tariffs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shulu.data import grid, solar, tariff, weather, wind
from shulu.errors import InputError

YEAR = pd.date_range("2025-01-01T00:00Z", periods=8760, freq="h")


@pytest.mark.parametrize(("lat", "lon", "target"), [(37.51, 105.19, 0.18), (31.05, 120.9, 0.125),
                                                    (26.42, 106.4, 0.11)])
def test_solar_cf_calibrated_hourly(lat: float, lon: float, target: float) -> None:
    cf = solar.solar_cf(YEAR, lat_deg=lat, lon_deg=lon, target_cf=target, rng=np.random.default_rng(0))
    assert float(cf.mean()) == pytest.approx(target, rel=0.01)
    assert cf.min() >= 0 and cf.max() <= 1


def test_solar_cf_calibrated_five_minute() -> None:
    idx = pd.date_range("2025-03-01T00:00Z", periods=288 * 30, freq="5min")
    cf = solar.solar_cf(idx, lat_deg=40.0, lon_deg=116.0, target_cf=0.15, rng=np.random.default_rng(1))
    assert float(cf.mean()) == pytest.approx(0.15, rel=0.01)


def test_solar_night_zero_noon_high() -> None:
    # Beijing (116.4 E): local solar midnight ~16:14 UTC, solar noon ~04:14 UTC
    cf = solar.solar_cf(YEAR, lat_deg=39.9, lon_deg=116.4, target_cf=0.15, rng=np.random.default_rng(2))
    hours = YEAR.hour.to_numpy()
    assert np.all(cf[hours == 16] == 0.0)
    by_hour = pd.Series(cf).groupby(hours).mean()
    assert int(by_hour.idxmax()) in (3, 4, 5)


def test_wind_cf_calibrated_and_seasonal() -> None:
    cf = wind.wind_cf(YEAR, target_cf=0.25, rng=np.random.default_rng(3), seasonal_amplitude_frac=0.25,
                      peak_day_of_year=40.0)
    assert float(cf.mean()) == pytest.approx(0.25, rel=0.01)
    months = YEAR.month.to_numpy()
    assert cf[np.isin(months, [1, 2, 3])].mean() > cf[np.isin(months, [7, 8, 9])].mean()


def test_power_curve_by_hand() -> None:
    # halfway in v^3 between cut-in (3) and rated (12): v^3 = (27 + 1728) / 2
    v = ((3**3 + 12**3) / 2) ** (1 / 3)
    assert float(wind.power_curve(np.array([v]))[0]) == pytest.approx(0.5)


@settings(max_examples=15, deadline=None)
@given(target=st.floats(0.08, 0.45), seed=st.integers(0, 1000))
def test_wind_any_target(target: float, seed: int) -> None:
    idx = YEAR[: 24 * 60]
    cf = wind.wind_cf(idx, target_cf=target, rng=np.random.default_rng(seed))
    assert cf.min() >= 0 and cf.max() <= 1
    assert float(cf.mean()) == pytest.approx(target, rel=0.01)


def test_temperature_mean_and_seasons() -> None:
    t = weather.temperature_c(YEAR, annual_mean_c=8.5, seasonal_amplitude_c=16, diurnal_amplitude_c=6, lon_deg=115,
                              rng=np.random.default_rng(4))
    assert float(t.mean()) == pytest.approx(8.5, abs=0.1)
    months = YEAR.month.to_numpy()
    assert t[months == 1].mean() < 0 < t[months == 7].mean()


def test_carbon_intensity_by_hand() -> None:
    # two steps: step 0 all coal (2 units), step 1 half coal half wind (1 + 1).
    # weighted mean = ef x 3 / 4 = 600  ->  ef = 800; intensities 800 and 400.
    gen = pd.DataFrame({"coal": [2.0, 1.0], "wind": [0.0, 1.0]})
    i, ef = grid.carbon_intensity_g_per_kwh(gen, annual_factor_g_per_kwh=600.0)
    assert ef == pytest.approx(800.0)
    np.testing.assert_allclose(i, [800.0, 400.0])
    np.testing.assert_allclose(grid.cfe_frac(gen), [0.0, 0.5])


def test_generation_mix_and_calibration() -> None:
    s_cf = solar.solar_cf(YEAR, lat_deg=30.5, lon_deg=104.1, target_cf=0.11, rng=np.random.default_rng(5))
    w_cf = wind.wind_cf(YEAR, target_cf=0.21, rng=np.random.default_rng(6))
    shares = {"coal": 0.14, "gas": 0.02, "hydro": 0.80, "wind": 0.03, "solar": 0.01}
    gen = grid.generation_mix(YEAR, lon_deg=104.1, shares=shares, solar_cf=s_cf, wind_cf=w_cf,
                              rng=np.random.default_rng(7))
    total = gen.sum(axis=1).to_numpy()
    i, _ = grid.carbon_intensity_g_per_kwh(gen, annual_factor_g_per_kwh=156.4)
    assert float(np.sum(i * total) / np.sum(total)) == pytest.approx(156.4, rel=1e-9)
    assert (gen.to_numpy() >= 0).all()
    # hydro is wetter in summer: summer intensity below winter intensity
    months = YEAR.month.to_numpy()
    assert i[np.isin(months, [7, 8])].mean() < i[np.isin(months, [1, 2])].mean()


def test_grid_bad_input() -> None:
    with pytest.raises(InputError, match="summing to 1"):
        grid.generation_mix(YEAR, lon_deg=0, shares={"coal": 0.5}, solar_cf=np.ones(8760), wind_cf=np.ones(8760),
                            rng=np.random.default_rng(0))
    with pytest.raises(InputError, match="without fossil"):
        grid.carbon_intensity_g_per_kwh(pd.DataFrame({"wind": [1.0]}), annual_factor_g_per_kwh=100.0)


def test_tariff_periods_in_local_time() -> None:
    idx = pd.DatetimeIndex(["2025-01-01T03:00+08:00", "2025-01-01T09:00+08:00", "2025-01-01T14:00+08:00",
                            "2025-01-01T19:00+08:00", "2025-01-01T23:30+08:00"]).tz_convert("UTC")
    p = tariff.tou_price_cny_per_kwh(idx, flat_cny_per_kwh=0.6)
    np.testing.assert_allclose(p, [0.24, 0.9, 0.6, 0.9, 0.24])
    assert p.max() / p.min() >= 3.0  # NDRC 2021: peak:valley >= 3:1


def test_naive_index_rejected() -> None:
    naive = pd.date_range("2025-01-01", periods=48, freq="h")
    with pytest.raises(InputError, match="timezone-aware"):
        wind.wind_cf(naive, target_cf=0.2, rng=np.random.default_rng(0))
    with pytest.raises(InputError, match="target_cf"):
        solar.solar_cf(YEAR[:48], lat_deg=0, lon_deg=0, target_cf=1.5, rng=np.random.default_rng(0))


def test_deterministic() -> None:
    a = wind.wind_cf(YEAR, target_cf=0.3, rng=np.random.default_rng(9))
    b = wind.wind_cf(YEAR, target_cf=0.3, rng=np.random.default_rng(9))
    assert np.array_equal(a, b)
