"""Plug an imported carbon-intensity table into a scenario's signals.

Each site takes the series of one zone, brought onto the scenario's time index: a coarser series is held over its
interval (hourly -> 5 minutes), a finer one is averaged over each step (5-minute WattTime -> hourly). With
``align="year"`` a series of another year is used by calendar position (same UTC month, day and time of day; 29
February falls back to the 28th), so a 2024 export can drive a 2025 scenario.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from shulu.errors import InputError
from shulu.ingest.carbon.tidy import step_s as table_step_s
from shulu.model.signals import Signals

ALIGNS: Final[tuple[str, ...]] = ("exact", "year")
FloatArray = npt.NDArray[np.float64]


def _source_times(target: pd.DatetimeIndex, year: int) -> npt.NDArray[np.int64]:
    """Target instants moved to ``year`` by calendar position (UTC)."""
    leap = pd.Timestamp(year=year, month=1, day=1).is_leap_year
    day = np.where((target.month == 2) & (target.day == 29) & (not leap), 28, target.day)
    moved = pd.to_datetime({"year": np.full(len(target), year), "month": target.month, "day": day,
                            "hour": target.hour, "minute": target.minute, "second": target.second}, utc=True)
    return pd.DatetimeIndex(moved).as_unit("ns").asi8


def zone_on_index(table: pd.DataFrame, zone: str, index: pd.DatetimeIndex, step_s: float, *,
                  align: str = "exact", file: str | None = None) -> FloatArray:
    """The intensity of one zone at each step of ``index`` [gCO2eq/kWh].

    Parameters
    ----------
    table : pandas.DataFrame
        Tidy carbon table.
    zone : str
        Zone to take.
    index : pandas.DatetimeIndex
        Target steps (UTC).
    step_s : float
        Target step [s].
    align : {"exact", "year"}
        Same instants, or the same calendar position in the series' year.

    Raises
    ------
    InputError
        If the zone is absent or its series does not cover every step.
    """
    if align not in ALIGNS:
        raise InputError(f"expected align in {list(ALIGNS)}, got {align!r}", field="align")
    g = table[table["zone"] == zone]
    if g.empty:
        raise InputError(f"no values for zone {zone!r}; the table has zones {sorted(table['zone'].unique())}",
                         file=file, field="zone")
    src_ns = pd.DatetimeIndex(g["time"]).as_unit("ns").asi8
    vals = g["intensity_g_per_kwh"].to_numpy(dtype=np.float64)
    src_step = table_step_s(g)
    if src_step is None:
        src_step = float(g["duration_s"].iloc[0]) if "duration_s" in g.columns else step_s
    src_step_ns = round(src_step * 1e9)
    tgt = index.as_unit("ns").asi8
    if align == "year":
        years = pd.DatetimeIndex(g["time"]).year
        tgt = _source_times(index, int(pd.Series(years).mode().iloc[0]))
    dst_ns = round(step_s * 1e9)
    out = np.full(len(tgt), np.nan)
    if src_step_ns >= dst_ns:  # hold each source value over its interval
        pos = np.searchsorted(src_ns, tgt, side="right") - 1
        ok = (pos >= 0) & (tgt + dst_ns <= src_ns[np.maximum(pos, 0)] + src_step_ns)
        out[ok] = vals[pos[ok]]
    else:  # average the source intervals inside each step
        k = dst_ns // src_step_ns
        if dst_ns % src_step_ns:
            raise InputError(f"the series' step ({src_step:g} s) does not divide the scenario step ({step_s:g} s)",
                             file=file, field="time")
        pos = np.searchsorted(src_ns, tgt, side="left")
        for j in range(len(tgt)):
            a = pos[j]
            if a + k <= len(src_ns) and src_ns[a] == tgt[j] and src_ns[a + k - 1] == tgt[j] + (k - 1) * src_step_ns:
                out[j] = vals[a:a + k].mean()
    if np.isnan(out).any():
        j = int(np.flatnonzero(np.isnan(out))[0])
        first, last = pd.Timestamp(src_ns[0], tz="UTC"), pd.Timestamp(src_ns[-1] + src_step_ns, tz="UTC")
        hint = "" if align == "year" else " (use align 'year' to take a series of another year)"
        raise InputError(f"the series of zone {zone!r} covers {first} .. {last}, not the scenario step at "
                         f"{index[j]}{hint}", file=file, field="time")
    return out


def apply_intensity(signals: Signals, table: pd.DataFrame, site_zones: Mapping[str, str], *,
                    align: str = "exact", file: str | None = None) -> Signals:
    """A copy of ``signals`` whose ``intensity_g_per_kwh`` of the given sites comes from an imported table.

    Parameters
    ----------
    signals : Signals
        A scenario's signals (other variables and sites are kept).
    table : pandas.DataFrame
        Tidy carbon table (``shulu data import`` output).
    site_zones : mapping
        Site id -> zone of the table.
    align : {"exact", "year"}
        See the module docstring.
    """
    unknown = [s for s in site_zones if s not in signals.sites]
    if unknown:
        raise InputError(f"unknown site {unknown[0]!r}; expected one of {signals.sites}", field="site")
    frame = signals.frames["intensity_g_per_kwh"].copy()
    for site, zone in site_zones.items():
        frame[site] = zone_on_index(table, zone, signals.index, signals.step_s, align=align, file=file)
    frames = {**signals.frames, "intensity_g_per_kwh": frame}
    return Signals.build(frames, step_s=signals.step_s, sites=signals.sites, file=file)
