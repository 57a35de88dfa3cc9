"""Outdoor temperature: seasonal and diurnal cycles plus AR(1) weather noise, with an exact annual mean."""

from __future__ import annotations

import numpy as np
import pandas as pd

from shulu import units
from shulu.data._calibrate import FloatArray, ar1, check_index, day_of_year, solar_hour

#: Hour of the daily maximum (local solar time) and hour-to-hour persistence of anomalies (EST).
PEAK_SOLAR_HOUR = 15.0
HOURLY_PERSISTENCE = 0.97


def temperature_c(index: pd.DatetimeIndex, *, annual_mean_c: float, seasonal_amplitude_c: float,
                  diurnal_amplitude_c: float, lon_deg: float, rng: np.random.Generator,
                  coldest_day_of_year: float = 15.0, noise_sd_c: float = 2.5) -> FloatArray:
    """Per-step outdoor temperature [°C] whose mean over the index is ``annual_mean_c``.

    ``T = mean - A_s cos(2 pi (doy - coldest) / 365) - A_d cos(2 pi (h - 15) / 24) + noise``.

    Parameters
    ----------
    index : pandas.DatetimeIndex
        Regular, tz-aware.
    annual_mean_c : float
        Mean [°C].
    seasonal_amplitude_c, diurnal_amplitude_c : float
        Half the seasonal and daily swings [°C].
    lon_deg : float
        Longitude for local solar time [degree].
    rng : numpy.random.Generator
        Randomness.
    coldest_day_of_year : float
        Day of the seasonal minimum [day].
    noise_sd_c : float
        Standard deviation of weather anomalies [°C].

    Examples
    --------
    >>> idx = pd.date_range("2025-01-01T00:00Z", periods=8760, freq="h")
    >>> t = temperature_c(idx, annual_mean_c=9.5, seasonal_amplitude_c=15, diurnal_amplitude_c=6, lon_deg=105,
    ...                   rng=np.random.default_rng(0))
    >>> round(float(t.mean()), 6), bool(t[:24 * 31].mean() < t[24 * 181:24 * 212].mean())
    (9.5, True)
    """
    step_s = check_index(index)
    doy = day_of_year(index)
    hour = solar_hour(index, lon_deg)
    t = (annual_mean_c - seasonal_amplitude_c * np.cos(2 * np.pi * (doy - coldest_day_of_year) / units.DAYS_PER_YEAR)
         - diurnal_amplitude_c * np.cos(2 * np.pi * (hour - PEAK_SOLAR_HOUR) / units.HOURS_PER_DAY)
         + noise_sd_c * ar1(len(index), HOURLY_PERSISTENCE, step_s, rng))
    return np.asarray(t - t.mean() + annual_mean_c, dtype=np.float64)
