"""WattTime API v3: login (basic auth -> bearer token), historical and forecast signals.

WattTime's ``co2_moer`` is a *marginal* operating emission rate in lb/MWh (``meta.units``
``lbs_co2_per_mwh``); it is converted to g/kWh with :data:`shulu.units.LBS_PER_MWH_TO_G_PER_KWH` and marked
``emission_factor_type = marginal`` — not the average intensity Electricity Maps gives, so do not mix the two in
one scenario without saying so. ``point_time`` is the start of each ``data_point_period_seconds`` interval.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd

from shulu import units
from shulu.errors import InputError
from shulu.ingest import common
from shulu.ingest.carbon.tidy import check_values, finish
from shulu.ingest.common import parse_times
from shulu.ingest.http import HttpClient, ProviderError
from shulu.timeindex import to_utc

PROVIDER: Final[str] = "watttime"
#: API field -> tidy column.
API_FIELDS: Final[dict[str, str]] = {
    "point_time": "time",
    "value": "intensity_g_per_kwh",
    "meta.region": "zone",
    "meta.data_point_period_seconds": "duration_s",
    "meta.signal_type": "emission_factor_type",
}
#: WattTime signal types that are carbon intensities -> what kind of factor they are.
SIGNAL_TYPES: Final[dict[str, str]] = {"co2_moer": "marginal", "co2_aoer": "average"}


def parse_api(body: Any, *, file: str | None = None, region: str | None = None) -> pd.DataFrame:
    """Turn a WattTime v3 ``/historical`` or ``/forecast`` answer into the tidy table.

    Parameters
    ----------
    body : dict
        ``{"data": [{"point_time", "value"}, ...], "meta": {"region", "signal_type", "units", ...}}``.
    file : str, optional
        Where it came from, for error messages.
    region : str, optional
        Zone to use if ``meta.region`` is absent.
    """
    if not isinstance(body, dict) or "data" not in body:
        raise InputError("expected a WattTime v3 answer: an object with 'data' and 'meta'", file=file)
    meta = body.get("meta") or {}
    if not isinstance(meta, dict):
        raise InputError(f"expected an object, got {type(meta).__name__}", file=file, field="meta")
    unit = meta.get("units")
    if unit is None:
        raise InputError("missing meta.units; expected 'lbs_co2_per_mwh' (or another intensity unit)", file=file,
                         field="meta.units")
    try:
        factor = units.intensity_factor(str(unit))
    except KeyError:
        raise InputError(f"unknown unit {unit!r}; expected 'lbs_co2_per_mwh' (or another intensity unit such as "
                         "'g/kWh')", file=file, field="meta.units") from None
    signal = str(meta.get("signal_type", "co2_moer"))
    if signal not in SIGNAL_TYPES:
        raise InputError(f"signal_type {signal!r} is not a carbon intensity; expected one of {list(SIGNAL_TYPES)}",
                         file=file, field="meta.signal_type")
    zone = meta.get("region", region)
    if zone is None:
        raise InputError("no region: expected meta.region", file=file, field="meta.region")
    data = body["data"]
    if not isinstance(data, list):
        raise InputError(f"expected a list, got {type(data).__name__}", file=file, field="data")
    times: list[Any] = []
    values: list[float] = []
    for i, item in enumerate(data):
        if not isinstance(item, dict):
            raise InputError(f"expected an object, got {item!r}", file=file, field="data", row=i)
        if "forecast" in item:
            raise InputError("this is a historical-forecast answer (many forecasts); import a /v3/historical or "
                             "/v3/forecast answer", file=file, field="forecast", row=i)
        for need in ("point_time", "value"):
            if need not in item:
                raise InputError(f"missing field {need!r}", file=file, field=need, row=i)
        v = item["value"]
        if v is None or isinstance(v, bool) or not isinstance(v, int | float):
            raise InputError(f"expected a number [{unit}], got {v!r}", file=file, field="value", row=i)
        times.append(item["point_time"])
        values.append(float(v) * factor)
    rows = np.arange(len(data), dtype=np.int64)
    arr = np.asarray(values, dtype=np.float64)
    check_values(arr, field="value", file=file, rows=rows)
    df = pd.DataFrame({"time": parse_times(times, field="point_time", file=file, rows=rows),
                       "zone": str(zone), "intensity_g_per_kwh": arr,
                       "emission_factor_type": SIGNAL_TYPES[signal]})
    period = meta.get("data_point_period_seconds")
    if isinstance(period, int | float) and not isinstance(period, bool):
        df["duration_s"] = float(period)
    return finish(df, file=file, rows=rows, time_field="point_time", provider=PROVIDER)


def read_json(path: str | Path) -> pd.DataFrame:
    """Read a saved WattTime v3 answer (JSON file) into the tidy table."""
    return parse_api(common.read_json(path), file=str(path))


class WattTimeClient:
    """WattTime API v3 client.

    Parameters
    ----------
    username, password : str
        Account; ``/login`` exchanges them (HTTP basic auth) for a bearer token, renewed once on a 401.
    signal_type : str
        ``co2_moer`` (default) or ``co2_aoer``.
    base_url : str
        API root.
    transport : httpx.BaseTransport, optional
        For tests (recorded answers).
    sleep : callable, optional
        Back-off wait (tests pass a no-op).
    """

    BASE_URL: Final[str] = "https://api.watttime.org"
    #: Longest span one historical request may cover [day] (the API limits a request to 32 days).
    MAX_RANGE_DAYS: Final[int] = 30

    def __init__(self, username: str, password: str, *, signal_type: str = "co2_moer", base_url: str = BASE_URL,
                 transport: Any = None, sleep: Callable[[float], None] | None = None, attempts: int = 4,
                 timeout_s: float = 20.0) -> None:
        if not username or not password:
            raise InputError("expected a WattTime username and password", field="username")
        if signal_type not in SIGNAL_TYPES:
            raise InputError(f"expected signal_type in {list(SIGNAL_TYPES)}, got {signal_type!r}",
                             field="signal_type")
        self.username, self.password, self.signal_type = username, password, signal_type
        kw: dict[str, Any] = {"transport": transport, "attempts": attempts, "timeout_s": timeout_s}
        if sleep is not None:
            kw["sleep"] = sleep
        self.http = HttpClient(base_url, **kw)
        self._token: str | None = None

    def close(self) -> None:
        """Close the HTTP client."""
        self.http.close()

    def login(self) -> str:
        """Exchange the account for a bearer token (``GET /login`` with basic auth)."""
        body = self.http.get_json("login", auth=(self.username, self.password), what="WattTime login")
        token = body.get("token") if isinstance(body, dict) else None
        if not token:
            raise ProviderError("WattTime login: expected a 'token' in the answer")
        self._token = str(token)
        return self._token

    def _get(self, path: str, params: dict[str, Any]) -> pd.DataFrame:
        if self._token is None:
            self.login()
        params = {**params, "signal_type": self.signal_type}
        try:
            body = self.http.get_json(path, params=params, headers={"Authorization": f"Bearer {self._token}"},
                                      what="WattTime")
        except ProviderError as exc:
            if "HTTP 401" not in str(exc):
                raise
            self.login()  # the token expired (they last 30 minutes): renew once
            body = self.http.get_json(path, params=params, headers={"Authorization": f"Bearer {self._token}"},
                                      what="WattTime")
        try:
            return parse_api(body, file=self.http.url(path), region=str(params.get("region")))
        except InputError as exc:
            raise ProviderError(f"WattTime answered something unusable: {exc}") from None

    def historical(self, region: str, start: Any, end: Any) -> pd.DataFrame:
        """Signal values in [start, end) (``/v3/historical``), in requests of at most 30 days."""
        t0, t1 = to_utc(start, field="start"), to_utc(end, field="end")
        if t1 <= t0:
            raise InputError(f"expected end after start ({t0}), got {t1}", field="end")
        parts = []
        a = t0
        while a < t1:
            b = min(t1, a + pd.Timedelta(days=self.MAX_RANGE_DAYS))
            parts.append(self._get("v3/historical", {"region": region, "start": a.isoformat(),
                                                     "end": b.isoformat()}))
            a = b
        df = pd.concat(parts, ignore_index=True).drop_duplicates(subset=["zone", "time"], keep="first")
        df = df[(df["time"] >= t0) & (df["time"] < t1)].reset_index(drop=True)
        return finish(df, file=None, rows=np.arange(len(df), dtype=np.int64), provider=PROVIDER)

    def forecast(self, region: str, horizon_hours: int = 24) -> pd.DataFrame:
        """The current forecast (``/v3/forecast``)."""
        return self._get("v3/forecast", {"region": region, "horizon_hours": int(horizon_hours)})
