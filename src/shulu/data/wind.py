"""Wind capacity factors: a stochastic wind-speed model through a turbine power curve, calibrated.

Method
------
Wind speed ``v = scale x m(t) x W(z)`` where ``z`` is an AR(1) Gaussian process
(hour-to-hour persistence 0.95), ``W`` maps it to a Weibull(k = 2) draw, and
``m(t) = (1 + a_s cos(2 pi (doy - peak_doy) / 365)) (1 + a_d cos(2 pi (h - peak_h) / 24))``
adds the seasonal (northern China: windier in winter/spring) and diurnal (windier
at night) shape. A generic power curve maps speed to output (cubic between cut-in
and rated, flat to cut-out). ``scale`` is found by bisection so that the mean
capacity factor equals the target.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import ndtr

from shulu import units
from shulu.data._calibrate import FloatArray, ar1, bisect_scale, check_frac, check_index, day_of_year, solar_hour

#: Generic turbine power curve [m/s] (EST, typical 2-4 MW onshore class).
CUT_IN_M_PER_S = 3.0
RATED_M_PER_S = 12.0
CUT_OUT_M_PER_S = 25.0
#: Weibull shape (Rayleigh) and hour-to-hour persistence of the latent speed (EST).
WEIBULL_SHAPE = 2.0
HOURLY_PERSISTENCE = 0.95


def power_curve(speed_m_per_s: FloatArray) -> FloatArray:
    """Turbine output per unit of rated power for a wind speed [m/s].

    Examples
    --------
    >>> [float(x) for x in power_curve(np.array([2.0, 12.0, 30.0]))]
    [0.0, 1.0, 0.0]
    """
    v = np.asarray(speed_m_per_s, dtype=np.float64)
    ramp = (v**3 - CUT_IN_M_PER_S**3) / (RATED_M_PER_S**3 - CUT_IN_M_PER_S**3)
    out = np.where(v < CUT_IN_M_PER_S, 0.0, np.where(v < RATED_M_PER_S, ramp, 1.0))
    return np.where(v >= CUT_OUT_M_PER_S, 0.0, out)


def wind_cf(index: pd.DatetimeIndex, *, target_cf: float, rng: np.random.Generator,
            seasonal_amplitude_frac: float = 0.2, peak_day_of_year: float = 80.0,
            diurnal_amplitude_frac: float = 0.1, peak_solar_hour: float = 2.0, lon_deg: float = 110.0) -> FloatArray:
    """Per-step wind capacity factor, calibrated to a mean of ``target_cf``.

    Parameters
    ----------
    index : pandas.DatetimeIndex
        Regular, tz-aware.
    target_cf : float
        Mean capacity factor [0..1].
    rng : numpy.random.Generator
        Randomness.
    seasonal_amplitude_frac, diurnal_amplitude_frac : float
        Relative amplitude of the seasonal and diurnal speed modulation [-].
    peak_day_of_year, peak_solar_hour : float
        When the modulation peaks [day], [h local solar time].
    lon_deg : float
        Longitude for local solar time [degree].

    Returns
    -------
    numpy.ndarray
        Capacity factor [0..1].

    Examples
    --------
    >>> idx = pd.date_range("2025-01-01T00:00Z", periods=24 * 90, freq="h")
    >>> cf = wind_cf(idx, target_cf=0.25, rng=np.random.default_rng(2))
    >>> round(float(cf.mean()), 4)
    0.25
    """
    step_s = check_index(index)
    check_frac(target_cf, "target_cf")
    z = ar1(len(index), HOURLY_PERSISTENCE, step_s, rng)
    weibull = (-np.log1p(-np.clip(ndtr(z), 1e-12, 1 - 1e-12))) ** (1.0 / WEIBULL_SHAPE)
    doy = day_of_year(index)
    hour = solar_hour(index, lon_deg)
    m = (1.0 + seasonal_amplitude_frac * np.cos(2 * np.pi * (doy - peak_day_of_year) / units.DAYS_PER_YEAR)) * (
        1.0 + diurnal_amplitude_frac * np.cos(2 * np.pi * (hour - peak_solar_hour) / units.HOURS_PER_DAY))
    shape = m * weibull

    def mean_of(scale: float) -> float:
        return float(power_curve(scale * shape).mean())

    scale = bisect_scale(mean_of, target_cf, 0.5, 15.0, field="target_cf")
    return power_curve(scale * shape)
