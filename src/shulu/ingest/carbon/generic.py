"""Any CSV or Parquet table of carbon intensity, with a column mapping.

The mapping names the time column, the value column and either a zone column or one zone for the whole file. The
unit comes from the mapping, or from the value column's name when it ends in a unit (``..._g_per_kwh``,
``..._kg_per_kwh``, ``..._lbs_per_mwh``, ``..._kg_per_mwh``, ``..._t_per_mwh``); otherwise it is an error, never a
guess. Times must carry an offset unless the mapping declares the zone naive times are in (``tz``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np
import pandas as pd

from shulu import units
from shulu.errors import InputError
from shulu.ingest.carbon.tidy import check_values, finish
from shulu.ingest.common import parse_times, to_float

PROVIDER: Final[str] = "csv"
#: Unit suffixes of a value column's name -> unit.
NAME_SUFFIX_UNITS: Final[dict[str, str]] = {"_g_per_kwh": "g/kWh", "_kg_per_kwh": "kg/kWh",
                                            "_lbs_per_mwh": "lbs/MWh", "_kg_per_mwh": "kg/MWh",
                                            "_t_per_mwh": "t/MWh"}


@dataclass(frozen=True)
class ColumnMapping:
    """Where things are in a generic table.

    Parameters
    ----------
    time : str
        Time column (start of each interval).
    value : str
        Carbon-intensity column.
    zone_column : str, optional
        Zone column; give this or ``zone``.
    zone : str, optional
        One zone for the whole file.
    unit : str, optional
        Unit of ``value``; default from the column's name.
    tz : str, optional
        Time zone of naive timestamps (``UTC``, ``Asia/Shanghai``); without it naive times are an error.
    """

    time: str = "time"
    value: str = "intensity_g_per_kwh"
    zone_column: str | None = None
    zone: str | None = None
    unit: str | None = None
    tz: str | None = None


def unit_of(mapping: ColumnMapping, *, file: str | None) -> float:
    """Factor to g/kWh for the mapping's value column."""
    unit = mapping.unit
    if unit is None:
        unit = next((u for s, u in NAME_SUFFIX_UNITS.items() if mapping.value.lower().endswith(s)), None)
        if unit is None:
            raise InputError(f"cannot tell the unit of column {mapping.value!r}: name it with a unit suffix "
                             f"({', '.join(NAME_SUFFIX_UNITS)}) or give the unit", file=file, field=mapping.value)
    try:
        return units.intensity_factor(unit)
    except KeyError:
        raise InputError(f"unknown unit {unit!r} for column {mapping.value!r}; expected one of "
                         f"{sorted(units.INTENSITY_UNITS_TO_G_PER_KWH)}", file=file, field=mapping.value) from None


def read_table(path: str | Path, mapping: ColumnMapping | None = None) -> pd.DataFrame:
    """Read a CSV or Parquet carbon-intensity table into the tidy table.

    Parameters
    ----------
    path : path
        ``.csv`` or ``.parquet``.
    mapping : ColumnMapping, optional
        Column names (default: ``time``, ``intensity_g_per_kwh`` and a ``zone`` column if there is one).
    """
    m = mapping or ColumnMapping()
    file = str(path)
    p = Path(path)
    try:
        if p.suffix.lower() == ".parquet":
            raw = pd.read_parquet(p)
        else:
            raw = pd.read_csv(p, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError("file not found", file=file) from None
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise InputError(f"could not read table: {exc}", file=file) from None
    zone_column = m.zone_column
    if zone_column is None and m.zone is None:
        if "zone" not in raw.columns:
            raise InputError("no zone: expected a 'zone' column, or name the zone column or one zone for the file",
                             file=file, field="zone")
        zone_column = "zone"
    for col in (m.time, m.value, zone_column):
        if col is not None and col not in raw.columns:
            raise InputError(f"missing column {col!r}; the table has {list(map(str, raw.columns))}", file=file,
                             field=col)
    factor = unit_of(m, file=file)
    rows = np.arange(len(raw), dtype=np.int64)
    tser = raw[m.time]
    if m.tz is not None:
        try:
            parsed = pd.to_datetime(tser, errors="coerce", format="ISO8601")
        except (ValueError, TypeError) as exc:
            raise InputError(f"could not parse times: {exc}", file=file, field=m.time) from None
        bad = parsed.isna().to_numpy()
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise InputError(f"expected a timestamp, got {tser.iloc[i]!r}", file=file, field=m.time, row=i)
        idx = pd.DatetimeIndex(parsed)
        try:
            times = idx.tz_localize(m.tz) if idx.tz is None else idx
        except Exception as exc:  # unknown zone, or a local time that does not exist / is ambiguous
            raise InputError(f"could not place the times in time zone {m.tz!r}: {exc}", file=file,
                             field=m.time) from None
        times = times.tz_convert("UTC")
    else:
        times = parse_times(tser, field=m.time, file=file, rows=rows)
    values = to_float(raw[m.value], field=m.value, file=file, rows=rows, what="a carbon intensity") * factor
    check_values(values, field=m.value, file=file, rows=rows)
    zones = raw[zone_column].astype(str).str.strip().to_numpy(dtype=object) if zone_column else \
        np.full(len(raw), str(m.zone), dtype=object)
    empty = zones == ""
    if empty.any():
        i = int(np.flatnonzero(empty)[0])
        raise InputError("expected a zone, got an empty value", file=file, field=zone_column, row=i)
    df = pd.DataFrame({"time": times, "zone": zones, "intensity_g_per_kwh": values})
    return finish(df, file=file, rows=rows, time_field=m.time, provider=PROVIDER)
