"""The tidy carbon-intensity table every carbon importer returns, and the checks it must pass.

One row per (zone, time): ``time`` (tz-aware UTC, the start of the interval), ``zone``,
``intensity_g_per_kwh`` and, where the source has them, the columns of :data:`CARBON_COLUMNS`. Within a zone the
times are strictly increasing on a regular step; a duplicate, a gap, a missing or negative value is an error that
names the source file, row and column.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import numpy.typing as npt
import pandas as pd

from shulu.errors import InputError

IntArray = npt.NDArray[np.int64]


class CarbonColumn(NamedTuple):
    """One column of the tidy carbon table: name, unit, description."""

    name: str
    unit: str
    description: str


#: The tidy carbon-intensity table (``shulu data import``); only ``time``, ``zone`` and ``intensity_g_per_kwh`` are
#: always present.
CARBON_COLUMNS: tuple[CarbonColumn, ...] = (
    CarbonColumn("time", "UTC", "Start of the interval the value holds for"),
    CarbonColumn("zone", "-", "Grid zone or region as the source names it (DE, CAISO_NORTH, eastus, ...)"),
    CarbonColumn("intensity_g_per_kwh", "gCO2eq/kWh", "Carbon intensity used by shulu (the chosen basis)"),
    CarbonColumn("intensity_direct_g_per_kwh", "gCO2eq/kWh", "Direct (combustion) intensity, where given"),
    CarbonColumn("intensity_lca_g_per_kwh", "gCO2eq/kWh", "Life-cycle intensity, where given"),
    CarbonColumn("cfe_frac", "fraction 0..1", "Carbon-free (low-carbon) share of consumption, where given"),
    CarbonColumn("renewable_frac", "fraction 0..1", "Renewable share of consumption, where given"),
    CarbonColumn("emission_factor_type", "-", "direct, lifecycle or marginal: what intensity_g_per_kwh is"),
    CarbonColumn("is_estimated", "-", "The provider estimated the value"),
    CarbonColumn("estimation_method", "-", "How the provider estimated it"),
    CarbonColumn("data_source", "-", "The provider's data source (Electricity Maps CSV)"),
    CarbonColumn("provider", "-", "Which importer or API produced the row"),
    CarbonColumn("duration_s", "s", "Length of the interval the value holds for, where the source gives it"),
)
CARBON_COLUMN_NAMES: tuple[str, ...] = tuple(c.name for c in CARBON_COLUMNS)


def check_values(values: npt.NDArray[np.float64], *, field: str, file: str | None, rows: IntArray,
                 lower: float = 0.0, upper: float = np.inf, unit: str = "gCO2eq/kWh") -> None:
    """Every value finite and within [lower, upper], else an error naming the first bad row."""
    bad = ~np.isfinite(values) | (values < lower) | (values > upper)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(f"expected a value in [{lower:g}, {upper:g}] [{unit}], got {values[i]!r}", file=file,
                         field=field, row=int(rows[i]))


def finish(df: pd.DataFrame, *, file: str | None, rows: IntArray, time_field: str = "time",
           provider: str | None = None) -> pd.DataFrame:
    """Check the time structure of a tidy table and return it sorted by zone and time.

    Parameters
    ----------
    df : pandas.DataFrame
        ``time`` (UTC), ``zone``, ``intensity_g_per_kwh`` and optional columns of :data:`CARBON_COLUMNS`.
    file : str, optional
        Source file for error messages.
    rows : array of int
        Source row of each row of ``df`` (for error messages).
    time_field : str
        The source's name of the time column (for error messages).
    provider : str, optional
        Value of the ``provider`` column.

    Returns
    -------
    pandas.DataFrame
        Sorted by ``zone`` then ``time``, index reset, columns in :data:`CARBON_COLUMNS` order.

    Raises
    ------
    InputError
        On an empty table, a duplicate timestamp within a zone, or a gap in a zone's regular step.
    """
    if not len(df):
        raise InputError("expected at least one carbon-intensity value, found none", file=file)
    unknown = [c for c in df.columns if c not in CARBON_COLUMN_NAMES]
    if unknown:  # a programming error in an importer, not user input
        raise ValueError(f"columns not in the tidy schema: {unknown}")
    df = df.copy()
    df["zone"] = df["zone"].astype(str)
    if provider is not None:
        df["provider"] = provider
    ns = pd.DatetimeIndex(df["time"]).as_unit("ns").asi8
    zone = df["zone"].to_numpy(dtype=object)
    order = np.lexsort((ns, zone.astype(str)))
    ns_s, zone_s, rows_s = ns[order], zone[order], rows[order]
    same_zone = zone_s[1:] == zone_s[:-1]
    d = np.diff(ns_s)
    dup = np.flatnonzero(same_zone & (d == 0))
    if dup.size:
        j = int(dup[0])
        first, second = sorted((int(rows_s[j]), int(rows_s[j + 1])))
        raise InputError(f"duplicate timestamp {pd.Timestamp(ns_s[j], tz='UTC')} for zone {zone_s[j]!r} "
                         f"(also at row {first})", file=file, field=time_field, row=second)
    starts = np.flatnonzero(np.r_[True, ~same_zone])
    ends = np.r_[starts[1:], len(ns_s)]
    for a, b in zip(starts, ends, strict=True):
        if b - a < 2:
            continue
        dz = d[a:b - 1]
        step_ns = int(dz.min())
        gap = np.flatnonzero(dz != step_ns)
        if gap.size:
            j = int(a + gap[0])
            t0, t1 = pd.Timestamp(ns_s[j], tz="UTC"), pd.Timestamp(ns_s[j + 1], tz="UTC")
            kind = "a gap" if (d[j] % step_ns == 0) else "an irregular step"
            raise InputError(f"expected a value every {step_ns / 1e9:g} s for zone {zone_s[j]!r}, found {kind}: "
                             f"nothing between {t0} and {t1}", file=file, field=time_field,
                             row=int(rows_s[j + 1]))
    out = df.iloc[order].reset_index(drop=True)
    out["time"] = pd.DatetimeIndex(out["time"]).as_unit("ns")
    cols = [c for c in CARBON_COLUMN_NAMES if c in out.columns]
    return out[cols]


def step_s(df: pd.DataFrame) -> float | None:
    """The regular step of a tidy table [s] (None if every zone has a single value)."""
    steps = []
    for _, g in df.groupby("zone", sort=False):
        if len(g) > 1:
            steps.append(float(np.diff(pd.DatetimeIndex(g["time"]).as_unit("ns").asi8).min()) / 1e9)
    return min(steps) if steps else None
