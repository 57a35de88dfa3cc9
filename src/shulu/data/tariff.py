"""Time-of-use electricity prices (local time is used only here).

The default schedule (EST, typical of Chinese provincial tariffs after NDRC's 2021
notice on time-of-use pricing, 发改价格〔2021〕1093号): valley 23:00-07:00, peak
08:00-11:00 and 17:00-22:00, flat otherwise; peak = 1.5 x flat and valley = 0.4 x
flat (shared reference, EST), so peak:valley = 3.75, within NDRC's rule (>= 3:1, and
>= 4:1 where the peak-valley load gap exceeds 40%). A critical-peak period (尖峰,
19:00-21:00 in July and August by default, EST) is priced at ``critical_ratio`` x
flat when that is given (NDRC 2021: at least 20% above peak), else as peak.

Periods are local clock-hour ranges ``[start, end)``; fractions of an hour are
allowed (``(11.5, 13.0)``) and a range may wrap midnight (``(23, 7)``). Each step
is priced by its start time. Later periods in the mapping override earlier ones.

Examples
--------
>>> idx = pd.DatetimeIndex(["2025-07-15T20:00+08:00", "2025-01-15T20:00+08:00"])
>>> [round(float(p), 3) for p in tou_price_cny_per_kwh(idx, flat_cny_per_kwh=0.5, critical_ratio=1.8)]
[0.9, 0.75]
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import numpy.typing as npt
import pandas as pd

from shulu import units
from shulu.data._calibrate import FloatArray
from shulu.data._index import utc_index
from shulu.errors import InputError

HourRanges = tuple[tuple[float, float], ...]

#: Local-hour ranges [start, end) of each period (EST, typical provincial schedule; see the module docstring).
DEFAULT_PERIODS: Mapping[str, HourRanges] = {
    "valley": ((23.0, 7.0),),
    "peak": ((8.0, 11.0), (17.0, 22.0)),
    "critical": ((19.0, 21.0),),
}
#: Months in which the critical-peak period applies (EST: summer peak season).
CRITICAL_MONTHS: tuple[int, ...] = (7, 8)
#: Peak and valley price as multiples of flat (EST, shared reference).
PEAK_RATIO = 1.5
VALLEY_RATIO = 0.4
#: Minimum peak:valley ratio (NDRC 2021), and the minimum where the peak-valley load gap exceeds 40%.
NDRC_MIN_PEAK_VALLEY_RATIO = 3.0
NDRC_MIN_PEAK_VALLEY_RATIO_LARGE_GAP = 4.0
#: Minimum critical-peak price over peak (NDRC 2021: "not less than 20% above peak").
NDRC_MIN_CRITICAL_OVER_PEAK = 1.2
PERIOD_NAMES: tuple[str, ...] = ("flat", "valley", "peak", "critical")


def _check_periods(periods: Mapping[str, HourRanges]) -> None:
    for name, ranges in periods.items():
        if name not in PERIOD_NAMES:
            raise InputError(f"unknown period {name!r}; expected some of {list(PERIOD_NAMES)}", field="periods")
        for a, b in ranges:
            if not (0.0 <= a <= units.HOURS_PER_DAY and 0.0 <= b <= units.HOURS_PER_DAY) or a == b:
                raise InputError(f"expected local hours 0..24 with start != end, got ({a!r}, {b!r})",
                                 field=f"periods.{name}")


def tou_period(index: pd.DatetimeIndex, *, tz: str = "Asia/Shanghai",
               periods: Mapping[str, HourRanges] | None = None,
               critical_months: tuple[int, ...] = CRITICAL_MONTHS) -> npt.NDArray[np.object_]:
    """The tariff period ("flat", "valley", "peak" or "critical") of each step, by local time.

    Parameters
    ----------
    index : pandas.DatetimeIndex
        Timezone-aware times (need not be regular).
    tz : str
        Local time zone of the tariff.
    periods : mapping, optional
        Local-hour ranges per period name (default :data:`DEFAULT_PERIODS`).
    critical_months : tuple of int
        Months (1..12, local time) in which "critical" applies; elsewhere those hours keep their other period.

    Returns
    -------
    numpy.ndarray
        Period name per step (dtype object).

    Examples
    --------
    >>> idx = pd.DatetimeIndex(["2025-01-01T03:00+08:00", "2025-01-01T09:00+08:00", "2025-01-01T14:00+08:00"])
    >>> list(tou_period(idx))
    ['valley', 'peak', 'flat']
    """
    utc, _ = utc_index(index, regular=False)
    chosen = DEFAULT_PERIODS if periods is None else periods
    _check_periods(chosen)
    local = utc.tz_convert(tz)
    hour = np.asarray(local.hour + local.minute / units.MINUTES_PER_HOUR + local.second / units.SECONDS_PER_HOUR,
                      dtype=np.float64)
    in_critical_month = np.isin(np.asarray(local.month), critical_months)
    out = np.full(len(utc), "flat", dtype=object)
    for name, ranges in chosen.items():
        for a, b in ranges:
            mask = (hour >= a) & (hour < b) if a < b else (hour >= a) | (hour < b)
            if name == "critical":
                mask &= in_critical_month
            out[mask] = name
    return out


def tou_price_cny_per_kwh(index: pd.DatetimeIndex, *, flat_cny_per_kwh: float, peak_ratio: float = PEAK_RATIO,
                          valley_ratio: float = VALLEY_RATIO, critical_ratio: float | None = None,
                          tz: str = "Asia/Shanghai", periods: Mapping[str, HourRanges] | None = DEFAULT_PERIODS,
                          critical_months: tuple[int, ...] = CRITICAL_MONTHS) -> FloatArray:
    """Per-step time-of-use price [CNY/kWh].

    Parameters
    ----------
    index : pandas.DatetimeIndex
        Timezone-aware times (UTC inside shulu); converted to ``tz`` here only.
    flat_cny_per_kwh : float
        Flat-period price [CNY/kWh], >= 0.
    peak_ratio, valley_ratio : float
        Peak and valley price as multiples of flat [-], > 0.
    critical_ratio : float, optional
        Critical-peak price as a multiple of flat [-]; None prices critical hours as peak.
    tz : str
        Local time zone of the tariff.
    periods : mapping, optional
        Local-hour ranges per period (default :data:`DEFAULT_PERIODS`; None means the default).
    critical_months : tuple of int
        Months (local time) in which the critical period applies.

    Returns
    -------
    numpy.ndarray
        Price [CNY/kWh].

    Raises
    ------
    InputError
        Naive index, a negative price, non-positive ratios, or bad periods.

    Examples
    --------
    >>> idx = pd.date_range("2024-12-31T19:00Z", periods=3, freq="h")   # 03:00, 04:00, 05:00 in Beijing
    >>> [round(float(p), 3) for p in tou_price_cny_per_kwh(idx, flat_cny_per_kwh=0.6)]
    [0.24, 0.24, 0.24]
    """
    if not (np.isfinite(flat_cny_per_kwh) and flat_cny_per_kwh >= 0):
        raise InputError(f"expected a price >= 0, got {flat_cny_per_kwh!r}", field="flat_cny_per_kwh")
    ratios = {"peak_ratio": peak_ratio, "valley_ratio": valley_ratio}
    if critical_ratio is not None:
        ratios["critical_ratio"] = critical_ratio
    for name, r in ratios.items():
        if not (np.isfinite(r) and r > 0):
            raise InputError(f"expected a ratio > 0, got {r!r}", field=name)
    period = tou_period(index, tz=tz, periods=periods, critical_months=critical_months)
    crit = peak_ratio if critical_ratio is None else critical_ratio
    ratio = np.select([period == "peak", period == "valley", period == "critical"], [peak_ratio, valley_ratio, crit],
                      default=1.0)
    return np.asarray(flat_cny_per_kwh * ratio, dtype=np.float64)
