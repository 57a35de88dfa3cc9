"""The Carbon Aware SDK's JSON emissions file (its ``JsonDataSource``), and its API's emissions answers.

The file is ``{"Date": ..., "Emissions": [{"Location", "Time", "Rating", "Duration"}, ...]}``; the SDK's web API
and CLI return a bare list of the same records in lower camel case, which is read as well. ``Rating`` is in the unit
of the SDK's data source (g/kWh for Electricity Maps, lb/MWh for WattTime): pass ``unit``. ``Duration`` is a .NET
``TimeSpan`` (``hh:mm:ss`` or ``d.hh:mm:ss``).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd

from shulu import units
from shulu.errors import InputError
from shulu.ingest import common
from shulu.ingest.carbon.tidy import check_values, finish
from shulu.ingest.common import parse_times

PROVIDER: Final[str] = "casdk"
#: File field (case-insensitive) -> tidy column.
FIELDS: Final[dict[str, str]] = {"location": "zone", "time": "time", "rating": "intensity_g_per_kwh",
                                 "duration": "duration_s"}
_TIMESPAN = re.compile(r"^(?:(?P<d>\d+)\.)?(?P<h>\d{1,2}):(?P<m>\d{2}):(?P<s>\d{2}(?:\.\d+)?)$")


def timespan_s(text: str) -> float:
    """Seconds in a .NET ``TimeSpan`` string.

    Examples
    --------
    >>> timespan_s("01:00:00"), timespan_s("1.00:30:00")
    (3600.0, 88200.0)
    """
    m = _TIMESPAN.match(text.strip())
    if m is None:
        raise ValueError(text)
    return (float(m["d"] or 0) * units.SECONDS_PER_DAY + float(m["h"]) * units.SECONDS_PER_HOUR
            + float(m["m"]) * units.SECONDS_PER_MINUTE + float(m["s"]))


def parse(body: Any, *, file: str | None = None, unit: str = "g/kWh") -> pd.DataFrame:
    """Turn a Carbon Aware SDK emissions file (or API answer) into the tidy table.

    Parameters
    ----------
    body : dict or list
        ``{"Emissions": [...]}`` or a list of emissions records.
    file : str, optional
        Source, for error messages.
    unit : str
        Unit of ``Rating`` (``g/kWh`` or ``lbs/MWh`` ...).
    """
    try:
        factor = units.intensity_factor(unit)
    except KeyError:
        raise InputError(f"unknown rating unit {unit!r}; expected one of "
                         f"{sorted(units.INTENSITY_UNITS_TO_G_PER_KWH)}", file=file, field="unit") from None
    if isinstance(body, dict):
        key = next((k for k in body if str(k).lower() == "emissions"), None)
        if key is None:
            raise InputError(f"expected a Carbon Aware SDK emissions file with an 'Emissions' list; got keys "
                             f"{sorted(body)}", file=file)
        items = body[key]
        if not isinstance(items, list):
            raise InputError(f"expected a list, got {type(items).__name__}", file=file, field=str(key))
    elif isinstance(body, list):
        items = body
    else:
        raise InputError(f"expected a JSON object or list, got {type(body).__name__}", file=file)
    times, zones, values, durations = [], [], [], []
    for i, raw in enumerate(items):
        if not isinstance(raw, dict):
            raise InputError(f"expected an object, got {raw!r}", file=file, field="Emissions", row=i)
        item = {str(k).lower(): v for k, v in raw.items()}
        for need in ("location", "time", "rating"):
            if need not in item:
                raise InputError(f"missing field {need.capitalize()!r}", file=file, field=need.capitalize(), row=i)
        v = item["rating"]
        if v is None or isinstance(v, bool) or not isinstance(v, int | float):
            raise InputError(f"expected a rating [{unit}], got {v!r}", file=file, field="Rating", row=i)
        dur = item.get("duration")
        if dur is None:
            durations.append(np.nan)
        else:
            try:
                durations.append(timespan_s(str(dur)))
            except ValueError:
                raise InputError(f"expected a duration like '01:00:00' or '1.00:00:00', got {dur!r}", file=file,
                                 field="Duration", row=i) from None
        times.append(item["time"])
        zones.append(str(item["location"]))
        values.append(float(v) * factor)
    rows = np.arange(len(items), dtype=np.int64)
    arr = np.asarray(values, dtype=np.float64)
    check_values(arr, field="Rating", file=file, rows=rows)
    df = pd.DataFrame({"time": parse_times(times, field="Time", file=file, rows=rows), "zone": zones,
                       "intensity_g_per_kwh": arr})
    dur_arr = np.asarray(durations, dtype=np.float64)
    if not np.isnan(dur_arr).all():
        df["duration_s"] = dur_arr
    return finish(df, file=file, rows=rows, time_field="Time", provider=PROVIDER)


def read_json(path: str | Path, *, unit: str = "g/kWh") -> pd.DataFrame:
    """Read a Carbon Aware SDK emissions JSON file into the tidy table."""
    return parse(common.read_json(path), file=str(path), unit=unit)
