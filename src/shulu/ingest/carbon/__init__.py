"""Carbon-intensity importers and provider clients, all returning the tidy table of
:data:`shulu.ingest.carbon.tidy.CARBON_COLUMNS`.

Formats of :func:`read_carbon` (``shulu data import --format``):

==========================  ===================================================================
``electricitymaps-csv``     Electricity Maps CSV export (older or newer column set)
``electricitymaps-json``    a saved Electricity Maps API v3 answer (history, past-range, forecast)
``watttime-json``           a saved WattTime API v3 answer (historical, forecast); lb/MWh -> g/kWh
``casdk-json``              the Carbon Aware SDK's JSON emissions file
``csv``                     any CSV or Parquet table with a column mapping
==========================  ===================================================================
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from shulu.errors import InputError
from shulu.ingest.carbon import casdk, electricitymaps, generic, watttime
from shulu.ingest.carbon.tidy import CARBON_COLUMN_NAMES, CARBON_COLUMNS

#: Format name -> one-line description.
CARBON_FORMATS: dict[str, str] = {
    "electricitymaps-csv": "Electricity Maps CSV export (older or newer column set)",
    "electricitymaps-json": "saved Electricity Maps API v3 answer (history, past-range, forecast)",
    "watttime-json": "saved WattTime API v3 answer (historical, forecast)",
    "casdk-json": "Carbon Aware SDK JSON emissions file",
    "csv": "generic CSV or Parquet table with a column mapping",
}


def read_carbon(fmt: str, path: str | Path, *, basis: str = "direct", unit: str | None = None,
                mapping: generic.ColumnMapping | None = None) -> pd.DataFrame:
    """Read a carbon-intensity file of a given format into the tidy table.

    Parameters
    ----------
    fmt : str
        One of :data:`CARBON_FORMATS`.
    path : path
        Input file.
    basis : {"direct", "lifecycle"}
        Electricity Maps CSV: which intensity becomes ``intensity_g_per_kwh``.
    unit : str, optional
        Carbon Aware SDK ``Rating`` unit (default g/kWh); for ``csv`` the value unit (overrides the mapping's).
    mapping : ColumnMapping, optional
        Columns of a ``csv`` table.

    Returns
    -------
    pandas.DataFrame
        ``time`` (UTC), ``zone``, ``intensity_g_per_kwh`` [gCO2eq/kWh] and what the source has.
    """
    kw: dict[str, Any] = {}
    if fmt == "electricitymaps-csv":
        return electricitymaps.read_csv(path, basis=basis)
    if fmt == "electricitymaps-json":
        return electricitymaps.read_json(path)
    if fmt == "watttime-json":
        return watttime.read_json(path)
    if fmt == "casdk-json":
        return casdk.read_json(path, unit=unit or "g/kWh")
    if fmt == "csv":
        m = mapping or generic.ColumnMapping()
        if unit is not None:
            kw = {**m.__dict__, "unit": unit}
            m = generic.ColumnMapping(**kw)
        return generic.read_table(path, m)
    raise InputError(f"unknown format {fmt!r}; expected one of {list(CARBON_FORMATS)}", field="--format")


__all__ = ["CARBON_COLUMNS", "CARBON_COLUMN_NAMES", "CARBON_FORMATS", "read_carbon"]
