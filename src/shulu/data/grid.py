"""Hourly grid carbon intensity synthesised from the generation mix, calibrated to a published annual factor.

Method
------
1. Demand ``D(t)`` follows a daily (evening peak, night trough, local solar time)
   and a seasonal (winter and summer peaks) shape, with mean 1.
2. Each non-fossil source follows its own shape scaled to its annual energy
   share: wind and solar follow the given capacity-factor series, hydro a wet-summer
   seasonal cycle, nuclear is flat.
3. Fossil generation fills the residual ``D - non-fossil``. Where non-fossil
   supply exceeds demand the surplus is treated as exported/curtailed (non-fossil
   output is scaled down to demand in that step), so fossil's annual share can end a
   little above its nominal share; :func:`generation_mix` returns what was generated.
   Coal and gas split the fossil residual in proportion to their nominal shares.
4. Operational intensity per step = (coal x ef_coal + gas x ef_gas) / total, with
   non-fossil at 0 (as the MEE grid factor counts) and ``ef_gas = 0.45 x ef_coal``
   (EST: ~370 vs ~820-900 gCO2/kWh). ``ef_coal`` is calibrated so that the
   generation-weighted annual mean ``sum(I x G) / sum(G)`` equals the published factor.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from shulu import units
from shulu.data._calibrate import FloatArray, ar1, check_index, day_of_year, solar_hour
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


def _check_shares(shares: dict[str, float]) -> dict[str, float]:
    unknown = sorted(set(shares) - set(GENERATION_TYPES))
    if unknown:
        raise InputError(f"unknown generation type {unknown[0]!r}; expected some of {list(GENERATION_TYPES)}",
                         field="shares")
    out = {k: float(shares.get(k, 0.0)) for k in GENERATION_TYPES}
    if any(v < 0 for v in out.values()):
        raise InputError("expected shares >= 0", field="shares")
    total = sum(out.values())
    if abs(total - 1.0) > 1e-6:
        raise InputError(f"expected shares summing to 1, got {total:.6g}", field="shares")
    return out


def generation_mix(index: pd.DatetimeIndex, *, lon_deg: float, shares: dict[str, float], solar_cf: FloatArray,
                   wind_cf: FloatArray, rng: np.random.Generator) -> pd.DataFrame:
    """Generation by type per step (units: multiples of mean demand) for a zone.

    Parameters
    ----------
    index : pandas.DatetimeIndex
        Regular, tz-aware.
    lon_deg : float
        Longitude for local solar time [degree].
    shares : dict
        Annual energy share of each type in :data:`GENERATION_TYPES` (sums to 1).
    solar_cf, wind_cf : numpy.ndarray
        Shapes of the zone's solar and wind output (capacity factors).
    rng : numpy.random.Generator
        Randomness (small demand noise).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`GENERATION_TYPES`, index ``index``.
    """
    step_s = check_index(index)
    sh = _check_shares(shares)
    doy = day_of_year(index)
    hour = solar_hour(index, lon_deg)
    demand = (1.0 + DEMAND_DAILY_AMPLITUDE * np.cos(2 * np.pi * (hour - DEMAND_PEAK_SOLAR_HOUR) / units.HOURS_PER_DAY)
              + DEMAND_SEASONAL_AMPLITUDE * np.cos(4 * np.pi * (doy - 15.0) / units.DAYS_PER_YEAR)
              + 0.02 * ar1(len(index), 0.9, step_s, rng))
    demand = demand / demand.mean()

    def shaped(x: FloatArray) -> FloatArray:
        m = float(np.mean(x))
        return x / m if m > 0 else np.zeros_like(x)

    hydro_shape = 1.0 + HYDRO_SEASONAL_AMPLITUDE * np.cos(2 * np.pi * (doy - HYDRO_PEAK_DAY_OF_YEAR)
                                                          / units.DAYS_PER_YEAR)
    clean = {"hydro": sh["hydro"] * hydro_shape, "nuclear": sh["nuclear"] * np.ones(len(index)),
             "wind": sh["wind"] * shaped(np.asarray(wind_cf, dtype=np.float64)),
             "solar": sh["solar"] * shaped(np.asarray(solar_cf, dtype=np.float64))}
    clean_total = sum(clean.values())
    over = clean_total > demand
    if np.any(over):  # surplus is exported/curtailed: scale non-fossil down to demand in those steps
        factor = np.where(over, demand / np.maximum(clean_total, 1e-12), 1.0)
        clean = {k: v * factor for k, v in clean.items()}
        clean_total = sum(clean.values())
    fossil = np.maximum(demand - clean_total, 0.0)
    fossil_share = sh["coal"] + sh["gas"]
    coal_part = sh["coal"] / fossil_share if fossil_share > 0 else 0.0
    gen = {"coal": fossil * coal_part, "gas": fossil * (1.0 - coal_part) if fossil_share > 0 else fossil * 0.0,
           **clean}
    return pd.DataFrame({k: gen[k] for k in GENERATION_TYPES}, index=index)


def carbon_intensity_g_per_kwh(generation: pd.DataFrame, *, annual_factor_g_per_kwh: float,
                               relative_factors: dict[str, float] | None = None) -> tuple[FloatArray, float]:
    """Per-step intensity whose generation-weighted mean equals the annual factor.

    Parameters
    ----------
    generation : pandas.DataFrame
        Generation by type per step (any consistent unit).
    annual_factor_g_per_kwh : float
        Published annual (generation-weighted) factor [gCO2/kWh].
    relative_factors : dict, optional
        Emission factor of each type relative to coal (default: coal 1, gas 0.45, others 0).

    Returns
    -------
    (intensity_g_per_kwh, coal_factor_g_per_kwh)

    Examples
    --------
    >>> gen = pd.DataFrame({"coal": [1.0, 0.0], "wind": [0.0, 1.0]})
    >>> i, ef = carbon_intensity_g_per_kwh(gen, annual_factor_g_per_kwh=400.0)
    >>> [float(x) for x in i], ef
    ([800.0, 0.0], 800.0)
    """
    rel = relative_factors if relative_factors is not None else {"coal": 1.0, "gas": GAS_TO_COAL_FACTOR}
    total = generation.sum(axis=1).to_numpy(dtype=np.float64)
    weighted = np.zeros(len(generation))
    for k, r in rel.items():
        if k in generation.columns:
            weighted += r * generation[k].to_numpy(dtype=np.float64)
    denom = float(weighted.sum())
    if annual_factor_g_per_kwh < 0:
        raise InputError(f"expected a factor >= 0, got {annual_factor_g_per_kwh}", field="annual_factor_g_per_kwh")
    if denom <= 0:
        if annual_factor_g_per_kwh > 0:
            raise InputError("cannot reach a positive annual factor without fossil generation",
                             field="annual_factor_g_per_kwh")
        return np.zeros(len(generation)), 0.0
    ef_coal = annual_factor_g_per_kwh * float(total.sum()) / denom
    with np.errstate(invalid="ignore", divide="ignore"):
        intensity = np.where(total > 0, ef_coal * weighted / total, 0.0)
    return intensity, ef_coal


def cfe_frac(generation: pd.DataFrame) -> FloatArray:
    """Carbon-free share of generation per step (non-fossil / total) [0..1]."""
    total = generation.sum(axis=1).to_numpy(dtype=np.float64)
    fossil = sum(generation[k].to_numpy(dtype=np.float64) for k in FOSSIL if k in generation.columns)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray(np.where(total > 0, np.clip(1.0 - fossil / total, 0.0, 1.0), 0.0), dtype=np.float64)
