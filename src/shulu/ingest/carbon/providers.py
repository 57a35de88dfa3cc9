"""Carbon-intensity providers tried in a configured order, with an on-disk cache.

A :class:`Provider` has one verb, ``fetch(zone, start, end)``, returning the tidy table for ``[start, end)``.
:class:`ProviderChain` asks each provider in turn and returns the first complete answer; what each one said when it
failed is kept, and if none delivers, one :class:`~shulu.ingest.http.ProviderError` lists them all. Answers are
cached as Parquet files keyed by provider, zone, range and settings, so a second run needs no network.

A configuration (YAML or a dict) lists the providers; credentials come from environment variables, never from the
file::

    cache_dir: ~/.cache/shulu/carbon
    providers:
      - name: electricitymaps
        api_key_env: ELECTRICITYMAPS_API_KEY
        basis: direct
        zones: {west: CN-NW}          # our name -> the provider's zone (default: the same)
      - name: watttime
        username_env: WATTTIME_USERNAME
        password_env: WATTTIME_PASSWORD
        zones: {west: CAISO_NORTH}
      - name: file
        format: electricitymaps-csv
        path: data/CN_2024_hourly.csv
"""

from __future__ import annotations

import hashlib
import json
import os
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from shulu.errors import InputError
from shulu.ingest.carbon.electricitymaps import ElectricityMapsClient
from shulu.ingest.carbon.generic import ColumnMapping
from shulu.ingest.carbon.tidy import finish
from shulu.ingest.carbon.watttime import WattTimeClient
from shulu.ingest.common import write_table
from shulu.ingest.http import ProviderError
from shulu.timeindex import to_utc


class Provider(ABC):
    """A source of carbon intensity for a zone and a time range.

    Parameters
    ----------
    zones : mapping, optional
        Our zone name -> the provider's (default: the same name).
    """

    name: ClassVar[str] = "provider"

    def __init__(self, zones: Mapping[str, str] | None = None) -> None:
        self.zones = dict(zones or {})

    def zone_of(self, zone: str) -> str:
        """The provider's name for ``zone``."""
        return self.zones.get(zone, zone)

    def settings(self) -> dict[str, Any]:
        """What, besides zone and range, changes the answer (part of the cache key)."""
        return {}

    @abstractmethod
    def fetch(self, zone: str, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
        """The tidy table for the provider's ``zone`` in ``[start, end)``."""


class ElectricityMapsProvider(Provider):
    """Electricity Maps API v3 (``past-range``)."""

    name: ClassVar[str] = "electricitymaps"

    def __init__(self, client: ElectricityMapsClient, zones: Mapping[str, str] | None = None) -> None:
        super().__init__(zones)
        self.client = client

    def settings(self) -> dict[str, Any]:
        """The basis asked for."""
        return {"basis": self.client.basis}

    def fetch(self, zone: str, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
        """Hourly values from the API."""
        return self.client.past_range(zone, start, end)


class WattTimeProvider(Provider):
    """WattTime API v3 (``historical``)."""

    name: ClassVar[str] = "watttime"

    def __init__(self, client: WattTimeClient, zones: Mapping[str, str] | None = None) -> None:
        super().__init__(zones)
        self.client = client

    def settings(self) -> dict[str, Any]:
        """The signal type asked for."""
        return {"signal_type": self.client.signal_type}

    def fetch(self, zone: str, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
        """Values from the API (5-minute for co2_moer)."""
        return self.client.historical(zone, start, end)


class FileProvider(Provider):
    """A local file in one of the import formats; delivers only if it covers the whole range."""

    name: ClassVar[str] = "file"

    def __init__(self, path: str | Path, fmt: str, *, zones: Mapping[str, str] | None = None,
                 basis: str = "direct", mapping: ColumnMapping | None = None) -> None:
        super().__init__(zones)
        self.path, self.fmt, self.basis, self.mapping = Path(path), fmt, basis, mapping

    def settings(self) -> dict[str, Any]:
        """File, its modification time and format."""
        st = self.path.stat() if self.path.exists() else None
        return {"path": str(self.path.resolve()), "mtime_ns": st.st_mtime_ns if st else 0, "format": self.fmt,
                "basis": self.basis}

    def fetch(self, zone: str, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
        """The file's rows for the zone and range."""
        from shulu.ingest.carbon import read_carbon

        df = read_carbon(self.fmt, self.path, basis=self.basis, mapping=self.mapping)
        df = df[(df["zone"] == zone) & (df["time"] >= start) & (df["time"] < end)].reset_index(drop=True)
        if df.empty:
            raise ProviderError(f"file {self.path} has no values for zone {zone!r} in [{start}, {end})")
        return df


def covers(df: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> bool:
    """True if a tidy single-zone table covers [start, end) (first value at or before start, last interval
    reaching end)."""
    if df.empty:
        return False
    t = pd.DatetimeIndex(df["time"])
    step = (t[1] - t[0]) if len(t) > 1 else pd.Timedelta(seconds=float(df["duration_s"].iloc[0])) \
        if "duration_s" in df.columns else pd.Timedelta(0)
    return bool(t[0] <= start and t[-1] + step >= end)


class ProviderChain:
    """Providers tried in order, answers cached on disk.

    Parameters
    ----------
    providers : sequence of Provider
        In the order to try.
    cache_dir : path, optional
        Folder for cached answers (none: no cache).
    """

    def __init__(self, providers: Sequence[Provider], cache_dir: str | Path | None = None) -> None:
        if not providers:
            raise InputError("expected at least one provider", field="providers")
        self.providers = list(providers)
        self.cache_dir = Path(cache_dir).expanduser() if cache_dir is not None else None
        #: What each provider said on the last fetch: (provider, "ok" / "cache" / the error).
        self.log: list[tuple[str, str]] = []

    def _cache_file(self, p: Provider, zone: str, start: pd.Timestamp, end: pd.Timestamp) -> Path | None:
        if self.cache_dir is None:
            return None
        key = json.dumps({"provider": p.name, "zone": zone, "start": start.isoformat(), "end": end.isoformat(),
                          **p.settings()}, sort_keys=True)
        digest = hashlib.sha256(key.encode()).hexdigest()[:20]
        safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in zone)
        return self.cache_dir / f"{p.name}-{safe}-{digest}.parquet"

    def fetch(self, zone: str, start: Any, end: Any) -> pd.DataFrame:
        """The first complete answer for ``zone`` in ``[start, end)``; the ``zone`` column holds our name.

        Raises
        ------
        ProviderError
            Listing every provider's failure if none delivered.
        """
        t0, t1 = to_utc(start, field="start"), to_utc(end, field="end")
        if t1 <= t0:
            raise InputError(f"expected end after start ({t0}), got {t1}", field="end")
        self.log = []
        for p in self.providers:
            pz = p.zone_of(zone)
            cfile = self._cache_file(p, pz, t0, t1)
            if cfile is not None and cfile.exists():
                self.log.append((p.name, "cache"))
                df = pd.read_parquet(cfile)
                return df.assign(zone=zone)
            try:
                df = p.fetch(pz, t0, t1)
            except (InputError, OSError) as exc:
                self.log.append((p.name, str(exc)))
                continue
            df = df[df["zone"] == pz]
            if not covers(df, t0, t1):
                span = f"{df['time'].iloc[0]} .. {df['time'].iloc[-1]}" if len(df) else "nothing"
                self.log.append((p.name, f"covers {span} only, not [{t0}, {t1})"))
                continue
            df = finish(df.reset_index(drop=True), file=None, rows=np.arange(len(df), dtype=np.int64))
            if cfile is not None:
                write_table(df, cfile)
            self.log.append((p.name, "ok"))
            return df.assign(zone=zone)
        lines = "\n  ".join(f"{name}: {msg}" for name, msg in self.log)
        raise ProviderError(f"no provider could deliver zone {zone!r} for [{t0}, {t1}):\n  {lines}")


def chain_from_config(cfg: Mapping[str, Any], *, env: Mapping[str, str] | None = None, transport: Any = None,
                      sleep: Any = None, base: Path | None = None) -> ProviderChain:
    """Build a :class:`ProviderChain` from a configuration mapping (see the module docstring).

    A provider whose credentials are missing from the environment is kept, and fails with a message saying which
    variable to set, so the chain moves on to the next.

    Parameters
    ----------
    cfg : mapping
        ``{"cache_dir": ..., "providers": [...]}``.
    env : mapping, optional
        Environment (default ``os.environ``).
    transport : httpx.BaseTransport, optional
        For tests.
    sleep : callable, optional
        Back-off wait for the clients.
    base : path, optional
        Folder relative paths (``path``, ``cache_dir``) are resolved against.
    """
    env = os.environ if env is None else env
    base = base or Path(".")
    specs = cfg.get("providers")
    if not isinstance(specs, list) or not specs:
        raise InputError("expected a non-empty list 'providers'", field="providers")
    providers: list[Provider] = []
    for i, spec in enumerate(specs):
        where = f"providers[{i}]"
        if not isinstance(spec, dict) or "name" not in spec:
            raise InputError("expected a mapping with a 'name'", field=where)
        name = spec["name"]
        zones = spec.get("zones") or {}
        try:
            if name == "electricitymaps":
                var = spec.get("api_key_env", "ELECTRICITYMAPS_API_KEY")
                key = env.get(var, "")
                if key:
                    providers.append(ElectricityMapsProvider(ElectricityMapsClient(
                        key, basis=spec.get("basis", "direct"), transport=transport, sleep=sleep), zones))
                else:
                    providers.append(_MissingProvider(name, var))
            elif name == "watttime":
                uvar = spec.get("username_env", "WATTTIME_USERNAME")
                pvar = spec.get("password_env", "WATTTIME_PASSWORD")
                user, pw = env.get(uvar, ""), env.get(pvar, "")
                if user and pw:
                    providers.append(WattTimeProvider(WattTimeClient(
                        user, pw, signal_type=spec.get("signal_type", "co2_moer"), transport=transport,
                        sleep=sleep), zones))
                else:
                    providers.append(_MissingProvider(name, uvar if not user else pvar))
            elif name == "file":
                if "path" not in spec or "format" not in spec:
                    raise InputError("a file provider needs 'path' and 'format'", field=where)
                path = Path(str(spec["path"])).expanduser()
                providers.append(FileProvider(path if path.is_absolute() else base / path, spec["format"],
                                              zones=zones, basis=spec.get("basis", "direct")))
            else:
                raise InputError(f"unknown provider {name!r}; expected electricitymaps, watttime or file",
                                 field=f"{where}.name")
        except InputError as exc:
            raise InputError(exc.message, file=exc.file, field=exc.field or where) from None
    cache = cfg.get("cache_dir")
    cache_path = None
    if cache:
        cache_path = Path(str(cache)).expanduser()
        cache_path = cache_path if cache_path.is_absolute() else base / cache_path
    return ProviderChain(providers, cache_path)


class _MissingProvider(Provider):
    """A configured provider whose credentials are not set."""

    def __init__(self, name: str, var: str) -> None:
        super().__init__()
        self.name = name  # type: ignore[misc]
        self.var = var

    def fetch(self, zone: str, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
        """Always fails, naming the variable to set."""
        raise ProviderError(f"credentials not set: export {self.var}")
