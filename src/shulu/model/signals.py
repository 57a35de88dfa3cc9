"""Hourly (or finer) signals per site: grid carbon intensity and price, solar and wind, weather.

Held as one (time x site) :class:`pandas.DataFrame` per variable, indexed by a
regular UTC time index. On disk they are a tidy table (``time``, ``site`` and one
column per variable); :meth:`Signals.to_long` / :meth:`Signals.from_long` convert.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pandas as pd

from shulu.errors import InputError
from shulu.timeindex import check_index, series_to_utc


class SignalVar(NamedTuple):
    """One signal variable: name, unit, whether required, bounds, description."""

    name: str
    unit: str
    required: bool
    lower: float
    upper: float
    description: str


#: The signal schema.
SIGNAL_VARS: tuple[SignalVar, ...] = (
    SignalVar("intensity_g_per_kwh", "gCO2/kWh", True, 0.0, np.inf, "Grid carbon intensity (location-based)"),
    SignalVar("price_cny_per_kwh", "CNY/kWh", True, -np.inf, np.inf, "Grid import price (time of use)"),
    SignalVar("solar_cf", "fraction 0..1", False, 0.0, 1.0, "Solar output per unit of capacity"),
    SignalVar("wind_cf", "fraction 0..1", False, 0.0, 1.0, "Wind output per unit of capacity"),
    SignalVar("grid_cfe_frac", "fraction 0..1", False, 0.0, 1.0, "Carbon-free share of the grid's generation"),
    SignalVar("temperature_c", "°C", False, -90.0, 70.0, "Outdoor dry-bulb temperature"),
    SignalVar("it_load_kw", "kW", False, 0.0, np.inf, "Exogenous IT load (microgrid mode), added to jobs"),
)
SIGNAL_NAMES: tuple[str, ...] = tuple(v.name for v in SIGNAL_VARS)
_DEFAULTS: dict[str, float] = {"grid_cfe_frac": 0.0, "solar_cf": 0.0, "wind_cf": 0.0, "temperature_c": 15.0,
                               "it_load_kw": 0.0}


@dataclass(frozen=True, eq=False)
class Signals:
    """Per-site time series: ``signals["intensity_g_per_kwh"]`` is a (time x site) frame."""

    frames: dict[str, pd.DataFrame]
    step_s: int

    @property
    def index(self) -> pd.DatetimeIndex:
        """The shared UTC time index."""
        idx = next(iter(self.frames.values())).index
        assert isinstance(idx, pd.DatetimeIndex)
        return idx

    @property
    def sites(self) -> list[str]:
        """Site ids (columns)."""
        return [str(c) for c in next(iter(self.frames.values())).columns]

    def __getitem__(self, name: str) -> pd.DataFrame:
        if name in self.frames:
            return self.frames[name]
        if name in _DEFAULTS:
            first = next(iter(self.frames.values()))
            return pd.DataFrame(_DEFAULTS[name], index=first.index, columns=first.columns)
        raise KeyError(name)

    def __contains__(self, name: str) -> bool:
        return name in self.frames

    def array(self, name: str) -> np.ndarray:
        """A (time x site) float64 array of one variable (defaults filled for optional ones)."""
        return self[name].to_numpy(dtype=np.float64)

    @classmethod
    def build(cls, frames: dict[str, pd.DataFrame], *, step_s: int, sites: list[str] | None = None,
              file: str | None = None) -> Signals:
        """Validate frames: known variables, required present, same index and sites, bounds, regular step."""
        unknown = [k for k in frames if k not in SIGNAL_NAMES]
        if unknown:
            raise InputError(f"unknown signal column {unknown[0]!r}; expected some of {list(SIGNAL_NAMES)}",
                             file=file, field=unknown[0])
        for v in SIGNAL_VARS:
            if v.required and v.name not in frames:
                raise InputError(f"missing required signal column {v.name!r} [{v.unit}]", file=file, field=v.name)
        ordered = {v.name: frames[v.name] for v in SIGNAL_VARS if v.name in frames}
        first = next(iter(ordered.values()))
        check_index(first.index, step_s=step_s, file=file)
        cols = [str(c) for c in first.columns]
        if sites is not None and sorted(cols) != sorted(sites):
            missing = sorted(set(sites) - set(cols))
            extra = sorted(set(cols) - set(sites))
            raise InputError(f"expected signals for every site; missing {missing}, unknown {extra}",
                             file=file, field="site")
        out: dict[str, pd.DataFrame] = {}
        order = sites if sites is not None else cols
        for name, df in ordered.items():
            if not df.index.equals(first.index):
                raise InputError("expected every signal on the same time index", file=file, field=name)
            df = df.reindex(columns=order).astype(np.float64)
            df.index.name = "time"
            df.columns.name = "site"
            var = next(v for v in SIGNAL_VARS if v.name == name)
            arr = df.to_numpy()
            bad = np.isnan(arr) | (arr < var.lower) | (arr > var.upper)
            if bad.any():
                r, c = np.argwhere(bad)[0]
                raise InputError(
                    f"expected a value in [{var.lower}, {var.upper}] [{var.unit}] for site {order[c]!r}, "
                    f"got {arr[r, c]!r} at {df.index[r]}", file=file, field=name, row=int(r))
            out[name] = df
        return cls(out, int(step_s))

    def to_long(self) -> pd.DataFrame:
        """Tidy table: ``time``, ``site``, one column per variable (time-major order)."""
        idx = self.index
        sites = self.sites
        data: dict[str, object] = {
            "time": pd.DatetimeIndex(np.repeat(idx.as_unit("ns").asi8, len(sites))).tz_localize("UTC"),
            "site": np.tile(np.array(sites, dtype=object), len(idx)),
        }
        for name, df in self.frames.items():
            data[name] = df.to_numpy(dtype=np.float64).reshape(-1)
        return pd.DataFrame(data)

    @classmethod
    def from_long(cls, df: pd.DataFrame, *, step_s: int, sites: list[str] | None = None,
                  file: str | None = None) -> Signals:
        """Build from a tidy table (``time``, ``site``, variables). Duplicate (time, site) rows are errors."""
        for col in ("time", "site"):
            if col not in df.columns:
                raise InputError(f"missing column {col!r}; expected 'time', 'site' and signal columns",
                                 file=file, field=col)
        times = series_to_utc(df["time"], field="time", file=file)
        site = df["site"].astype(str).to_numpy()
        key = pd.MultiIndex.from_arrays([times, site])
        dup = key.duplicated()
        if dup.any():
            i = int(np.flatnonzero(dup)[0])
            raise InputError(f"duplicate row for time {times[i]} and site {site[i]!r}", file=file,
                             field="time", row=i)
        frames: dict[str, pd.DataFrame] = {}
        for name in df.columns:
            if name in ("time", "site"):
                continue
            values = pd.to_numeric(df[name], errors="coerce")
            if values.isna().any():
                i = int(np.flatnonzero(values.isna().to_numpy())[0])
                raise InputError(f"expected a number, got {df[name].iloc[i]!r}", file=file, field=str(name), row=i)
            wide = pd.Series(values.to_numpy(), index=key).unstack()
            if wide.isna().any().any():
                r, c = np.argwhere(wide.isna().to_numpy())[0]
                raise InputError(f"missing value for site {wide.columns[c]!r} at {wide.index[r]}",
                                 file=file, field=str(name))
            wide.index = pd.DatetimeIndex(wide.index, name="time")
            frames[str(name)] = wide
        if not frames:
            raise InputError("expected signal columns besides 'time' and 'site'", file=file)
        return cls.build(frames, step_s=step_s, sites=sites, file=file)

    def equals(self, other: Signals) -> bool:
        """Same variables, index, sites and values."""
        if self.step_s != other.step_s or list(self.frames) != list(other.frames):
            return False
        return all(self.frames[k].equals(other.frames[k]) for k in self.frames)

    def slice(self, start: pd.Timestamp, end: pd.Timestamp) -> Signals:
        """Signals within [start, end)."""
        return Signals({k: v.loc[(v.index >= start) & (v.index < end)] for k, v in self.frames.items()},
                       self.step_s)
