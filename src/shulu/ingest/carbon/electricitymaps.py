"""Electricity Maps: CSV exports (older and newer column sets) and API v3 (history, past range, forecast).

The edge tables below map the provider's names to ours (as pvlib maps each data source's variables). Both CSV
column sets give a direct (combustion) and a life-cycle intensity; ``basis`` picks the one that becomes
``intensity_g_per_kwh`` (default ``direct``, the GHG Protocol scope-2 location-based factor, as shulu's emissions
are). The API returns one basis per request (``emissionFactorType``, ``lifecycle`` unless asked).

CSV times are in the ``Datetime (UTC)`` column: the header declares UTC, so values without an offset are read as
UTC. Percentages become fractions.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd

from shulu import units
from shulu.errors import InputError
from shulu.ingest import common
from shulu.ingest.carbon.tidy import check_values, finish
from shulu.ingest.common import parse_times, to_float
from shulu.ingest.http import HttpClient, ProviderError
from shulu.timeindex import to_utc

PROVIDER: Final[str] = "electricitymaps"
BASES: Final[tuple[str, ...]] = ("direct", "lifecycle")

#: Older CSV exports (2021-2023 data portal): source column -> tidy column.
CSV_COLUMNS_OLDER: Final[dict[str, str]] = {
    "Datetime (UTC)": "time",
    "Zone Id": "zone",
    "Carbon Intensity gCO₂eq/kWh (direct)": "intensity_direct_g_per_kwh",
    "Carbon Intensity gCO₂eq/kWh (LCA)": "intensity_lca_g_per_kwh",
    "Low Carbon Percentage": "cfe_frac",
    "Renewable Percentage": "renewable_frac",
    "Data Source": "data_source",
    "Data Estimated": "is_estimated",
    "Data Estimation Method": "estimation_method",
}
#: Newer CSV exports (2024 on): source column -> tidy column.
CSV_COLUMNS_NEWER: Final[dict[str, str]] = {
    "Datetime (UTC)": "time",
    "Zone id": "zone",
    "Carbon intensity gCO₂eq/kWh (direct)": "intensity_direct_g_per_kwh",
    "Carbon intensity gCO₂eq/kWh (Life cycle)": "intensity_lca_g_per_kwh",
    "Carbon-free energy percentage (CFE%)": "cfe_frac",
    "Renewable energy percentage (RE%)": "renewable_frac",
    "Data source": "data_source",
    "Data estimated": "is_estimated",
    "Data estimation method": "estimation_method",
}
#: Columns both sets carry that shulu does not keep.
CSV_IGNORED: Final[frozenset[str]] = frozenset({"country", "zone name"})
#: API v3 item field -> tidy column.
API_FIELDS: Final[dict[str, str]] = {
    "datetime": "time",
    "zone": "zone",
    "carbonIntensity": "intensity_g_per_kwh",
    "emissionFactorType": "emission_factor_type",
    "isEstimated": "is_estimated",
    "estimationMethod": "estimation_method",
}
_PERCENT = ("cfe_frac", "renewable_frac")
_INTENSITY_RE = re.compile(r"^carbon intensity\s+(?P<unit>\S+)\s+\((?P<basis>direct|lca|life cycle)\)$")
_BOOL = {"true": True, "false": False, "1": True, "0": False, "yes": True, "no": False}


def _norm(name: str) -> str:
    return " ".join(str(name).replace("₂", "2").split()).lower()


def _check_basis(basis: str) -> None:
    if basis not in BASES:
        raise InputError(f"expected basis 'direct' or 'lifecycle', got {basis!r}", field="basis")


def _bools(values: pd.Series, *, field: str, file: str, rows: np.ndarray) -> np.ndarray:
    low = values.astype(str).str.strip().str.lower()
    bad = ~low.isin(list(_BOOL)).to_numpy() & ~values.isna().to_numpy()
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(f"expected true/false, got {values.iloc[i]!r}", file=file, field=field, row=int(rows[i]))
    return low.map(_BOOL).fillna(False).to_numpy(dtype=bool)


def _csv_mapping(columns: list[str], file: str) -> tuple[dict[str, str], dict[str, float], str]:
    """Source column -> tidy column, unit factor of each intensity column, and which set it is."""
    known_old = {_norm(k): v for k, v in CSV_COLUMNS_OLDER.items()}
    known_new = {_norm(k): v for k, v in CSV_COLUMNS_NEWER.items()}
    mapping: dict[str, str] = {}
    factors: dict[str, float] = {}
    n_old = n_new = 0
    for col in columns:
        key = _norm(col)
        m = _INTENSITY_RE.match(key)
        if m is not None:
            target = "intensity_direct_g_per_kwh" if m["basis"] == "direct" else "intensity_lca_g_per_kwh"
            try:
                factors[target] = units.intensity_factor(m["unit"])
            except KeyError:
                raise InputError(f"unknown unit {m['unit']!r} in column {col!r}; expected gCO₂eq/kWh (or "
                                 f"another of {sorted(units.INTENSITY_UNITS_TO_G_PER_KWH)})", file=file,
                                 field=col, row=None) from None
            mapping[col] = target
            n_old += m["basis"] == "lca"
            n_new += m["basis"] == "life cycle"
        elif key in known_old or key in known_new:
            mapping[col] = known_old.get(key) or known_new[key]
            n_old += key in known_old and key not in known_new
            n_new += key in known_new and key not in known_old
        elif key in CSV_IGNORED:
            continue
        else:
            raise InputError(f"unexpected column {col!r} in an Electricity Maps CSV export; expected the columns "
                             f"{list(CSV_COLUMNS_NEWER)} (newer) or {list(CSV_COLUMNS_OLDER)} (older)",
                             file=file, field=col)
    for need, label in (("time", "Datetime (UTC)"), ("zone", "Zone id")):
        if need not in mapping.values():
            raise InputError(f"missing column {label!r}; expected an Electricity Maps CSV export with columns "
                             f"{list(CSV_COLUMNS_NEWER)} (newer) or {list(CSV_COLUMNS_OLDER)} (older)",
                             file=file, field=label)
    return mapping, factors, "older" if n_old >= n_new else "newer"


def read_csv(path: str | Path, *, basis: str = "direct") -> pd.DataFrame:
    """Read an Electricity Maps CSV export (hourly, daily; older or newer column set) into the tidy table.

    Parameters
    ----------
    path : path
        The CSV file.
    basis : {"direct", "lifecycle"}
        Which intensity becomes ``intensity_g_per_kwh``.

    Returns
    -------
    pandas.DataFrame
        Tidy carbon table (see :data:`shulu.ingest.carbon.tidy.CARBON_COLUMNS`).
    """
    _check_basis(basis)
    file = str(path)
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError("file not found", file=file) from None
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InputError(f"malformed CSV: {exc}", file=file) from None
    mapping, factors, _ = _csv_mapping(list(raw.columns), file)
    inverse = {v: k for k, v in mapping.items()}
    rows = np.arange(len(raw), dtype=np.int64)
    out: dict[str, Any] = {}
    tcol = inverse["time"]
    out["time"] = parse_times(raw[tcol], field=tcol, file=file, rows=rows, assume_utc=True)
    zcol = inverse["zone"]
    empty_zone = (raw[zcol].str.strip() == "").to_numpy()
    if empty_zone.any():
        i = int(np.flatnonzero(empty_zone)[0])
        raise InputError("expected a zone id, got an empty value", file=file, field=zcol, row=i)
    out["zone"] = raw[zcol].str.strip().to_numpy(dtype=object)
    want = "intensity_direct_g_per_kwh" if basis == "direct" else "intensity_lca_g_per_kwh"
    if want not in inverse:
        label = "Carbon intensity gCO₂eq/kWh (direct)" if basis == "direct" else \
            "Carbon intensity gCO₂eq/kWh (Life cycle)"
        raise InputError(f"missing column {label!r} for basis {basis!r}", file=file, field=label)
    for target in ("intensity_direct_g_per_kwh", "intensity_lca_g_per_kwh"):
        if target in inverse:
            col = inverse[target]
            v = to_float(raw[col], field=col, file=file, rows=rows, what="a carbon intensity [gCO₂eq/kWh]",
                         allow_missing=target != want) * factors[target]
            if target == want:
                check_values(v, field=col, file=file, rows=rows)
            out[target] = v
    out["intensity_g_per_kwh"] = out[want]
    out["emission_factor_type"] = basis
    for target in _PERCENT:
        if target in inverse:
            col = inverse[target]
            v = to_float(raw[col], field=col, file=file, rows=rows, what="a percentage", allow_missing=True)
            ok = np.isnan(v) | ((v >= 0) & (v <= units.PERCENT_PER_FRAC))
            if not ok.all():
                i = int(np.flatnonzero(~ok)[0])
                raise InputError(f"expected a percentage in [0, 100] [%], got {v[i]!r}", file=file, field=col, row=i)
            out[target] = v / units.PERCENT_PER_FRAC
    if "is_estimated" in inverse:
        col = inverse["is_estimated"]
        out["is_estimated"] = _bools(raw[col], field=col, file=file, rows=rows)
    for target in ("data_source", "estimation_method"):
        if target in inverse:
            out[target] = raw[inverse[target]].to_numpy(dtype=object)
    return finish(pd.DataFrame(out), file=file, rows=rows, time_field=tcol, provider=PROVIDER)


def parse_api(body: Any, *, file: str | None = None, zone: str | None = None) -> pd.DataFrame:
    """Turn an Electricity Maps API v3 carbon-intensity answer (history, past-range, forecast, latest) into the
    tidy table.

    Parameters
    ----------
    body : dict
        The decoded JSON: ``{"zone", "history": [...]}``, ``{"zone", "data": [...]}``,
        ``{"zone", "forecast": [...]}`` or one latest object.
    file : str, optional
        Where the body came from, for error messages.
    zone : str, optional
        Zone to use where neither the item nor the body names one.
    """
    if not isinstance(body, dict):
        raise InputError(f"expected a JSON object, got {type(body).__name__}", file=file)
    key = next((k for k in ("history", "data", "forecast") if k in body), None)
    if key is None:
        if "carbonIntensity" not in body:
            raise InputError("expected an Electricity Maps carbon-intensity answer with 'history', 'data' or "
                             f"'forecast' (or one 'carbonIntensity'); got keys {sorted(body)}", file=file)
        items: list[Any] = [body]
        key = "item"
    else:
        items = body[key]
        if not isinstance(items, list):
            raise InputError(f"expected a list, got {type(items).__name__}", file=file, field=key)
    unit = body.get("unit")
    factor = 1.0
    if unit is not None:
        try:
            factor = units.intensity_factor(str(unit))
        except KeyError:
            raise InputError(f"unknown unit {unit!r}; expected gCO2eq/kWh", file=file, field="unit") from None
    top_zone = body.get("zone", zone)
    times: list[Any] = []
    zones: list[Any] = []
    values: list[float] = []
    eft: list[str] = []
    est: list[bool] = []
    method: list[Any] = []
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise InputError(f"expected an object, got {item!r}", file=file, field=key, row=i)
        for need in ("datetime", "carbonIntensity"):
            if need not in item:
                raise InputError(f"missing field {need!r}", file=file, field=need, row=i)
        v = item["carbonIntensity"]
        if v is None or isinstance(v, bool) or not isinstance(v, int | float):
            raise InputError(f"expected a carbon intensity [gCO2eq/kWh], got {v!r}", file=file,
                             field="carbonIntensity", row=i)
        z = item.get("zone", top_zone)
        if z is None:
            raise InputError("no zone: neither the item nor the answer names one", file=file, field="zone", row=i)
        times.append(item["datetime"])
        zones.append(str(z))
        values.append(float(v) * factor)
        eft.append(str(item.get("emissionFactorType") or "lifecycle"))
        est.append(bool(item.get("isEstimated", False)))
        method.append(item.get("estimationMethod"))
    rows = np.arange(len(items), dtype=np.int64)
    arr = np.asarray(values, dtype=np.float64)
    check_values(arr, field="carbonIntensity", file=file, rows=rows)
    df = pd.DataFrame({
        "time": parse_times(times, field="datetime", file=file, rows=rows),
        "zone": zones, "intensity_g_per_kwh": arr,
    })
    if all(e in BASES for e in eft):
        df["intensity_direct_g_per_kwh"] = np.where(np.array(eft) == "direct", arr, np.nan)
        df["intensity_lca_g_per_kwh"] = np.where(np.array(eft) == "lifecycle", arr, np.nan)
    df["emission_factor_type"] = eft
    df["is_estimated"] = est
    df["estimation_method"] = pd.Series(method, dtype=object)
    return finish(df, file=file, rows=rows, time_field="datetime", provider=PROVIDER)


def read_json(path: str | Path) -> pd.DataFrame:
    """Read a saved Electricity Maps API v3 answer (a JSON file) into the tidy table."""
    return parse_api(common.read_json(path), file=str(path))


class ElectricityMapsClient:
    """Electricity Maps API v3 client: carbon-intensity history, past range and forecast.

    Parameters
    ----------
    api_key : str
        Sent as the ``auth-token`` header.
    base_url : str
        API root.
    basis : {"direct", "lifecycle"}
        ``emissionFactorType`` asked for.
    transport : httpx.BaseTransport, optional
        For tests (recorded answers).
    sleep : callable, optional
        Back-off wait (tests pass a no-op).
    """

    BASE_URL: Final[str] = "https://api.electricitymap.org/v3"
    #: Longest span one past-range request may cover [h] (the API limits hourly ranges to 10 days).
    MAX_RANGE_H: Final[int] = 240

    def __init__(self, api_key: str, *, base_url: str = BASE_URL, basis: str = "direct",
                 transport: Any = None, sleep: Callable[[float], None] | None = None,
                 attempts: int = 4, timeout_s: float = 20.0) -> None:
        _check_basis(basis)
        if not api_key:
            raise InputError("expected an Electricity Maps API key", field="api_key")
        self.basis = basis
        kw: dict[str, Any] = {"transport": transport, "attempts": attempts, "timeout_s": timeout_s}
        if sleep is not None:
            kw["sleep"] = sleep
        self.http = HttpClient(base_url, headers={"auth-token": api_key}, **kw)

    def close(self) -> None:
        """Close the HTTP client."""
        self.http.close()

    def _get(self, path: str, params: Mapping[str, Any]) -> pd.DataFrame:
        body = self.http.get_json(path, params={**params, "emissionFactorType": self.basis},
                                  what="Electricity Maps")
        try:
            return parse_api(body, file=self.http.url(path), zone=str(params.get("zone")))
        except InputError as exc:
            raise ProviderError(f"Electricity Maps answered something unusable: {exc}") from None

    def history(self, zone: str) -> pd.DataFrame:
        """The last 24 hours (``/carbon-intensity/history``)."""
        return self._get("carbon-intensity/history", {"zone": zone})

    def forecast(self, zone: str) -> pd.DataFrame:
        """The forecast (``/carbon-intensity/forecast``)."""
        return self._get("carbon-intensity/forecast", {"zone": zone})

    def past_range(self, zone: str, start: Any, end: Any) -> pd.DataFrame:
        """Hourly values in [start, end) (``/carbon-intensity/past-range``), in requests of at most 10 days."""
        t0, t1 = to_utc(start, field="start"), to_utc(end, field="end")
        if t1 <= t0:
            raise InputError(f"expected end after start ({t0}), got {t1}", field="end")
        parts = []
        a = t0
        while a < t1:
            b = min(t1, a + pd.Timedelta(hours=self.MAX_RANGE_H))
            parts.append(self._get("carbon-intensity/past-range",
                                   {"zone": zone, "start": a.isoformat(), "end": b.isoformat()}))
            a = b
        df = pd.concat(parts, ignore_index=True).drop_duplicates(subset=["zone", "time"], keep="first")
        df = df[(df["time"] >= t0) & (df["time"] < t1)].reset_index(drop=True)
        return finish(df, file=None, rows=np.arange(len(df), dtype=np.int64), provider=PROVIDER)
