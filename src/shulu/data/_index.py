"""Index checks shared by the profile synthesisers: tz-aware in, UTC out, regular step.

Examples
--------
>>> import pandas as pd
>>> idx, step_s = utc_index(pd.date_range("2025-01-01T08:00+08:00", periods=3, freq="5min"))
>>> str(idx[0]), step_s
('2025-01-01 00:00:00+00:00', 300.0)
"""

from __future__ import annotations

import pandas as pd

from shulu import timeindex
from shulu.errors import InputError


def utc_index(index: pd.DatetimeIndex, *, field: str = "index", regular: bool = True
              ) -> tuple[pd.DatetimeIndex, float]:
    """Check a time index and return it in UTC with its step.

    Parameters
    ----------
    index : pandas.DatetimeIndex
        Timezone-aware times (any zone; converted to UTC). Naive times are rejected.
    field : str
        Name used in error messages.
    regular : bool
        Require at least two steps of one constant length (AR(1) processes need the step).

    Returns
    -------
    (pandas.DatetimeIndex, float)
        The index in UTC, and its step [s] (``nan`` when ``regular`` is false and there is one time).

    Raises
    ------
    InputError
        Not a DatetimeIndex, naive, too short, or irregular.
    """
    if not isinstance(index, pd.DatetimeIndex):
        raise InputError(f"expected a timezone-aware (UTC) DatetimeIndex, got {type(index).__name__}", field=field)
    if index.tz is None:
        raise InputError("expected a timezone-aware (UTC) DatetimeIndex, got naive times", field=field)
    utc = index.tz_convert(timeindex.UTC)
    if len(utc) < 2:
        if regular:
            raise InputError(f"expected at least two time steps, got {len(utc)}", field=field)
        return utc, float("nan")
    step_s = float((utc[1] - utc[0]).total_seconds())
    if regular:
        if step_s <= 0:
            raise InputError(f"expected increasing times, got a step of {step_s:g} s", field=field)
        timeindex.check_index(utc, step_s=step_s, field=field)
    return utc, step_s
