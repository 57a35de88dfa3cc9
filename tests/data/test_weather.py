"""Outdoor temperature: annual mean, seasonal minimum, diurnal maximum by local solar time, bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from shulu.data import weather
from shulu.errors import InputError

YEAR_H = pd.date_range("2025-01-01T00:00Z", periods=8760, freq="h")
YEAR_5MIN = pd.date_range("2024-12-31T16:00Z", periods=105_120, freq="5min")


@pytest.mark.parametrize(("mean_c", "seasonal_c", "diurnal_c", "lon", "seed"),
                         [(9.5, 14.0, 6.0, 105.19, 0), (17.0, 12.0, 4.0, 120.9, 1), (6.5, 16.0, 7.0, 111.82, 2),
                          (15.3, 9.0, 3.5, 106.4, 3)])
def test_annual_mean_hourly(mean_c: float, seasonal_c: float, diurnal_c: float, lon: float, seed: int) -> None:
    t = weather.temperature_c(YEAR_H, annual_mean_c=mean_c, seasonal_amplitude_c=seasonal_c,
                              diurnal_amplitude_c=diurnal_c, lon_deg=lon, rng=np.random.default_rng(seed))
    assert abs(float(t.mean()) - mean_c) < 0.1
    months = YEAR_H.month.to_numpy()
    assert t[months == 1].mean() < mean_c < t[months == 7].mean()


def test_annual_mean_five_minute() -> None:
    t = weather.temperature_c(YEAR_5MIN, annual_mean_c=8.0, seasonal_amplitude_c=15.0, diurnal_amplitude_c=6.0,
                              lon_deg=114.9, rng=np.random.default_rng(4))
    assert len(t) == 105_120
    assert abs(float(t.mean()) - 8.0) < 0.1


def test_noise_free_cycles_by_hand() -> None:
    # no noise, no season: T = mean + A_d cos(2 pi (h_solar - 15) / 24), h_solar = UTC hour + lon / 15.
    # at lon 105 E, 15:00 solar = 08:00 UTC (maximum, mean + A_d); 03:00 solar = 20:00 UTC (minimum, mean - A_d);
    # 09:00 solar = 02:00 UTC (cos(-pi/2) = 0: the mean)
    idx = YEAR_H[:48]
    t = weather.temperature_c(idx, annual_mean_c=10.0, seasonal_amplitude_c=0.0, diurnal_amplitude_c=5.0,
                              lon_deg=105.0, rng=np.random.default_rng(0), noise_sd_c=0.0)
    assert t[8] == pytest.approx(15.0) and t[32] == pytest.approx(15.0)
    assert t[20] == pytest.approx(5.0)
    assert t[2] == pytest.approx(10.0)


def test_coldest_mid_january_warmest_mid_july() -> None:
    t = weather.temperature_c(YEAR_H, annual_mean_c=10.0, seasonal_amplitude_c=15.0, diurnal_amplitude_c=0.0,
                              lon_deg=110.0, rng=np.random.default_rng(0), noise_sd_c=0.0)
    daily = t.reshape(365, 24).mean(axis=1)
    assert abs(int(np.argmin(daily)) - 15) <= 1  # coldest_day_of_year = 15 (0-based)
    assert abs(int(np.argmax(daily)) - (15 + 182)) <= 2
    assert daily.min() == pytest.approx(-5.0, abs=0.01) and daily.max() == pytest.approx(25.0, abs=0.01)


def test_partial_year_keeps_its_season() -> None:
    january = YEAR_H[: 24 * 31]
    t = weather.temperature_c(january, annual_mean_c=10.0, seasonal_amplitude_c=15.0, diurnal_amplitude_c=5.0,
                              lon_deg=110.0, rng=np.random.default_rng(1))
    assert t.mean() < 0.0  # a January index is not pulled up to the annual mean


def test_noise_is_persistent_and_sized() -> None:
    t = weather.temperature_c(YEAR_H, annual_mean_c=0.0, seasonal_amplitude_c=0.0, diurnal_amplitude_c=0.0,
                              lon_deg=110.0, rng=np.random.default_rng(2), noise_sd_c=3.0)
    assert 2.0 < float(t.std()) < 4.0
    assert float(np.corrcoef(t[:-1], t[1:])[0, 1]) > 0.9


def test_deterministic_and_bad_input() -> None:
    kw = {"annual_mean_c": 9.0, "seasonal_amplitude_c": 12.0, "diurnal_amplitude_c": 5.0, "lon_deg": 105.0}
    a = weather.temperature_c(YEAR_H, rng=np.random.default_rng(3), **kw)
    b = weather.temperature_c(YEAR_H, rng=np.random.default_rng(3), **kw)
    np.testing.assert_array_equal(a, b)
    with pytest.raises(InputError) as err:
        weather.temperature_c(YEAR_H, rng=np.random.default_rng(3), **{**kw, "seasonal_amplitude_c": -1.0})
    assert err.value.field == "seasonal_amplitude_c"
    with pytest.raises(InputError, match="timezone-aware"):
        weather.temperature_c(pd.date_range("2025-01-01", periods=24, freq="h"), rng=np.random.default_rng(3), **kw)
