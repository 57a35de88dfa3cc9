"""A scenario: the network, its signals, the workload, the horizon and the settings."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from shulu.errors import InputError
from shulu.model.network import Network
from shulu.model.signals import Signals
from shulu.model.workload import Workload
from shulu.timeindex import check_step, make_index


@dataclass(frozen=True, eq=False)
class Scenario:
    """Everything one simulation needs.

    Parameters
    ----------
    name : str
        Short name.
    network : Network
        Sites, demand regions, links.
    signals : Signals
        Per-site time series covering ``[start, end)`` at ``step_s``.
    workload : Workload
        The jobs.
    start, end : pandas.Timestamp
        Horizon (UTC; end exclusive).
    step_s : int
        Step length [s], 300..3600.
    seed : int
        Seed for anything random downstream.
    description : str
        Free text.
    settings : dict
        Free-form settings (JSON-compatible) for later layers.
    """

    name: str
    network: Network
    signals: Signals
    workload: Workload
    start: pd.Timestamp
    end: pd.Timestamp
    step_s: int
    seed: int = 0
    description: str = ""
    settings: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.validate()

    @property
    def index(self) -> pd.DatetimeIndex:
        """The simulation time index (UTC)."""
        return make_index(self.start, step_s=self.step_s, end=self.end)

    @property
    def n_steps(self) -> int:
        """Number of simulation steps."""
        return int((self.end - self.start).total_seconds() // self.step_s)

    def validate(self, file_signals: str | None = None, file_workload: str | None = None) -> None:
        """Check the parts agree: horizon, step, signal coverage and sites, workload origins."""
        check_step(self.step_s)
        idx = self.index
        if self.signals.step_s != self.step_s:
            raise InputError(f"expected signals at the scenario step of {self.step_s} s, got {self.signals.step_s} s",
                             file=file_signals, field="time")
        sidx = self.signals.index
        if not (len(sidx) >= len(idx) and sidx[0] <= idx[0] and sidx[-1] >= idx[-1]):
            raise InputError(f"expected signals covering {idx[0]} .. {idx[-1]}, got {sidx[0]} .. {sidx[-1]}",
                             file=file_signals, field="time")
        if sorted(self.signals.sites) != sorted(self.network.site_ids):
            raise InputError(f"expected signals for sites {self.network.site_ids}, got {self.signals.sites}",
                             file=file_signals, field="site")
        wl = self.workload.frame
        if len(wl):
            regions = self.network.region_ids
            bad = ~wl["origin"].isin(regions).to_numpy()
            if bad.any():
                i = int(np.flatnonzero(bad)[0])
                raise InputError(f"unknown demand region {wl['origin'].iloc[i]!r}; expected one of {regions}",
                                 file=file_workload, field="origin", row=i)
            out = ((wl["submit_time"] < self.start) | (wl["submit_time"] >= self.end)).to_numpy()
            if out.any():
                i = int(np.flatnonzero(out)[0])
                raise InputError(f"expected submit_time within [{self.start}, {self.end}), got "
                                 f"{wl['submit_time'].iloc[i]}", file=file_workload, field="submit_time", row=i)

    def equals(self, other: Scenario) -> bool:
        """True if every part is equal (used to check save -> load is an identity)."""
        return (self.name == other.name and self.description == other.description
                and self.network == other.network and self.start == other.start and self.end == other.end
                and self.step_s == other.step_s and self.seed == other.seed and self.settings == other.settings
                and self.signals.equals(other.signals) and self.workload.equals(other.workload))

    def content_hash(self) -> str:
        """SHA-256 over the static data, signals and workload (for provenance)."""
        h = hashlib.sha256()
        static = {"name": self.name, "network": self.network.model_dump(mode="json"),
                  "start": self.start.isoformat(), "end": self.end.isoformat(), "step_s": self.step_s,
                  "seed": self.seed, "settings": self.settings}
        h.update(json.dumps(static, sort_keys=True).encode())
        for name, df in self.signals.frames.items():
            h.update(name.encode())
            h.update(np.ascontiguousarray(df.to_numpy(dtype=np.float64)).tobytes())
            h.update(pd.DatetimeIndex(df.index).as_unit("ns").asi8.tobytes())
        h.update(pd.util.hash_pandas_object(self.workload.frame, index=False).to_numpy().tobytes())
        return h.hexdigest()

    def replace(self, **changes: Any) -> Scenario:
        """A copy with some fields replaced (validated again)."""
        kw = {k: getattr(self, k) for k in ("name", "network", "signals", "workload", "start", "end", "step_s",
                                            "seed", "description", "settings")}
        kw.update(changes)
        return Scenario(**kw)
