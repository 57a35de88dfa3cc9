"""Realistic synthetic workloads: arrivals with the demand regions' daily and weekly rhythm, three latency
classes, heavy-tailed durations, CPU and GPU jobs, data sizes and skewed tenants — fully vectorised.

Every default is an estimate (EST) made for shulu, except the GPU node power (8-GPU node ~10 kW, shared
reference) and the 20 ms cross-hub latency tier for real-time work (NDRC, Dec 2023).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from shulu import units
from shulu.errors import InputError
from shulu.model.network import Network
from shulu.model.workload import JOB_CLASSES, Workload
from shulu.timeindex import to_utc

#: Relative arrival rate by local hour 0..23 (EST: night trough ~04:00, late-morning and evening peaks).
DIURNAL_PROFILE: tuple[float, ...] = (
    0.45, 0.35, 0.28, 0.24, 0.22, 0.25, 0.40, 0.65, 0.95, 1.20, 1.35, 1.40,
    1.25, 1.20, 1.30, 1.35, 1.30, 1.20, 1.20, 1.35, 1.45, 1.40, 1.05, 0.70)


class ClassParams(BaseModel):
    """Parameters of one latency class."""

    model_config = ConfigDict(frozen=True)

    share_frac: float = Field(gt=0, description="Share of jobs [0..1]")
    duration_median_s: float = Field(gt=0, description="Median run time [s] (lognormal)")
    duration_sigma: float = Field(ge=0, description="Lognormal sigma of run time [-]")
    duration_min_s: float = Field(gt=0)
    duration_max_s: float = Field(gt=0)
    slack_min_s: float = Field(ge=0, description="Slack drawn uniformly in [min, max] [s]")
    slack_max_s: float = Field(ge=0)
    max_latency_ms: tuple[float, ...] = Field(description="Latency limits drawn uniformly from these [ms]")
    gpu_frac: float = Field(ge=0, le=1, description="Share of GPU jobs [0..1]")
    interruptible_frac: float = Field(ge=0, le=1, description="Share of interruptible jobs [0..1]")
    data_median_gb: float = Field(gt=0, description="Median input data [GB] (lognormal, sigma 1.5)")


class WorkloadParams(BaseModel):
    """Parameters of :func:`synthesize_workload` (all EST unless noted)."""

    model_config = ConfigDict(frozen=True)

    realtime: ClassParams = ClassParams(
        share_frac=0.5, duration_median_s=30.0, duration_sigma=1.5, duration_min_s=1.0, duration_max_s=3600.0,
        slack_min_s=0.0, slack_max_s=0.0, max_latency_ms=(10.0, 15.0, 20.0), gpu_frac=0.15, interruptible_frac=0.0,
        data_median_gb=0.01)
    warm: ClassParams = ClassParams(
        share_frac=0.3, duration_median_s=1200.0, duration_sigma=1.3, duration_min_s=60.0,
        duration_max_s=12 * units.SECONDS_PER_HOUR, slack_min_s=1 * units.SECONDS_PER_HOUR,
        slack_max_s=12 * units.SECONDS_PER_HOUR, max_latency_ms=(50.0, 100.0), gpu_frac=0.3,
        interruptible_frac=0.3, data_median_gb=2.0)
    cold: ClassParams = ClassParams(
        share_frac=0.2, duration_median_s=7200.0, duration_sigma=1.4, duration_min_s=300.0,
        duration_max_s=3 * units.SECONDS_PER_DAY, slack_min_s=1 * units.SECONDS_PER_DAY,
        slack_max_s=7 * units.SECONDS_PER_DAY, max_latency_ms=(1000.0,), gpu_frac=0.4, interruptible_frac=0.8,
        data_median_gb=20.0)
    gpu_node_kw: float = Field(10.0, gt=0, description="8-GPU node power [kW] (shared reference, EST)")
    cpu_median_kw: float = Field(0.4, gt=0, description="Median CPU job power [kW] (about one 2-socket server)")
    cpu_sigma: float = Field(0.6, ge=0)
    cpu_min_kw: float = Field(0.2, gt=0)
    cpu_max_kw: float = Field(2.0, gt=0)
    data_sigma: float = Field(1.5, ge=0)
    tenants: int = Field(50, ge=1, description="Number of tenants")
    tenant_zipf_s: float = Field(1.1, ge=0, description="Zipf exponent of tenant sizes [-]")
    weekend_factor: float = Field(0.7, gt=0, description="Weekend arrival rate relative to weekdays [-]")
    diurnal_profile: tuple[float, ...] = Field(DIURNAL_PROFILE, description="Relative rate by local hour")

    def classes(self) -> list[ClassParams]:
        """Class parameters in :data:`JOB_CLASSES` order."""
        return [getattr(self, c) for c in JOB_CLASSES]


def arrival_weights(network: Network, hours: pd.DatetimeIndex, params: WorkloadParams) -> np.ndarray:
    """(hour x region) arrival weights: region weight x diurnal(local hour) x weekday factor (unnormalised)."""
    prof = np.asarray(params.diurnal_profile, dtype=np.float64)
    if prof.shape != (24,) or np.any(prof < 0):
        raise InputError("expected 24 non-negative values", field="diurnal_profile")
    w = np.empty((len(hours), len(network.demand_regions)))
    for j, r in enumerate(network.demand_regions):
        local = hours.tz_convert(r.tz)
        week = np.where(local.day_of_week.to_numpy() >= 5, params.weekend_factor, 1.0)
        w[:, j] = r.weight_frac * prof[local.hour.to_numpy()] * week
    return w


def synthesize_workload(network: Network, *, start: pd.Timestamp | str, end: pd.Timestamp | str, n_jobs: int,
                        seed: int, params: WorkloadParams | None = None) -> Workload:
    """A synthetic workload over ``[start, end)``.

    Parameters
    ----------
    network : Network
        Its demand regions (weights, time zones) drive the arrivals.
    start, end : timestamp
        Horizon (tz-aware).
    n_jobs : int
        Number of jobs (>= 0).
    seed : int
        Seed; same inputs and seed give an identical workload.
    params : WorkloadParams, optional
        Distributions (defaults documented on :class:`WorkloadParams`).

    Returns
    -------
    Workload
        Jobs sorted by submit time, ``job_id`` 0..n-1.

    Examples
    --------
    >>> from shulu.model import DemandRegion, Network, Site
    >>> net = Network(sites=(Site(id="a", name="A", role="east", lat_deg=31, lon_deg=121, it_capacity_kw=100),),
    ...               demand_regions=(DemandRegion(id="sh", name="SH", lat_deg=31, lon_deg=121, weight_frac=1),))
    >>> wl = synthesize_workload(net, start="2025-01-01T00:00Z", end="2025-01-08T00:00Z", n_jobs=1000, seed=1)
    >>> len(wl), bool(wl.frame["max_latency_ms"][wl.frame["job_class"] == "realtime"].max() <= 20)
    (1000, True)
    """
    p = params or WorkloadParams()
    t0, t1 = to_utc(start, field="start"), to_utc(end, field="end")
    if t1 <= t0:
        raise InputError(f"expected end after start ({t0}), got {t1}", field="end")
    if n_jobs < 0:
        raise InputError(f"expected n_jobs >= 0, got {n_jobs}", field="n_jobs")
    if not network.demand_regions:
        raise InputError("expected at least one demand region", field="demand_regions")
    rng = np.random.default_rng(seed)
    n = int(n_jobs)
    hours = pd.date_range(t0.floor("h"), t1, freq="h", inclusive="left")
    w = arrival_weights(network, hours, p)
    bin_start = np.maximum(hours.as_unit("ns").asi8, t0.as_unit("ns").value)
    bin_end = np.minimum(hours.as_unit("ns").asi8 + int(units.SECONDS_PER_HOUR * 1e9), t1.as_unit("ns").value)
    w = w * ((bin_end - bin_start) / (units.SECONDS_PER_HOUR * 1e9))[:, None]
    flat = w.ravel()
    cum = np.cumsum(flat)
    pick = np.searchsorted(cum, rng.random(n) * cum[-1], side="right")
    pick = np.minimum(pick, flat.size - 1)
    hour_i, region_i = np.divmod(pick, w.shape[1])
    span = (bin_end - bin_start)[hour_i]
    submit_ns = bin_start[hour_i] + np.floor(rng.random(n) * span).astype(np.int64)
    order = np.argsort(submit_ns, kind="stable")
    submit_ns, region_i = submit_ns[order], region_i[order]

    classes = p.classes()
    shares = np.array([c.share_frac for c in classes])
    cls = np.searchsorted(np.cumsum(shares / shares.sum()), rng.random(n), side="right").clip(0, len(classes) - 1)
    duration = np.empty(n)
    slack = np.empty(n)
    latency = np.empty(n)
    gpu = np.empty(n, dtype=bool)
    interruptible = np.empty(n, dtype=bool)
    data = np.empty(n)
    u = rng.random((6, n))
    z = rng.standard_normal((2, n))
    for k, c in enumerate(classes):
        m = cls == k
        duration[m] = np.clip(c.duration_median_s * np.exp(c.duration_sigma * z[0, m]), c.duration_min_s,
                              c.duration_max_s)
        slack[m] = c.slack_min_s + (c.slack_max_s - c.slack_min_s) * u[0, m]
        lat = np.asarray(c.max_latency_ms)
        latency[m] = lat[np.minimum((u[1, m] * lat.size).astype(np.int64), lat.size - 1)]
        gpu[m] = u[2, m] < c.gpu_frac
        interruptible[m] = u[3, m] < c.interruptible_frac
        data[m] = c.data_median_gb * np.exp(p.data_sigma * z[1, m])
    cpu_kw = np.clip(p.cpu_median_kw * np.exp(p.cpu_sigma * rng.standard_normal(n)), p.cpu_min_kw, p.cpu_max_kw)
    power = np.where(gpu, p.gpu_node_kw, cpu_kw)
    ranks = np.arange(1, p.tenants + 1, dtype=np.float64)
    tw = ranks ** -p.tenant_zipf_s
    tenant_i = np.searchsorted(np.cumsum(tw / tw.sum()), u[4], side="right").clip(0, p.tenants - 1)
    width = max(2, len(str(p.tenants - 1)))
    tenant_names = np.array([f"tenant-{i:0{width}d}" for i in range(p.tenants)], dtype=object)
    region_names = np.array(network.region_ids, dtype=object)
    frame = pd.DataFrame({
        "job_id": np.arange(n, dtype=np.int64),
        "tenant": tenant_names[tenant_i],
        "origin": region_names[region_i],
        "submit_time": pd.to_datetime(submit_ns, utc=True),
        "duration_s": duration, "power_kw": power,
        "device": pd.Categorical(np.where(gpu, "gpu", "cpu"), categories=["cpu", "gpu"]),
        "slack_s": slack, "max_latency_ms": latency, "data_gb": data, "interruptible": interruptible,
        "job_class": pd.Categorical(np.array(JOB_CLASSES, dtype=object)[cls], categories=list(JOB_CLASSES)),
    })
    return Workload.from_frame(frame)


def workload_stats(wl: Workload) -> pd.DataFrame:
    """Per-class summary: jobs, share, duration (mean, p95) [s], GPU share, energy [kWh], mean slack [s]."""
    f = wl.frame.assign(energy_kwh=wl.energy_kwh(), gpu=wl.frame["device"] == "gpu")
    g = f.groupby("job_class", observed=False)
    out = pd.DataFrame({
        "jobs": g.size(),
        "share": g.size() / max(len(f), 1),
        "mean_dur_s": g["duration_s"].mean(),
        "p95_dur_s": g["duration_s"].quantile(0.95),
        "gpu_share": g["gpu"].mean(),
        "energy_kwh": g["energy_kwh"].sum(),
        "mean_slack_s": g["slack_s"].mean(),
    }).fillna(0.0)
    out.index = out.index.astype(str)
    return out
