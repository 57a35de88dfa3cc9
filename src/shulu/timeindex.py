"""The one time rule: tz-aware UTC inside, explicit step length, energy = power x step.

Naive timestamps are rejected (never silently assumed to be UTC or local time);
timestamps in another zone are converted to UTC. Local time (``Asia/Shanghai``)
is used only for display and for tariffs.

Examples
--------
>>> idx = make_index("2025-01-01T00:00Z", periods=3, step_s=3600)
>>> [str(t) for t in idx]
['2025-01-01 00:00:00+00:00', '2025-01-01 01:00:00+00:00', '2025-01-01 02:00:00+00:00']
>>> try:
...     to_utc("2025-01-01 08:00")
... except InputError as exc:
...     print(exc.field, "naive" in str(exc))
time True
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from shulu import units
from shulu.errors import InputError

#: Shortest and longest simulation step allowed [s] (5 minutes .. 1 hour).
MIN_STEP_S: int = 300
MAX_STEP_S: int = 3600

UTC = "UTC"
_OFFSET_RE = r"[T\s]\d{2}(?::\d{2}(?::\d{2}(?:\.\d+)?)?)?\s*(?:[zZ]|UTC|[+-]\d{2}(?::?\d{2})?)$"


def to_utc(value: Any, *, field: str = "time", file: str | None = None) -> pd.Timestamp:
    """Parse one timestamp and return it in UTC; naive input is an error.

    Parameters
    ----------
    value : str, datetime or pandas.Timestamp
        A timestamp with a timezone or UTC offset.
    field : str
        Name used in the error message.
    file : str, optional
        File used in the error message.

    Returns
    -------
    pandas.Timestamp
        The same instant, tz = UTC.

    Raises
    ------
    InputError
        If the value cannot be parsed or carries no timezone.
    """
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError) as exc:
        raise InputError(f"expected an ISO 8601 timestamp, got {value!r} ({exc})", file=file, field=field) from None
    if ts is pd.NaT:
        raise InputError(f"expected a timestamp, got {value!r}", file=file, field=field)
    if ts.tzinfo is None:
        raise InputError(
            "expected a timezone-aware timestamp (e.g. '2025-01-01T00:00Z' or '+08:00'), "
            f"got naive {value if isinstance(value, str) else str(ts)!r}",
            file=file,
            field=field,
        )
    return ts.tz_convert(UTC)


def series_to_utc(values: pd.Series | pd.Index | Sequence[Any], *, field: str = "time",
                  file: str | None = None) -> pd.DatetimeIndex:
    """Convert a column of timestamps to a UTC :class:`pandas.DatetimeIndex`.

    Strings must carry an offset (``Z`` or ``+08:00``); tz-naive datetime
    columns are rejected. The row of the first bad value is named in the error.

    Parameters
    ----------
    values : sequence of timestamps
        The column.
    field, file : str
        Used in error messages.

    Returns
    -------
    pandas.DatetimeIndex
        tz = UTC.
    """
    if isinstance(values, pd.DatetimeIndex) or (isinstance(values, pd.Series)
                                                 and pd.api.types.is_datetime64_any_dtype(values)):
        aware = pd.DatetimeIndex(values)
        if aware.tz is None:
            raise InputError(
                "expected timezone-aware timestamps, got naive ones (no UTC offset); "
                "write them as ISO 8601 with 'Z' or '+08:00'",
                file=file, field=field, row=0 if len(aware) else None,
            )
        return aware.tz_convert(UTC)
    ser = pd.Series(list(values) if not isinstance(values, pd.Series) else values.to_numpy(), dtype=object)
    if len(ser) and all(isinstance(v, str) for v in ser):
        has_offset = ser.str.strip().str.contains(_OFFSET_RE, regex=True).to_numpy()
        if not has_offset.all():
            i = int(np.flatnonzero(~has_offset)[0])
            raise InputError(
                f"expected a timezone-aware timestamp (with 'Z' or '+08:00'), got naive {ser.iloc[i]!r}",
                file=file, field=field, row=i)
        try:
            return pd.DatetimeIndex(pd.to_datetime(ser, utc=True, format="ISO8601"))
        except (ValueError, TypeError):
            pass  # fall through to find the bad row
    for i, v in enumerate(ser):
        try:
            ts = pd.Timestamp(v)
        except (ValueError, TypeError):
            raise InputError(f"expected an ISO 8601 timestamp, got {v!r}", file=file, field=field, row=i) from None
        if ts is pd.NaT:
            raise InputError(f"expected a timestamp, got {v!r}", file=file, field=field, row=i)
        if ts.tzinfo is None:
            raise InputError(
                f"expected a timezone-aware timestamp (with 'Z' or '+08:00'), got naive {v!r}",
                file=file, field=field, row=i,
            )
    return pd.DatetimeIndex([pd.Timestamp(v).tz_convert(UTC) for v in ser], name=None)


def check_step(step_s: float, *, field: str = "step_s", file: str | None = None) -> int:
    """Validate a step length [s]: an integer between 5 minutes and 1 hour that divides an hour."""
    if not float(step_s).is_integer() or not (MIN_STEP_S <= step_s <= MAX_STEP_S) \
            or units.SECONDS_PER_HOUR % step_s != 0:
        raise InputError(
            f"expected a step between {MIN_STEP_S} and {MAX_STEP_S} s that divides one hour, got {step_s!r}",
            file=file, field=field,
        )
    return int(step_s)


def make_index(start: Any, *, step_s: float, periods: int | None = None, end: Any | None = None
               ) -> pd.DatetimeIndex:
    """A regular UTC time index.

    Parameters
    ----------
    start : timestamp
        First step's start (timezone-aware).
    step_s : float
        Step length [s].
    periods : int, optional
        Number of steps. Give this or ``end``.
    end : timestamp, optional
        End of the horizon (exclusive).

    Returns
    -------
    pandas.DatetimeIndex
        tz = UTC, freq = step.
    """
    t0 = to_utc(start, field="start")
    if (periods is None) == (end is None):
        raise InputError("give exactly one of periods or end", field="time index")
    if periods is None:
        t1 = to_utc(end, field="end")
        if t1 <= t0:
            raise InputError(f"expected end after start ({t0}), got {t1}", field="end")
        span_s = (t1 - t0).total_seconds()
        if span_s % step_s:
            raise InputError(f"expected the horizon ({span_s} s) to be a whole number of steps of {step_s} s",
                             field="end")
        periods = int(span_s // step_s)
    return pd.date_range(t0, periods=periods, freq=pd.Timedelta(seconds=step_s), name="time")


def check_index(idx: pd.Index, *, step_s: float, file: str | None = None, field: str = "time") -> None:
    """Check that ``idx`` is tz-aware UTC, strictly increasing and regular with step ``step_s`` [s].

    Raises
    ------
    InputError
        Naming the first offending row.
    """
    if not isinstance(idx, pd.DatetimeIndex):
        raise InputError("expected a time index", file=file, field=field)
    if idx.tz is None:
        raise InputError("expected timezone-aware UTC times, got naive ones", file=file, field=field)
    if len(idx) < 2:
        return
    d = np.diff(idx.as_unit("ns").asi8)
    step_ns = int(step_s * 1e9)
    bad = np.flatnonzero(d != step_ns)
    if bad.size:
        i = int(bad[0]) + 1
        got = d[bad[0]] / 1e9
        kind = "a duplicate timestamp" if got == 0 else ("times out of order" if got < 0 else "a gap")
        raise InputError(f"expected a regular step of {step_s:g} s, found {kind} ({got:g} s) at {idx[i]}",
                         file=file, field=field, row=i)


def local_time(idx: pd.DatetimeIndex, tz: str = "Asia/Shanghai") -> pd.DatetimeIndex:
    """Convert a UTC index to a local zone, for display and tariffs only."""
    return idx.tz_convert(tz)


def energy_kwh(power_kw: np.ndarray | float, step_s: float) -> np.ndarray | float:
    """Energy of power held over one step: energy [kWh] = power [kW] x step [s] / 3600.

    Examples
    --------
    >>> energy_kwh(4.0, 900)
    1.0
    """
    return power_kw * (step_s / units.SECONDS_PER_HOUR)


def as_datetime(ts: pd.Timestamp) -> datetime:
    """A plain tz-aware :class:`datetime.datetime` (UTC) from a pandas timestamp."""
    return ts.tz_convert(UTC).to_pydatetime()
