"""Hourly grid carbon intensity synthesised from the generation mix, calibrated to a published annual factor.

Method
------
1. Demand ``D(t)`` follows a daily (evening peak, night trough, local solar time)
   and a seasonal (winter and summer peaks) shape, with mean 1.
2. Each non-fossil source follows its own shape scaled to its annual energy
   share: wind and solar follow the given capacity-factor series, hydro a wet-summer
   seasonal cycle, nuclear is flat.
3. Fossil generation fills the residual ``D - non-fossil``, but never drops below a
   must-run floor ``f_min x`` (its own mean output) — thermal units cannot all stop
   for a sunny afternoon (minimum stable output, heat supply, grid stability); the
   floor is 0 unless given. Where non-fossil supply exceeds demand less the floor,
   the surplus is treated as exported/curtailed: non-fossil output is scaled down to
   fit in that step, and fossil runs at its floor there. To keep
   the annual shares, the non-fossil shapes are first multiplied by one common
   factor ``k >= 1`` (found by bisection) so that the non-fossil energy *delivered*
   over the index equals its nominal share. Then total generation equals demand in
   every step, and the fossil share (and, as coal and gas split the residual in
   proportion to their nominal shares, each of coal and gas) equals its nominal
   share exactly. Deviations: each non-fossil type's own share can move a little
   (a type that coincides with surpluses, e.g. wet-season hydro, loses some to the
   others) though their sum is kept; if no ``k <= MAX_CLEAN_BOOST`` can deliver the
   nominal non-fossil share (e.g. only solar, at 90%), fossil ends above its share.
   With no fossil share at all, non-fossil output is returned as shaped, without
   matching demand (deficits are imports).
4. Operational intensity per step = (coal x ef_coal + gas x ef_gas) / total, with
   non-fossil at 0 (as the MEE grid factor counts) and ``ef_gas = 0.45 x ef_coal``
   (EST: ~370 vs ~820-900 gCO2/kWh). ``ef_coal`` is calibrated so that the
   generation-weighted annual mean ``sum(I x G) / sum(G)`` equals the published factor.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from shulu import units
from shulu.data._calibrate import FloatArray, ar1, day_of_year, solar_hour
from shulu.data._index import utc_index
from shulu.errors import InputError

GENERATION_TYPES: tuple[str, ...] = ("coal", "gas", "hydro", "nuclear", "wind", "solar")
FOSSIL: tuple[str, ...] = ("coal", "gas")
#: Emission factor of gas relative to coal (EST: CCGT ~370 g/kWh vs coal ~820-900 g/kWh).
GAS_TO_COAL_FACTOR = 0.45
#: Demand shape (EST): daily amplitude (peak ~19:00 local solar time) and seasonal (winter + summer peaks).
DEMAND_DAILY_AMPLITUDE = 0.12
DEMAND_PEAK_SOLAR_HOUR = 19.0
DEMAND_SEASONAL_AMPLITUDE = 0.06
#: Hydro: wet-season amplitude and the day of its peak (EST, ~mid-July).
HYDRO_SEASONAL_AMPLITUDE = 0.35
HYDRO_PEAK_DAY_OF_YEAR = 195.0
#: Demand's seasonal peaks: semi-annual cycle with a peak on this day (EST: mid-January heating, mid-July cooling).
DEMAND_SEASONAL_PEAK_DAY_OF_YEAR = 15.0
DEMAND_PEAKS_PER_YEAR = 2.0
#: Demand noise (EST): relative standard deviation and hour-to-hour persistence.
DEMAND_NOISE_SD_FRAC = 0.02
DEMAND_NOISE_PERSISTENCE = 0.9
#: Largest common boost of non-fossil output used to make up for curtailed surplus [-].
MAX_CLEAN_BOOST = 10.0


def _check_shares(shares: dict[str, float]) -> dict[str, float]:
    unknown = sorted(set(shares) - set(GENERATION_TYPES))
    if unknown:
        raise InputError(f"unknown generation type {unknown[0]!r}; expected some of {list(GENERATION_TYPES)}",
                         field="shares")
    out = {k: float(shares.get(k, 0.0)) for k in GENERATION_TYPES}
    bad = [k for k, v in out.items() if not (np.isfinite(v) and v >= 0)]
    if bad:
        raise InputError(f"expected shares >= 0, got {bad[0]}: {out[bad[0]]!r}", field="shares")
    total = sum(out.values())
    if abs(total - 1.0) > 1e-6:
        raise InputError(f"expected shares summing to 1, got {total:.6g}", field="shares")
    return out


def generation_mix(index: pd.DatetimeIndex, *, lon_deg: float, shares: dict[str, float], solar_cf: FloatArray,
                   wind_cf: FloatArray, rng: np.random.Generator, fossil_min_frac: float = 0.0) -> pd.DataFrame:
    """Generation by type per step (units: multiples of mean demand) for a zone.

    See the module docstring for the method, the surplus rule and when shares can deviate.

    Parameters
    ----------
    index : pandas.DatetimeIndex
        Regular, timezone-aware (hourly or finer).
    lon_deg : float
        Longitude for local solar time [degree].
    shares : dict
        Annual energy share of each type in :data:`GENERATION_TYPES` [-] (sums to 1; missing types are 0).
    solar_cf, wind_cf : numpy.ndarray
        Shapes of the zone's solar and wind output (capacity factors [0..1]), one value per step.
    rng : numpy.random.Generator
        Randomness (small demand noise).
    fossil_min_frac : float, optional
        Must-run floor: fossil output in any step is at least this fraction of its annual mean output [-], in
        [0, 1) (default 0: fossil may stop whenever non-fossil output covers demand).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`GENERATION_TYPES`, index ``index``; every value >= 0.

    Raises
    ------
    InputError
        Naive or irregular index, unknown types, negative shares or shares not summing to 1,
        shapes of the wrong length or with negative values, a floor outside [0, 1).

    Examples
    --------
    >>> idx = pd.date_range("2025-01-01T00:00Z", periods=24 * 365, freq="h")
    >>> flat = np.full(len(idx), 0.2)
    >>> gen = generation_mix(idx, lon_deg=105.0, shares={"coal": 0.6, "hydro": 0.3, "wind": 0.1},
    ...                      solar_cf=flat, wind_cf=flat, rng=np.random.default_rng(0))
    >>> {k: round(float(v), 6) for k, v in (gen.sum() / gen.to_numpy().sum()).items() if v > 0}
    {'coal': 0.6, 'hydro': 0.3, 'wind': 0.1}
    """
    utc, step_s = utc_index(index)
    n = len(utc)
    sh = _check_shares(shares)
    if not (np.isfinite(fossil_min_frac) and 0.0 <= fossil_min_frac < 1.0):
        raise InputError(f"expected a must-run floor in [0, 1), got {fossil_min_frac!r}", field="fossil_min_frac")
    doy = day_of_year(utc)
    hour = solar_hour(utc, lon_deg)
    demand = (1.0 + DEMAND_DAILY_AMPLITUDE * np.cos(2 * np.pi * (hour - DEMAND_PEAK_SOLAR_HOUR) / units.HOURS_PER_DAY)
              + DEMAND_SEASONAL_AMPLITUDE * np.cos(2 * np.pi * DEMAND_PEAKS_PER_YEAR
                                                   * (doy - DEMAND_SEASONAL_PEAK_DAY_OF_YEAR) / units.DAYS_PER_YEAR)
              + DEMAND_NOISE_SD_FRAC * ar1(n, DEMAND_NOISE_PERSISTENCE, step_s, rng))
    demand = demand / demand.mean()

    def shaped(x: FloatArray, field: str) -> FloatArray:
        arr = np.asarray(x, dtype=np.float64)
        if arr.shape != (n,):
            raise InputError(f"expected {n} values (one per step), got shape {arr.shape}", field=field)
        if not np.all(np.isfinite(arr)) or np.any(arr < 0):
            raise InputError("expected finite values >= 0", field=field)
        m = float(arr.mean())
        return arr / m if m > 0 else np.zeros(n)

    hydro_shape = 1.0 + HYDRO_SEASONAL_AMPLITUDE * np.cos(2 * np.pi * (doy - HYDRO_PEAK_DAY_OF_YEAR)
                                                          / units.DAYS_PER_YEAR)
    clean = {"hydro": sh["hydro"] * hydro_shape / hydro_shape.mean(), "nuclear": sh["nuclear"] * np.ones(n),
             "wind": sh["wind"] * shaped(wind_cf, "wind_cf"), "solar": sh["solar"] * shaped(solar_cf, "solar_cf")}
    clean_share = sum(sh[k] for k in clean)
    fossil_share = sh["coal"] + sh["gas"]
    if fossil_share <= 0:  # nothing to fill the residual: non-fossil as shaped
        return pd.DataFrame({k: clean.get(k, np.zeros(n)) for k in GENERATION_TYPES}, index=index)
    clean_total = np.asarray(sum(clean.values()), dtype=np.float64) if clean_share > 0 else np.zeros(n)
    # room for non-fossil output in each step: demand less the fossil must-run floor
    room = np.maximum(demand - fossil_min_frac * fossil_share * float(demand.mean()), 0.0)
    boost = _clean_boost(clean_total, room, clean_share * float(demand.mean())) if clean_share > 0 else 1.0
    boosted = boost * clean_total
    # per step: deliver min(boosted, room), each type keeping its part of the non-fossil total
    factor = np.where(boosted > room, room / np.maximum(boosted, 1e-300), 1.0) * boost
    clean = {k: v * factor for k, v in clean.items()}
    fossil = np.maximum(demand - np.minimum(boosted, room), 0.0)
    coal_part = sh["coal"] / fossil_share
    gen = {"coal": fossil * coal_part, "gas": fossil * (1.0 - coal_part), **clean}
    return pd.DataFrame({k: gen[k] for k in GENERATION_TYPES}, index=index)


def _clean_boost(clean_total: FloatArray, room: FloatArray, target: float) -> float:
    """Smallest ``k`` in [1, MAX_CLEAN_BOOST] with mean(min(k x clean, room)) = target (or the nearest end)."""

    def delivered(k: float) -> float:
        return float(np.minimum(k * clean_total, room).mean())

    if delivered(1.0) >= target:
        return 1.0
    lo, hi = 1.0, MAX_CLEAN_BOOST
    if delivered(hi) <= target:
        return hi
    for _ in range(100):
        mid = 0.5 * (lo + hi)
        if delivered(mid) < target:
            lo = mid
        else:
            hi = mid
        if hi - lo <= 1e-13 * hi:
            break
    return 0.5 * (lo + hi)


def carbon_intensity_g_per_kwh(generation: pd.DataFrame, *, annual_factor_g_per_kwh: float,
                               relative_factors: dict[str, float] | None = None) -> tuple[FloatArray, float]:
    """Per-step operational intensity whose generation-weighted mean equals the annual factor.

    ``I(t) = ef x sum_k r_k G_k(t) / sum_k G_k(t)``, with ``r`` the relative factors
    (types not listed emit 0) and ``ef`` chosen so that ``sum_t I G / sum_t G`` equals
    ``annual_factor_g_per_kwh`` (exactly, up to float rounding). Steps with no
    generation get intensity 0.

    Parameters
    ----------
    generation : pandas.DataFrame
        Generation by type per step (any consistent unit), e.g. from :func:`generation_mix`.
    annual_factor_g_per_kwh : float
        Published annual (generation-weighted) factor [gCO2/kWh], >= 0.
    relative_factors : dict, optional
        Emission factor of each type relative to coal [-] (default: coal 1, gas
        :data:`GAS_TO_COAL_FACTOR`, others 0).

    Returns
    -------
    (numpy.ndarray, float)
        Intensity per step [gCO2/kWh], and the calibrated factor of a type with relative
        factor 1 (coal by default) [gCO2/kWh].

    Raises
    ------
    InputError
        A negative or non-finite factor, negative relative factors, or a positive factor
        with no emitting generation.

    Examples
    --------
    >>> gen = pd.DataFrame({"coal": [1.0, 0.0], "wind": [0.0, 1.0]})
    >>> i, ef = carbon_intensity_g_per_kwh(gen, annual_factor_g_per_kwh=400.0)
    >>> [float(x) for x in i], ef
    ([800.0, 0.0], 800.0)
    """
    if not (np.isfinite(annual_factor_g_per_kwh) and annual_factor_g_per_kwh >= 0):
        raise InputError(f"expected a factor >= 0, got {annual_factor_g_per_kwh!r}", field="annual_factor_g_per_kwh")
    rel = relative_factors if relative_factors is not None else {"coal": 1.0, "gas": GAS_TO_COAL_FACTOR}
    bad = [k for k, r in rel.items() if not (np.isfinite(r) and r >= 0)]
    if bad:
        raise InputError(f"expected relative factors >= 0, got {bad[0]}: {rel[bad[0]]!r}", field="relative_factors")
    values = generation.to_numpy(dtype=np.float64)
    if values.size and (not np.all(np.isfinite(values)) or values.min() < 0):
        raise InputError("expected finite generation >= 0", field="generation")
    total = values.sum(axis=1) if values.size else np.zeros(len(generation))
    weighted = np.zeros(len(generation))
    for k, r in rel.items():
        if k in generation.columns:
            weighted += r * generation[k].to_numpy(dtype=np.float64)
    denom = float(weighted.sum())
    if denom <= 0:
        if annual_factor_g_per_kwh > 0:
            raise InputError("cannot reach a positive annual factor without fossil (emitting) generation",
                             field="annual_factor_g_per_kwh")
        return np.zeros(len(generation)), 0.0
    ef = annual_factor_g_per_kwh * float(total.sum()) / denom
    intensity = ef * weighted / np.where(total > 0, total, 1.0)
    return np.asarray(intensity, dtype=np.float64), ef


def cfe_frac(generation: pd.DataFrame) -> FloatArray:
    """Carbon-free share of generation per step (non-fossil / total) [0..1]; 0 where nothing is generated.

    Parameters
    ----------
    generation : pandas.DataFrame
        Generation by type per step; the fossil columns are :data:`FOSSIL`.

    Returns
    -------
    numpy.ndarray
        Carbon-free fraction [0..1].

    Examples
    --------
    >>> gen = pd.DataFrame({"coal": [3.0, 1.0, 0.0], "gas": [1.0, 0.0, 0.0], "hydro": [0.0, 1.0, 0.0]})
    >>> [float(x) for x in cfe_frac(gen)]
    [0.0, 0.5, 0.0]
    """
    total = generation.sum(axis=1).to_numpy(dtype=np.float64)
    fossil = np.zeros(len(generation))
    for k in FOSSIL:
        if k in generation.columns:
            fossil += generation[k].to_numpy(dtype=np.float64)
    frac = 1.0 - fossil / np.where(total > 0, total, 1.0)
    return np.asarray(np.where(total > 0, np.clip(frac, 0.0, 1.0), 0.0), dtype=np.float64)
