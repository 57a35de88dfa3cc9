"""Wind capacity factors: a stochastic wind-speed model through a turbine power curve, calibrated.

Method
------
Wind speed ``v = scale x m(t) x W(z)`` where ``z`` is an AR(1) Gaussian process
(hour-to-hour persistence 0.95), ``W`` maps it to a Weibull(k = 2) draw, and
``m(t) = (1 + a_s cos(2 pi (doy - peak_doy) / 365)) (1 + a_d cos(2 pi (h - peak_h) / 24))``
adds the seasonal (northern China: windier in winter/spring) and diurnal (windier
at night, local solar time) shape. The hour-to-hour persistence is scaled to the
step (``0.95 ** (step / 1 h)``), so hourly and 5-minute series share statistics.
A generic power curve maps speed to output (cubic between cut-in and rated, flat
to cut-out, zero above). ``scale`` (in m/s per unit of the Weibull draw; the mean
speed is about ``0.886 x scale``) is found by bisection so that the mean capacity
factor equals the target (relative tolerance 1e-9). Because of the cut-out the
mean capacity factor peaks (about 0.6) near ``scale = 15 m/s``; targets above what
that allows are rejected.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import ndtr

from shulu import units
from shulu.data._calibrate import FloatArray, ar1, bisect_scale, check_frac, day_of_year, solar_hour
from shulu.data._index import utc_index
from shulu.errors import InputError

#: Generic turbine power curve [m/s] (EST, typical 2-4 MW onshore class).
CUT_IN_M_PER_S = 3.0
RATED_M_PER_S = 12.0
CUT_OUT_M_PER_S = 25.0
#: Weibull shape (Rayleigh) and hour-to-hour persistence of the latent speed (EST).
WEIBULL_SHAPE = 2.0
HOURLY_PERSISTENCE = 0.95
#: Calibration bracket for the speed scale [m/s]: below it nothing turns; above it cut-out lowers the mean.
MIN_SCALE_M_PER_S = 0.5
MAX_SCALE_M_PER_S = 15.0
#: Default shape (EST, northern China): windiest around the spring equinox (day 80), at 02:00 local solar time.
SEASONAL_AMPLITUDE_FRAC = 0.2
PEAK_DAY_OF_YEAR = 80.0
DIURNAL_AMPLITUDE_FRAC = 0.1
PEAK_SOLAR_HOUR = 2.0


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
            seasonal_amplitude_frac: float = SEASONAL_AMPLITUDE_FRAC, peak_day_of_year: float = PEAK_DAY_OF_YEAR,
            diurnal_amplitude_frac: float = DIURNAL_AMPLITUDE_FRAC, peak_solar_hour: float = PEAK_SOLAR_HOUR,
            lon_deg: float = 110.0) -> FloatArray:
    """Per-step wind capacity factor, calibrated to a mean of ``target_cf``.

    Parameters
    ----------
    index : pandas.DatetimeIndex
        Regular, timezone-aware (hourly or finer).
    target_cf : float
        Mean capacity factor over the index, in (0, 1) [-].
    rng : numpy.random.Generator
        Randomness.
    seasonal_amplitude_frac, diurnal_amplitude_frac : float
        Relative amplitude of the seasonal and diurnal speed modulation [-], in [0, 1).
    peak_day_of_year, peak_solar_hour : float
        When the modulation peaks [day of year, 0 = 1 January 00:00 UTC], [h local solar time].
    lon_deg : float
        Longitude for local solar time [degree].

    Returns
    -------
    numpy.ndarray
        Capacity factor [0..1].

    Raises
    ------
    InputError
        Naive or irregular index, ``target_cf`` outside (0, 1) or above what the power curve allows,
        amplitudes outside [0, 1).

    Examples
    --------
    >>> idx = pd.date_range("2025-01-01T00:00Z", periods=24 * 90, freq="h")
    >>> cf = wind_cf(idx, target_cf=0.25, rng=np.random.default_rng(2))
    >>> round(float(cf.mean()), 4)
    0.25
    """
    utc, step_s = utc_index(index)
    check_frac(target_cf, "target_cf")
    for name, amp in (("seasonal_amplitude_frac", seasonal_amplitude_frac),
                      ("diurnal_amplitude_frac", diurnal_amplitude_frac)):
        if not 0.0 <= amp < 1.0:
            raise InputError(f"expected an amplitude in [0, 1), got {amp!r}", field=name)
    z = ar1(len(utc), HOURLY_PERSISTENCE, step_s, rng)
    weibull = (-np.log1p(-np.clip(ndtr(z), 1e-12, 1 - 1e-12))) ** (1.0 / WEIBULL_SHAPE)
    doy = day_of_year(utc)
    hour = solar_hour(utc, lon_deg)
    m = (1.0 + seasonal_amplitude_frac * np.cos(2 * np.pi * (doy - peak_day_of_year) / units.DAYS_PER_YEAR)) * (
        1.0 + diurnal_amplitude_frac * np.cos(2 * np.pi * (hour - peak_solar_hour) / units.HOURS_PER_DAY))
    shape = m * weibull

    def mean_of(scale: float) -> float:
        return float(power_curve(scale * shape).mean())

    scale = bisect_scale(mean_of, target_cf, MIN_SCALE_M_PER_S, MAX_SCALE_M_PER_S, field="target_cf")
    return power_curve(scale * shape)
