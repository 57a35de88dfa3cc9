"""Solar capacity factors: pvlib clear-sky at the site x a stochastic cloudiness process, calibrated.

Method
------
1. Clear-sky irradiance (Ineichen with pvlib's Linke turbidity climatology) at the
   site, transposed to a fixed south-facing plane tilted at the latitude.
2. A clear-sky index in [0, 1] from two AR(1) processes — day-to-day weather
   (persistence 0.6 per day) and intra-day cloud (0.8 per hour) — through a logistic map.
3. Capacity factor = min(1, scale x plane-of-array irradiance x clear-sky index / 1000 W/m2),
   with ``scale`` found by bisection so that the mean over the index equals the target.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pvlib

from shulu import units
from shulu.data._calibrate import FloatArray, ar1, bisect_scale, check_frac, check_index

#: Standard test condition irradiance [W/m2].
STC_W_PER_M2 = 1000.0
#: Day-to-day persistence of weather (EST) and hour-to-hour persistence of cloud (EST).
DAILY_PERSISTENCE = 0.6
HOURLY_PERSISTENCE = 0.8
#: Mean and spread of the latent cloudiness (EST; gives a mean clear-sky index ~0.7).
CLOUD_BIAS = 1.2
CLOUD_DAILY_SD = 1.2
CLOUD_HOURLY_SD = 0.7


def plane_of_array_w_per_m2(index: pd.DatetimeIndex, *, lat_deg: float, lon_deg: float,
                            altitude_m: float = 0.0) -> FloatArray:
    """Clear-sky irradiance on a south-facing plane tilted at the latitude [W/m2].

    Examples
    --------
    >>> idx = pd.date_range("2025-06-21T00:00Z", periods=24, freq="h")
    >>> poa = plane_of_array_w_per_m2(idx, lat_deg=37.5, lon_deg=105.2)
    >>> bool(poa[5] > 500 and poa[17] == 0)   # 05:00 UTC is about noon at 105° E; 17:00 UTC is night
    True
    """
    loc = pvlib.location.Location(lat_deg, lon_deg, tz="UTC", altitude=altitude_m)
    cs = loc.get_clearsky(index, model="ineichen")
    sp = loc.get_solarposition(index)
    tilt = abs(lat_deg)
    azimuth = 180.0 if lat_deg >= 0 else 0.0
    poa = pvlib.irradiance.get_total_irradiance(tilt, azimuth, sp["apparent_zenith"], sp["azimuth"], cs["dni"],
                                                cs["ghi"], cs["dhi"])
    out = np.nan_to_num(poa["poa_global"].to_numpy(dtype=np.float64), nan=0.0)
    out[sp["apparent_zenith"].to_numpy() >= 90.0] = 0.0
    return np.maximum(out, 0.0)


def clear_sky_index(index: pd.DatetimeIndex, rng: np.random.Generator) -> FloatArray:
    """Stochastic clear-sky index in (0, 1): daily weather plus intra-day cloud."""
    step_s = check_index(index)
    n = len(index)
    day = (index.normalize() - index[0].normalize()).days.to_numpy()
    daily = ar1(int(day.max()) + 1, DAILY_PERSISTENCE, units.SECONDS_PER_HOUR, rng)[day]
    hourly = ar1(n, HOURLY_PERSISTENCE, step_s, rng)
    z = CLOUD_BIAS + CLOUD_DAILY_SD * daily + CLOUD_HOURLY_SD * hourly
    return np.asarray(1.0 / (1.0 + np.exp(-z)), dtype=np.float64)


def solar_cf(index: pd.DatetimeIndex, *, lat_deg: float, lon_deg: float, target_cf: float,
             rng: np.random.Generator) -> FloatArray:
    """Per-step solar capacity factor, calibrated to a mean of ``target_cf``.

    Parameters
    ----------
    index : pandas.DatetimeIndex
        Regular, tz-aware (hourly or finer).
    lat_deg, lon_deg : float
        Site position [degree].
    target_cf : float
        Mean capacity factor over the index [0..1].
    rng : numpy.random.Generator
        Randomness (deterministic for a seed).

    Returns
    -------
    numpy.ndarray
        Capacity factor [0..1]; zero at night.

    Examples
    --------
    >>> idx = pd.date_range("2025-01-01T00:00Z", periods=24 * 60, freq="h")
    >>> cf = solar_cf(idx, lat_deg=37.5, lon_deg=105.2, target_cf=0.18, rng=np.random.default_rng(1))
    >>> round(float(cf.mean()), 4), float(cf.max()) <= 1.0
    (0.18, True)
    """
    check_index(index)
    check_frac(target_cf, "target_cf")
    raw = plane_of_array_w_per_m2(index, lat_deg=lat_deg, lon_deg=lon_deg) / STC_W_PER_M2 * clear_sky_index(index,
                                                                                                             rng)

    def mean_of(scale: float) -> float:
        return float(np.minimum(1.0, scale * raw).mean())

    scale = bisect_scale(mean_of, target_cf, 0.0, 100.0, field="target_cf")
    return np.minimum(1.0, scale * raw)
