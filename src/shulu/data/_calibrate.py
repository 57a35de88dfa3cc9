"""Shared helpers for profile synthesis: step persistence, AR(1) noise and bisection calibration."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.signal import lfilter

from shulu import units
from shulu.errors import InputError

FloatArray = npt.NDArray[np.float64]


def check_index(index: pd.DatetimeIndex, field: str = "index") -> float:
    """Require a tz-aware index of >= 2 regular steps; return the step [s]."""
    if not isinstance(index, pd.DatetimeIndex) or index.tz is None:
        raise InputError("expected a timezone-aware (UTC) DatetimeIndex", field=field)
    if len(index) < 2:
        raise InputError("expected at least two time steps", field=field)
    return float((index[1] - index[0]).total_seconds())


def check_frac(value: float, field: str) -> None:
    """Require 0 < value < 1."""
    if not 0.0 < value < 1.0:
        raise InputError(f"expected a value in (0, 1), got {value!r}", field=field)


def ar1(n: int, persistence_per_hour: float, step_s: float, rng: np.random.Generator) -> FloatArray:
    """Unit-variance AR(1) noise with the given hour-to-hour correlation, at any step."""
    phi = persistence_per_hour ** (step_s / units.SECONDS_PER_HOUR)
    eps = rng.standard_normal(n)
    out = lfilter([np.sqrt(1.0 - phi**2)], [1.0, -phi], eps)
    out[0] = eps[0]
    return np.asarray(out, dtype=np.float64)


def bisect_scale(mean_of: Callable[[float], float], target: float, lo: float, hi: float, *, field: str,
                 rtol: float = 1e-9, max_iter: int = 200) -> float:
    """Find ``x`` in [lo, hi] with ``mean_of(x) == target`` (``mean_of`` increasing)."""
    f_lo, f_hi = mean_of(lo), mean_of(hi)
    if not f_lo <= target <= f_hi:
        raise InputError(f"cannot reach a mean of {target} (achievable {f_lo:.4g} .. {f_hi:.4g})", field=field)
    for _ in range(max_iter):
        mid = 0.5 * (lo + hi)
        f = mean_of(mid)
        if abs(f - target) <= rtol * target:
            return mid
        if f < target:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def day_of_year(index: pd.DatetimeIndex) -> FloatArray:
    """Fractional day of year (UTC) [day]."""
    return np.asarray(index.day_of_year - 1 + (index.hour + index.minute / units.MINUTES_PER_HOUR)
                      / units.HOURS_PER_DAY, dtype=np.float64)


def solar_hour(index: pd.DatetimeIndex, lon_deg: float) -> FloatArray:
    """Local mean solar time [h] in 0..24 (UTC + longitude / 15 degrees per hour)."""
    utc_h = index.hour + index.minute / units.MINUTES_PER_HOUR + index.second / units.SECONDS_PER_HOUR
    return np.asarray((utc_h + lon_deg / DEG_PER_HOUR) % units.HOURS_PER_DAY, dtype=np.float64)


#: Earth's rotation: 15 degrees of longitude per hour of solar time.
DEG_PER_HOUR = 15.0
