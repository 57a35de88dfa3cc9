"""Solar capacity factors: pvlib clear-sky at the site x a stochastic cloudiness process, calibrated.

Method
------
1. Clear-sky irradiance (Ineichen, with the Linke turbidity climatology that ships
   inside pvlib, so no network access) at the site, transposed to a fixed
   south-facing plane tilted at the latitude (isotropic sky). Zero when the sun is
   below the horizon.
2. A clear-sky index in (0, 1): a latent Gaussian ``z = b + s_d D + s_h H`` through
   a logistic map, where ``D`` is a day-to-day AR(1) (one value per *local solar*
   day, so weather changes at local midnight, never mid-morning) and ``H`` an
   intra-day AR(1) with e-folding time ``cloud_persistence_h``, scaled to the step.
3. Capacity factor = min(1, scale x plane-of-array irradiance x clear-sky index / 1000 W/m2);
   ``scale`` (it absorbs system losses and DC/AC sizing) is found by bisection so
   that the mean over the index equals the target (relative tolerance 1e-9).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pvlib

from shulu import timeindex, units
from shulu.data._calibrate import DEG_PER_HOUR, FloatArray, ar1, bisect_scale, check_frac
from shulu.data._index import utc_index
from shulu.errors import InputError

#: Standard test condition irradiance [W/m2] (IEC 61215).
STC_W_PER_M2 = 1000.0
#: Day-to-day persistence of the weather regime [-] (EST).
DAILY_PERSISTENCE = 0.6
#: E-folding time of intra-day cloud anomalies [h] (EST; ~0.8 hour-to-hour correlation).
CLOUD_PERSISTENCE_H = 4.5
#: Mean and spread of the latent cloudiness (EST; gives a mean clear-sky index ~0.7).
CLOUD_BIAS = 1.2
CLOUD_DAILY_SD = 1.2
CLOUD_HOURLY_SD = 0.7
#: Upper bound of the calibration scale [-]: far above any real system (a PV plant at STC gives 1).
MAX_SCALE = 100.0


def _check_position(lat_deg: float, lon_deg: float) -> None:
    if not -90.0 <= lat_deg <= 90.0:
        raise InputError(f"expected a latitude in [-90, 90], got {lat_deg!r}", field="lat_deg")
    if not -180.0 <= lon_deg <= 180.0:
        raise InputError(f"expected a longitude in [-180, 180], got {lon_deg!r}", field="lon_deg")


def plane_of_array_w_per_m2(index: pd.DatetimeIndex, *, lat_deg: float, lon_deg: float,
                            altitude_m: float = 0.0) -> FloatArray:
    """Clear-sky irradiance on a south-facing plane tilted at the latitude [W/m2].

    Parameters
    ----------
    index : pandas.DatetimeIndex
        Timezone-aware times (instants at which irradiance is evaluated).
    lat_deg, lon_deg : float
        Site position [degree].
    altitude_m : float
        Site altitude [m] (used by the Ineichen model's air mass).

    Returns
    -------
    numpy.ndarray
        Plane-of-array irradiance [W/m2], zero when the sun is below the horizon.

    Examples
    --------
    >>> idx = pd.date_range("2025-06-21T00:00Z", periods=24, freq="h")
    >>> poa = plane_of_array_w_per_m2(idx, lat_deg=37.5, lon_deg=105.2)
    >>> bool(poa[5] > 500 and poa[17] == 0)   # 05:00 UTC is about noon at 105° E; 17:00 UTC is night
    True
    """
    _check_position(lat_deg, lon_deg)
    utc, _ = utc_index(index, regular=False)
    loc = pvlib.location.Location(lat_deg, lon_deg, tz=timeindex.UTC, altitude=altitude_m)
    cs = loc.get_clearsky(utc, model="ineichen")
    sp = loc.get_solarposition(utc)
    tilt = abs(lat_deg)
    azimuth = 180.0 if lat_deg >= 0 else 0.0
    poa = pvlib.irradiance.get_total_irradiance(tilt, azimuth, sp["apparent_zenith"], sp["azimuth"], cs["dni"],
                                                cs["ghi"], cs["dhi"])
    out = np.nan_to_num(poa["poa_global"].to_numpy(dtype=np.float64), nan=0.0)
    out[sp["apparent_zenith"].to_numpy() >= 90.0] = 0.0
    return np.maximum(out, 0.0)


def clear_sky_index(index: pd.DatetimeIndex, rng: np.random.Generator, *, lon_deg: float = 0.0,
                    cloud_persistence_h: float = CLOUD_PERSISTENCE_H,
                    daily_persistence: float = DAILY_PERSISTENCE) -> FloatArray:
    """Stochastic clear-sky index in (0, 1): day-to-day weather plus intra-day cloud.

    Parameters
    ----------
    index : pandas.DatetimeIndex
        Regular, timezone-aware.
    rng : numpy.random.Generator
        Randomness (the daily process is drawn first, then the intra-day one).
    lon_deg : float
        Longitude [degree]; the daily weather changes at local solar midnight.
    cloud_persistence_h : float
        E-folding time of intra-day cloud anomalies [h].
    daily_persistence : float
        Day-to-day correlation of the weather regime [-], in [0, 1).

    Returns
    -------
    numpy.ndarray
        Clear-sky index [0..1].

    Examples
    --------
    >>> idx = pd.date_range("2025-01-01T00:00Z", periods=24 * 30, freq="h")
    >>> k = clear_sky_index(idx, np.random.default_rng(0), lon_deg=105.0)
    >>> bool(0.0 < k.min() and k.max() < 1.0), round(float(k.mean()), 1)
    (True, 0.7)
    """
    utc, step_s = utc_index(index)
    if not cloud_persistence_h > 0:
        raise InputError(f"expected a persistence time > 0 h, got {cloud_persistence_h!r}",
                         field="cloud_persistence_h")
    if not 0.0 <= daily_persistence < 1.0:
        raise InputError(f"expected a correlation in [0, 1), got {daily_persistence!r}", field="daily_persistence")
    shifted = utc + pd.to_timedelta(lon_deg / DEG_PER_HOUR * units.SECONDS_PER_HOUR, unit="s")
    day = np.asarray((shifted.normalize() - shifted[0].normalize()).days, dtype=np.int64)
    # ar1() takes the correlation over one hour and scales it to the step; one "step" of the daily process is a day.
    daily = ar1(int(day.max()) + 1, daily_persistence, units.SECONDS_PER_HOUR, rng)[day]
    intraday = ar1(len(utc), float(np.exp(-1.0 / cloud_persistence_h)), step_s, rng)
    z = CLOUD_BIAS + CLOUD_DAILY_SD * daily + CLOUD_HOURLY_SD * intraday
    return np.asarray(1.0 / (1.0 + np.exp(-z)), dtype=np.float64)


def solar_cf(index: pd.DatetimeIndex, *, lat_deg: float, lon_deg: float, target_cf: float,
             rng: np.random.Generator, cloud_persistence_h: float = CLOUD_PERSISTENCE_H,
             daily_persistence: float = DAILY_PERSISTENCE, altitude_m: float = 0.0) -> FloatArray:
    """Per-step solar capacity factor, calibrated to a mean of ``target_cf``.

    Each value is the output over the step starting at the index time, evaluated at
    that instant (for hourly steps this is the output at the start of the hour).

    Parameters
    ----------
    index : pandas.DatetimeIndex
        Regular, timezone-aware (hourly or finer).
    lat_deg, lon_deg : float
        Site position [degree].
    target_cf : float
        Mean capacity factor over the index, in (0, 1) [-].
    rng : numpy.random.Generator
        Randomness (deterministic for a seed).
    cloud_persistence_h : float
        E-folding time of intra-day cloud anomalies [h].
    daily_persistence : float
        Day-to-day correlation of the weather regime [-].
    altitude_m : float
        Site altitude [m].

    Returns
    -------
    numpy.ndarray
        Capacity factor [0..1]; zero at night.

    Raises
    ------
    InputError
        Naive or irregular index, ``target_cf`` outside (0, 1) or above what the site's sun allows.

    Examples
    --------
    >>> idx = pd.date_range("2025-01-01T00:00Z", periods=24 * 60, freq="h")
    >>> cf = solar_cf(idx, lat_deg=37.5, lon_deg=105.2, target_cf=0.18, rng=np.random.default_rng(1))
    >>> round(float(cf.mean()), 4), float(cf.max()) <= 1.0
    (0.18, True)
    """
    utc, _ = utc_index(index)
    check_frac(target_cf, "target_cf")
    poa = plane_of_array_w_per_m2(utc, lat_deg=lat_deg, lon_deg=lon_deg, altitude_m=altitude_m)
    csi = clear_sky_index(utc, rng, lon_deg=lon_deg, cloud_persistence_h=cloud_persistence_h,
                          daily_persistence=daily_persistence)
    raw = poa / STC_W_PER_M2 * csi

    def mean_of(scale: float) -> float:
        return float(np.minimum(1.0, scale * raw).mean())

    scale = bisect_scale(mean_of, target_cf, 0.0, MAX_SCALE, field="target_cf")
    return np.minimum(1.0, scale * raw)
