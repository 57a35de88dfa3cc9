"""The workload: a columnar table of jobs, with its schema as data.

Each row is one job. ``deadline = submit_time + slack_s + duration_s``: slack is
how long the job may wait (or be paused) and still finish in time.

Examples
--------
>>> import pandas as pd
>>> wl = Workload.from_frame(pd.DataFrame({
...     "job_id": [1], "tenant": ["acme"], "origin": ["beijing"],
...     "submit_time": [pd.Timestamp("2025-01-01T00:00Z")], "duration_s": [3600.0], "power_kw": [10.0],
...     "device": ["gpu"], "slack_s": [7200.0], "max_latency_ms": [50.0], "data_gb": [20.0],
...     "interruptible": [True], "job_class": ["warm"]}))
>>> len(wl), float(wl.energy_kwh().sum())
(1, 10.0)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from shulu import units
from shulu.errors import InputError
from shulu.timeindex import series_to_utc

JOB_CLASSES: tuple[str, ...] = ("realtime", "warm", "cold")
DEVICES: tuple[str, ...] = ("cpu", "gpu")


class Column(NamedTuple):
    """One workload column: name, kind, unit, description."""

    name: str
    kind: str  # int, str, time, float, bool, category
    unit: str
    description: str


#: The workload schema (order is the on-disk column order).
JOB_COLUMNS: tuple[Column, ...] = (
    Column("job_id", "int", "-", "Unique job id"),
    Column("tenant", "str", "-", "Tenant (account) the job belongs to"),
    Column("origin", "str", "-", "Demand region the job comes from (its users/data)"),
    Column("submit_time", "time", "UTC", "When the job arrives"),
    Column("duration_s", "float", "s", "Run time when running uninterrupted"),
    Column("power_kw", "float", "kW", "IT power of the servers the job occupies, at full use, while it runs"),
    Column("device", "category", "-", "cpu or gpu"),
    Column("slack_s", "float", "s", "How long the job may be delayed; deadline = submit + slack + duration"),
    Column("max_latency_ms", "float", "ms", "Largest one-way latency allowed between origin and site"),
    Column("data_gb", "float", "GB", "Input data that must be moved to the chosen site"),
    Column("interruptible", "bool", "-", "Whether the job may be paused and resumed"),
    Column("job_class", "category", "-", "realtime, warm or cold"),
)
COLUMN_NAMES: tuple[str, ...] = tuple(c.name for c in JOB_COLUMNS)
#: Optional columns: kept when given, absent otherwise (readers use their default).
OPTIONAL_COLUMNS: tuple[Column, ...] = (
    Column("requests", "float", "-", "Requests the job serves, for SCI per request (0: not counted)"),
)
OPTIONAL_NAMES: tuple[str, ...] = tuple(c.name for c in OPTIONAL_COLUMNS)
_NONNEG = {"slack_s", "data_gb"}
_POSITIVE = {"duration_s", "power_kw", "max_latency_ms"}


def _row_of(mask: np.ndarray) -> int:
    return int(np.flatnonzero(mask)[0])


@dataclass(frozen=True, eq=False)
class Workload:
    """A validated jobs table (see :data:`JOB_COLUMNS`); build it with :meth:`from_frame`."""

    frame: pd.DataFrame

    @classmethod
    def from_frame(cls, df: pd.DataFrame, *, file: str | None = None,
                   regions: list[str] | None = None) -> Workload:
        """Validate and normalise a jobs table.

        Parameters
        ----------
        df : pandas.DataFrame
            One row per job, columns as in :data:`JOB_COLUMNS` (extra columns are an error).
        file : str, optional
            File name for error messages.
        regions : list of str, optional
            Known demand region ids; an unknown ``origin`` is an error.

        Raises
        ------
        InputError
            Naming the file, column and first bad row.
        """
        missing = [c for c in COLUMN_NAMES if c not in df.columns]
        if missing:
            raise InputError(f"missing column(s) {missing}; expected columns {list(COLUMN_NAMES)}",
                             file=file, field=missing[0])
        extra = [c for c in df.columns if c not in COLUMN_NAMES and c not in OPTIONAL_NAMES]
        if extra:
            raise InputError(f"unexpected column(s) {extra}; expected columns {list(COLUMN_NAMES)}",
                             file=file, field=str(extra[0]))
        out: dict[str, Any] = {}
        n = len(df)
        for col in JOB_COLUMNS:
            s = df[col.name]
            if col.kind == "time":
                times = series_to_utc(s, field=col.name, file=file) if n else pd.DatetimeIndex([], tz="UTC")
                out[col.name] = pd.Series(times.as_unit("ns"), index=range(n))
            elif col.kind == "float" or col.kind == "int":
                v = pd.to_numeric(s, errors="coerce")
                bad = v.isna().to_numpy()
                if bad.any():
                    i = _row_of(bad)
                    raise InputError(f"expected a number, got {s.iloc[i]!r}", file=file, field=col.name, row=i)
                arr = v.to_numpy(dtype=np.float64)
                if col.kind == "int":
                    if not np.all(arr == np.floor(arr)):
                        i = _row_of(arr != np.floor(arr))
                        raise InputError(f"expected an integer, got {arr[i]!r}", file=file, field=col.name, row=i)
                    out[col.name] = arr.astype(np.int64)
                    continue
                if col.name in _POSITIVE:
                    badm = ~(arr > 0)
                    if badm.any():
                        i = _row_of(badm)
                        raise InputError(f"expected a value > 0 [{col.unit}], got {arr[i]!r}",
                                         file=file, field=col.name, row=i)
                if col.name in _NONNEG:
                    badm = ~(arr >= 0) | ~np.isfinite(arr)
                    if badm.any():
                        i = _row_of(badm)
                        raise InputError(f"expected a finite value >= 0 [{col.unit}], got {arr[i]!r}",
                                         file=file, field=col.name, row=i)
                if col.name == "duration_s" and not np.all(np.isfinite(arr)):
                    i = _row_of(~np.isfinite(arr))
                    raise InputError("expected a finite duration [s]", file=file, field=col.name, row=i)
                out[col.name] = arr
            elif col.kind == "bool":
                if s.dtype == bool:
                    out[col.name] = s.to_numpy()
                else:
                    mapping = {"true": True, "false": False, "1": True, "0": False}
                    low = s.astype(str).str.strip().str.lower()
                    badm = ~low.isin(list(mapping)).to_numpy()
                    if badm.any():
                        i = _row_of(badm)
                        raise InputError(f"expected true/false, got {s.iloc[i]!r}", file=file, field=col.name, row=i)
                    out[col.name] = low.map(mapping).to_numpy(dtype=bool)
            else:
                vals = s.astype(str)
                if col.kind == "category":
                    allowed = JOB_CLASSES if col.name == "job_class" else DEVICES
                    badm = ~vals.isin(allowed).to_numpy()
                    if badm.any():
                        i = _row_of(badm)
                        raise InputError(f"expected one of {list(allowed)}, got {s.iloc[i]!r}",
                                         file=file, field=col.name, row=i)
                    out[col.name] = pd.Categorical(vals, categories=list(allowed))
                else:
                    out[col.name] = vals.to_numpy(dtype=object)
        for col in OPTIONAL_COLUMNS:
            if col.name in df.columns:
                req = pd.to_numeric(df[col.name], errors="coerce").to_numpy(dtype=np.float64)
                badm = ~(req >= 0) | ~np.isfinite(req)
                if badm.any():
                    i = _row_of(badm)
                    raise InputError(f"expected a finite number >= 0, got {df[col.name].iloc[i]!r}", file=file,
                                     field=col.name, row=i)
                out[col.name] = req
        frame = pd.DataFrame(out, index=pd.RangeIndex(n))
        if n and frame["job_id"].duplicated().any():
            i = _row_of(frame["job_id"].duplicated().to_numpy())
            raise InputError(f"duplicate job_id {frame['job_id'].iloc[i]}", file=file, field="job_id", row=i)
        if regions is not None and n:
            badm = ~frame["origin"].isin(regions).to_numpy()
            if badm.any():
                i = _row_of(badm)
                raise InputError(f"unknown demand region {frame['origin'].iloc[i]!r}; expected one of {regions}",
                                 file=file, field="origin", row=i)
        return cls(frame)

    @classmethod
    def empty(cls) -> Workload:
        """A workload with no jobs."""
        return cls.from_frame(pd.DataFrame({c: [] for c in COLUMN_NAMES}))

    def __len__(self) -> int:
        return len(self.frame)

    def energy_kwh(self) -> pd.Series:
        """IT energy of each job if run uninterrupted [kWh]."""
        return self.frame["power_kw"] * self.frame["duration_s"] / units.SECONDS_PER_HOUR

    def deadline(self) -> pd.Series:
        """Latest allowed end time of each job (UTC)."""
        f = self.frame
        return f["submit_time"] + pd.to_timedelta(f["slack_s"] + f["duration_s"], unit="s")

    def equals(self, other: Workload) -> bool:
        """True if both tables hold the same jobs with the same values."""
        return self.frame.equals(other.frame)
