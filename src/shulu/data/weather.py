"""Outdoor temperature: seasonal and diurnal cycles plus AR(1) weather noise, with an exact annual mean.

The two cycles are cosines with periods of 365 days and 24 hours, so over any whole
number of (365-day) years they average to exactly zero; the weather noise has its
sample mean removed. Over a full year the mean therefore equals ``annual_mean_c``
(to float precision; a 366-day leap year is off by at most ``A_s / 366``), while a
shorter index keeps its season (a January index stays cold).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from shulu import units
from shulu.data._calibrate import FloatArray, ar1, day_of_year, solar_hour
from shulu.data._index import utc_index
from shulu.errors import InputError

#: Hour of the daily maximum (local solar time) and hour-to-hour persistence of anomalies (EST).
PEAK_SOLAR_HOUR = 15.0
HOURLY_PERSISTENCE = 0.97


def temperature_c(index: pd.DatetimeIndex, *, annual_mean_c: float, seasonal_amplitude_c: float,
                  diurnal_amplitude_c: float, lon_deg: float, rng: np.random.Generator,
                  coldest_day_of_year: float = 15.0, noise_sd_c: float = 2.5) -> FloatArray:
    """Per-step outdoor temperature [°C] whose mean over a full year is ``annual_mean_c``.

    ``T = mean - A_s cos(2 pi (doy - coldest) / 365) + A_d cos(2 pi (h - 15) / 24) + noise``,
    with ``h`` the local solar time (UTC + longitude / 15 degrees per hour) and the noise an
    AR(1) (hour-to-hour correlation 0.97, scaled to the step) with its sample mean removed.

    Parameters
    ----------
    index : pandas.DatetimeIndex
        Regular, timezone-aware (hourly or finer).
    annual_mean_c : float
        Mean [°C].
    seasonal_amplitude_c, diurnal_amplitude_c : float
        Half the seasonal and daily swings [°C] (>= 0).
    lon_deg : float
        Longitude for local solar time [degree].
    rng : numpy.random.Generator
        Randomness.
    coldest_day_of_year : float
        Day of the seasonal minimum [day].
    noise_sd_c : float
        Standard deviation of weather anomalies [°C] (>= 0).

    Returns
    -------
    numpy.ndarray
        Temperature [°C].

    Raises
    ------
    InputError
        Naive or irregular index, negative amplitudes or noise.

    Examples
    --------
    >>> idx = pd.date_range("2025-01-01T00:00Z", periods=8760, freq="h")
    >>> t = temperature_c(idx, annual_mean_c=9.5, seasonal_amplitude_c=15, diurnal_amplitude_c=6, lon_deg=105,
    ...                   rng=np.random.default_rng(0))
    >>> round(float(t.mean()), 6), bool(t[:24 * 31].mean() < t[24 * 181:24 * 212].mean())
    (9.5, True)
    """
    utc, step_s = utc_index(index)
    for name, value in (("seasonal_amplitude_c", seasonal_amplitude_c), ("diurnal_amplitude_c", diurnal_amplitude_c),
                        ("noise_sd_c", noise_sd_c)):
        if not value >= 0.0:
            raise InputError(f"expected a value >= 0 °C, got {value!r}", field=name)
    doy = day_of_year(utc)
    hour = solar_hour(utc, lon_deg)
    noise = ar1(len(utc), HOURLY_PERSISTENCE, step_s, rng)
    t = (annual_mean_c - seasonal_amplitude_c * np.cos(2 * np.pi * (doy - coldest_day_of_year) / units.DAYS_PER_YEAR)
         + diurnal_amplitude_c * np.cos(2 * np.pi * (hour - PEAK_SOLAR_HOUR) / units.HOURS_PER_DAY)
         + noise_sd_c * (noise - noise.mean()))
    return np.asarray(t, dtype=np.float64)
