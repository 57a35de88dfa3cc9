"""Time-of-use electricity prices (local time only here).

The default schedule (EST, typical of Chinese provincial tariffs): valley 23:00-07:00,
peak 08:00-11:00 and 17:00-22:00, flat otherwise; peak = 1.5 x flat and valley =
0.4 x flat (shared reference, EST), so peak:valley = 3.75, within NDRC's 2021 rule
(>= 3:1, >= 4:1 where the peak-valley load gap exceeds 40%).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from shulu.data._calibrate import FloatArray, check_index
from shulu.errors import InputError

#: Local-hour ranges [start, end) of each period (EST).
DEFAULT_PERIODS: dict[str, tuple[tuple[int, int], ...]] = {
    "valley": ((0, 7), (23, 24)),
    "peak": ((8, 11), (17, 22)),
}
PEAK_RATIO = 1.5
VALLEY_RATIO = 0.4


def tou_period(index: pd.DatetimeIndex, *, tz: str = "Asia/Shanghai",
               periods: dict[str, tuple[tuple[int, int], ...]] | None = None) -> npt_str:
    """The tariff period name ("peak", "flat", "valley", ...) of each step, by local hour."""
    check_index(index)
    hour = index.tz_convert(tz).hour.to_numpy()
    out = np.full(len(index), "flat", dtype=object)
    for name, ranges in (periods or DEFAULT_PERIODS).items():
        for a, b in ranges:
            out[(hour >= a) & (hour < b)] = name
    return out


def tou_price_cny_per_kwh(index: pd.DatetimeIndex, *, flat_cny_per_kwh: float, peak_ratio: float = PEAK_RATIO,
                          valley_ratio: float = VALLEY_RATIO, tz: str = "Asia/Shanghai",
                          periods: dict[str, tuple[tuple[int, int], ...]] | None = None) -> FloatArray:
    """Per-step time-of-use price [CNY/kWh].

    Parameters
    ----------
    index : pandas.DatetimeIndex
        Regular, tz-aware (UTC).
    flat_cny_per_kwh : float
        Flat-period price [CNY/kWh].
    peak_ratio, valley_ratio : float
        Peak and valley price as multiples of flat [-].
    tz : str
        Local time zone of the tariff.
    periods : dict, optional
        Local-hour ranges of "peak" and "valley" (default :data:`DEFAULT_PERIODS`).

    Examples
    --------
    >>> idx = pd.date_range("2024-12-31T19:00Z", periods=3, freq="h")   # 03:00, 04:00, 05:00 in Beijing
    >>> [round(float(p), 3) for p in tou_price_cny_per_kwh(idx, flat_cny_per_kwh=0.6)]
    [0.24, 0.24, 0.24]
    """
    if flat_cny_per_kwh < 0 or peak_ratio <= 0 or valley_ratio <= 0:
        raise InputError("expected a flat price >= 0 and positive ratios", field="flat_cny_per_kwh")
    period = tou_period(index, tz=tz, periods=periods)
    ratio = np.where(period == "peak", peak_ratio, np.where(period == "valley", valley_ratio, 1.0))
    return np.asarray(flat_cny_per_kwh * ratio, dtype=np.float64)


npt_str = np.ndarray
