"""Realistic synthetic workloads, fully vectorised (1,000,000 jobs in about 1 s, validation included).

The generator (:func:`synthesize_workload`) draws, for each job:

* **where and when** — a (demand region, 15-minute bin) pair with weight
  ``weight_frac(region) x diurnal_profile[local hour] x (weekend_factor on a local Saturday/Sunday)
  x (part of the bin inside [start, end))``, then a uniform whole-second offset in that bin. Local time is the
  region's ``DemandRegion.tz``; every modern UTC offset and DST shift is a multiple of 15 minutes, so each bin lies
  in one local hour of every zone;
* **its class** — ``realtime`` / ``warm`` / ``cold`` with shares 0.5 / 0.3 / 0.2 by count (EST);
* **its device** — GPU with a class-dependent probability (inference in realtime, training in warm/cold);
* **how long it runs** — lognormal, median per class and device, clipped to ``[duration_min_s, duration_max_s]``
  (heavy tail: mean > median, p99/p50 of 10-30);
* **its slack** — uniform in the class's range (0 for realtime, hours for warm, days for cold);
* **its latency limit** — one of the class's tiers; realtime never above NDRC's 20 ms cross-hub tier;
* **its power** — one 8-GPU node for GPU jobs, a lognormal few-server draw for CPU jobs;
* **its input data** — lognormal per class, clipped;
* **its tenant** — ``tenant-00`` .. ``tenant-NN`` with Zipf-skewed sizes.

Every default is an estimate made for shulu (EST) unless a source is named next to it. The shared reference is
``/work/shared/reference/china-hubs.md``.

Examples
--------
>>> from shulu.model import DemandRegion, Network, Site
>>> net = Network(sites=(Site(id="a", name="A", role="east", lat_deg=31, lon_deg=121, it_capacity_kw=100),),
...               demand_regions=(DemandRegion(id="sh", name="SH", lat_deg=31, lon_deg=121, weight_frac=1),))
>>> wl = synthesize_workload(net, start="2025-01-06T00:00+08:00", end="2025-01-13T00:00+08:00", n_jobs=500,
...                          seed=1)
>>> len(wl), sorted(workload_stats(wl).index) == ["cold", "realtime", "warm"]
(500, True)
"""

from __future__ import annotations

from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
from pydantic import model_validator

from shulu import units
from shulu.errors import InputError
from shulu.model.network import Network
from shulu.model.schema import Record, quantity, text
from shulu.model.workload import DEVICES, JOB_CLASSES, Workload
from shulu.timeindex import to_utc

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

_NS_PER_S: Final[int] = 1_000_000_000  # nanoseconds per second (pandas' time unit)

# --- arrivals -----------------------------------------------------------------------------------------------------
#: Width of an arrival bin [s]: 15 minutes, the granularity of every modern UTC offset and DST shift.
ARRIVAL_BIN_S: Final[int] = 900
#: Relative arrival rate by local hour 0..23 (EST: shape of Chinese internet/office demand — trough ~04:00,
#: a late-morning peak ~11:00 and an evening peak ~20:00; the absolute scale does not matter).
DIURNAL_PROFILE: tuple[float, ...] = (
    0.45, 0.35, 0.28, 0.24, 0.22, 0.25, 0.40, 0.65, 0.95, 1.20, 1.35, 1.40,
    1.25, 1.20, 1.30, 1.35, 1.30, 1.20, 1.20, 1.35, 1.45, 1.40, 1.05, 0.70)
#: Arrival rate on a local Saturday or Sunday relative to a weekday (EST).
WEEKEND_FACTOR: Final[float] = 0.7

# --- classes ------------------------------------------------------------------------------------------------------
#: Largest one-way latency of real-time work: the cross-hub latency tier (NDRC, Dec 2023; shared reference).
REALTIME_MAX_LATENCY_MS: Final[float] = 20.0

# --- power --------------------------------------------------------------------------------------------------------
#: One 8-GPU node (H100 SXM 700 W per GPU plus host): about 10 kW (shared reference, EST). A GPU job holds one node.
GPU_NODE_KW: Final[float] = 10.0
#: CPU job power: lognormal with this median and sigma, clipped to [min, max] — about one 2-socket server at peak
#: (350-500 W, shared reference, EST) up to a few servers.
CPU_JOB_MEDIAN_KW: Final[float] = 0.4
CPU_JOB_SIGMA: Final[float] = 0.6
CPU_JOB_MIN_KW: Final[float] = 0.2
CPU_JOB_MAX_KW: Final[float] = 2.0

# --- tenants ------------------------------------------------------------------------------------------------------
#: Number of tenants and the Zipf exponent of their sizes (tenant k, k = 1.., gets weight k**-s) (EST).
N_TENANTS: Final[int] = 50
TENANT_ZIPF_EXPONENT: Final[float] = 1.1


class ClassParams(Record):
    """Distributions of one latency class (lognormal run time and data, uniform slack, discrete latency tiers)."""

    share_frac: float = quantity("fraction 0..1", "Relative share of jobs (normalised over the classes)", ge=0,
                                 allow_inf_nan=False)
    cpu_duration_median_s: float = quantity("s", "Median run time of a CPU job (lognormal)", gt=0, allow_inf_nan=False)
    gpu_duration_median_s: float = quantity("s", "Median run time of a GPU job (lognormal)", gt=0, allow_inf_nan=False)
    duration_sigma: float = quantity("-", "Lognormal shape of run time (std of its log)", ge=0, allow_inf_nan=False)
    duration_min_s: float = quantity("s", "Shortest run time (clip); at least 1 s", ge=1, allow_inf_nan=False)
    duration_max_s: float = quantity("s", "Longest run time (clip)", gt=0, allow_inf_nan=False)
    slack_min_s: float = quantity("s", "Smallest slack (uniform in [min, max])", ge=0, allow_inf_nan=False)
    slack_max_s: float = quantity("s", "Largest slack", ge=0, allow_inf_nan=False)
    max_latency_ms: tuple[float, ...] = quantity("ms", "Latency limits; each job gets one, uniformly", min_length=1)
    gpu_frac: float = quantity("fraction 0..1", "Share of GPU jobs", ge=0, le=1)
    interruptible_frac: float = quantity("fraction 0..1", "Share of interruptible jobs", ge=0, le=1)
    data_median_gb: float = quantity("GB", "Median input data (lognormal)", gt=0, allow_inf_nan=False)
    data_sigma: float = quantity("-", "Lognormal shape of input data (std of its log)", ge=0, allow_inf_nan=False)
    data_max_gb: float = quantity("GB", "Largest input data (clip)", gt=0, allow_inf_nan=False)

    @model_validator(mode="after")
    def _check_ranges(self) -> ClassParams:
        if self.duration_min_s > self.duration_max_s:
            raise ValueError(f"duration_min_s ({self.duration_min_s}) must not exceed duration_max_s "
                             f"({self.duration_max_s})")
        if self.slack_min_s > self.slack_max_s:
            raise ValueError(f"slack_min_s ({self.slack_min_s}) must not exceed slack_max_s ({self.slack_max_s})")
        bad = [v for v in self.max_latency_ms if not (np.isfinite(v) and v > 0)]
        if bad:
            raise ValueError(f"max_latency_ms: expected finite values > 0, got {bad}")
        return self


#: Real-time (interactive, inference) work: latency-bound, no slack, short, never paused (EST; tiers up to NDRC's
#: 20 ms). Run time: median 30 s, p99 ~16 min, clipped to [1 s, 1 h].
REALTIME: Final[ClassParams] = ClassParams(
    share_frac=0.5, cpu_duration_median_s=30.0, gpu_duration_median_s=30.0, duration_sigma=1.5,
    duration_min_s=1.0, duration_max_s=units.SECONDS_PER_HOUR, slack_min_s=0.0, slack_max_s=0.0,
    max_latency_ms=(10.0, 15.0, REALTIME_MAX_LATENCY_MS), gpu_frac=0.15, interruptible_frac=0.0,
    data_median_gb=0.01, data_sigma=1.5, data_max_gb=10.0)
#: Warm (batch, back-end, fine-tuning) work: hours of slack, 50-100 ms, sometimes pausable (EST). Run time: median
#: 20 min (CPU) / 1 h (GPU), clipped to [1 min, 12 h].
WARM: Final[ClassParams] = ClassParams(
    share_frac=0.3, cpu_duration_median_s=20 * units.SECONDS_PER_MINUTE,
    gpu_duration_median_s=units.SECONDS_PER_HOUR, duration_sigma=1.3, duration_min_s=units.SECONDS_PER_MINUTE,
    duration_max_s=12 * units.SECONDS_PER_HOUR, slack_min_s=units.SECONDS_PER_HOUR,
    slack_max_s=12 * units.SECONDS_PER_HOUR, max_latency_ms=(50.0, 100.0), gpu_frac=0.3, interruptible_frac=0.3,
    data_median_gb=2.0, data_sigma=1.5, data_max_gb=1000.0)
#: Cold (offline analytics, training, backup) work: days of slack, latency-tolerant, mostly pausable (EST). Run time:
#: median 2 h (CPU) / 6 h (GPU training), clipped to [5 min, 3 days].
COLD: Final[ClassParams] = ClassParams(
    share_frac=0.2, cpu_duration_median_s=2 * units.SECONDS_PER_HOUR,
    gpu_duration_median_s=6 * units.SECONDS_PER_HOUR, duration_sigma=1.4,
    duration_min_s=5 * units.SECONDS_PER_MINUTE, duration_max_s=3 * units.SECONDS_PER_DAY,
    slack_min_s=units.SECONDS_PER_DAY, slack_max_s=7 * units.SECONDS_PER_DAY, max_latency_ms=(1000.0,),
    gpu_frac=0.4, interruptible_frac=0.8, data_median_gb=20.0, data_sigma=1.5, data_max_gb=10_000.0)


class WorkloadParams(Record):
    """Parameters of :func:`synthesize_workload`; the defaults are the module constants (EST unless noted there)."""

    realtime: ClassParams = text("Real-time class (max_latency_ms must stay <= 20 ms)", REALTIME)
    warm: ClassParams = text("Warm class", WARM)
    cold: ClassParams = text("Cold class", COLD)
    gpu_node_kw: float = quantity("kW", "Power of a GPU job: one 8-GPU node (shared reference, EST)", GPU_NODE_KW,
                                  gt=0, allow_inf_nan=False)
    cpu_median_kw: float = quantity("kW", "Median CPU job power (lognormal)", CPU_JOB_MEDIAN_KW, gt=0,
                                    allow_inf_nan=False)
    cpu_sigma: float = quantity("-", "Lognormal shape of CPU job power", CPU_JOB_SIGMA, ge=0, allow_inf_nan=False)
    cpu_min_kw: float = quantity("kW", "Smallest CPU job power (clip)", CPU_JOB_MIN_KW, gt=0, allow_inf_nan=False)
    cpu_max_kw: float = quantity("kW", "Largest CPU job power (clip)", CPU_JOB_MAX_KW, gt=0, allow_inf_nan=False)
    n_tenants: int = quantity("-", "Number of tenants", N_TENANTS, ge=1)
    tenant_zipf_exponent: float = quantity("-", "Zipf exponent of tenant sizes (0 = all equal)", TENANT_ZIPF_EXPONENT,
                                           ge=0, allow_inf_nan=False)
    weekend_factor: float = quantity("-", "Arrival rate on a local weekend day relative to a weekday",
                                     WEEKEND_FACTOR, gt=0, allow_inf_nan=False)
    diurnal_profile: tuple[float, ...] = quantity("-", "Relative arrival rate by local hour 0..23", DIURNAL_PROFILE,
                                                  min_length=24, max_length=24)

    @model_validator(mode="after")
    def _check(self) -> WorkloadParams:
        prof = np.asarray(self.diurnal_profile, dtype=np.float64)
        if not (np.all(np.isfinite(prof)) and np.all(prof >= 0) and prof.sum() > 0):
            raise ValueError("diurnal_profile: expected 24 finite values >= 0, not all zero")
        if max(self.realtime.max_latency_ms) > REALTIME_MAX_LATENCY_MS:
            raise ValueError(f"realtime.max_latency_ms: expected values <= {REALTIME_MAX_LATENCY_MS} ms "
                             f"(NDRC cross-hub tier), got {self.realtime.max_latency_ms}")
        if sum(c.share_frac for c in self.classes()) <= 0:
            raise ValueError("share_frac: expected at least one class with a share > 0")
        if self.cpu_min_kw > self.cpu_max_kw:
            raise ValueError(f"cpu_min_kw ({self.cpu_min_kw}) must not exceed cpu_max_kw ({self.cpu_max_kw})")
        return self

    def classes(self) -> tuple[ClassParams, ...]:
        """Class parameters in :data:`shulu.model.workload.JOB_CLASSES` order."""
        return tuple(getattr(self, c) for c in JOB_CLASSES)


def _draw(weights: FloatArray, u: FloatArray) -> IntArray:
    """Indices drawn with probability proportional to ``weights`` (>= 0, positive sum), one per uniform in ``u``.

    Zero-weight entries are never drawn: ``searchsorted(side="right")`` on the unnormalised cumulative sum lands on
    the first entry whose cumulative weight exceeds ``u * total``.
    """
    cum = np.cumsum(weights)
    idx = np.searchsorted(cum, u * cum[-1], side="right")
    return np.minimum(idx, weights.size - 1).astype(np.int64)


def _arrival_bins(network: Network, t0: pd.Timestamp, t1: pd.Timestamp, p: WorkloadParams
                  ) -> tuple[IntArray, IntArray, FloatArray]:
    """Bin starts and lengths [ns since epoch, ns] within ``[t0, t1)``, and the (bin x region) arrival weights."""
    bin_ns = ARRIVAL_BIN_S * _NS_PER_S
    first = t0.value // bin_ns * bin_ns
    edges = np.arange(first, t1.value, bin_ns, dtype=np.int64)
    starts = np.maximum(edges, t0.value)
    lengths = np.minimum(edges + bin_ns, t1.value) - starts
    utc = pd.DatetimeIndex(edges.view("M8[ns]")).tz_localize("UTC")
    prof = np.asarray(p.diurnal_profile, dtype=np.float64)
    region_w = np.array([r.weight_frac for r in network.demand_regions], dtype=np.float64)
    region_w = region_w / region_w.sum()
    shape_by_tz: dict[str, FloatArray] = {}
    w = np.empty((edges.size, region_w.size), dtype=np.float64)
    for j, region in enumerate(network.demand_regions):
        if region.tz not in shape_by_tz:
            try:
                local = utc.tz_convert(region.tz)
            except Exception as exc:  # unknown zone names surface from zoneinfo/pytz with various types
                raise InputError(f"unknown time zone {region.tz!r} ({exc})", field=f"demand_regions[{j}].tz") from None
            weekend = local.day_of_week.to_numpy() >= 5
            shape_by_tz[region.tz] = prof[local.hour.to_numpy()] * np.where(weekend, p.weekend_factor, 1.0)
        w[:, j] = region_w[j] * shape_by_tz[region.tz] * (lengths / bin_ns)
    return starts, lengths, w


def _check_inputs(network: Network, start: Any, end: Any, n_jobs: Any, seed: Any
                  ) -> tuple[pd.Timestamp, pd.Timestamp, int, int]:
    bounds = []
    for name, value in (("start", start), ("end", end)):
        try:
            bounds.append(to_utc(value, field=name).as_unit("ns"))
        except (OverflowError, pd.errors.OutOfBoundsDatetime):
            raise InputError(f"expected a time between 1677 and 2262, got {value!r}", field=name) from None
    t0, t1 = bounds
    if t1 <= t0:
        raise InputError(f"expected end after start ({t0}), got {t1}", field="end")
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, int | np.integer) or n_jobs < 0:
        raise InputError(f"expected a whole number of jobs >= 0, got {n_jobs!r}", field="n_jobs")
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise InputError(f"expected a whole-number seed >= 0, got {seed!r}", field="seed")
    if not network.demand_regions:
        raise InputError("expected at least one demand region to draw arrivals from", field="demand_regions")
    return t0, t1, int(n_jobs), int(seed)


def _strings(names: list[str], codes: IntArray) -> pd.Series:
    """The string column ``names[codes]``, built in Arrow (no per-row Python objects)."""
    return pd.Series(pa.array(names, type=pa.string()).take(pa.array(codes)), dtype="str")


def synthesize_workload(network: Network, *, start: pd.Timestamp | str, end: pd.Timestamp | str, n_jobs: int,
                        seed: int, params: WorkloadParams | None = None) -> Workload:
    """A realistic synthetic workload over ``[start, end)`` (see the module docstring for the model).

    Parameters
    ----------
    network : Network
        Its demand regions drive the arrivals: ``weight_frac`` (normalised) the regional split, ``tz`` the local
        daily and weekly rhythm. Sites are not used.
    start, end : pandas.Timestamp or str
        Horizon ``[start, end)``, timezone-aware (any zone; naive times are rejected).
    n_jobs : int
        Number of jobs [-], >= 0.
    seed : int
        Random seed, >= 0; the same inputs and seed give an identical workload.
    params : WorkloadParams, optional
        Distributions; defaults to ``WorkloadParams()`` (values in the module constants).

    Returns
    -------
    Workload
        Validated; rows sorted by ``submit_time`` (UTC, whole-second offsets within ``[start, end)``) and
        ``job_id`` = 0..n-1 in that order.

    Raises
    ------
    InputError
        Naming the field: naive or unparsable ``start``/``end``, ``end <= start``, ``n_jobs`` < 0 or not an integer,
        ``seed`` < 0, no demand regions, an unknown region time zone, or no arrival weight in the horizon.

    Examples
    --------
    >>> from shulu.model import DemandRegion, Network, Site
    >>> net = Network(sites=(Site(id="a", name="A", role="east", lat_deg=31, lon_deg=121, it_capacity_kw=100),),
    ...               demand_regions=(DemandRegion(id="sh", name="SH", lat_deg=31, lon_deg=121, weight_frac=1),))
    >>> wl = synthesize_workload(net, start="2025-01-01T00:00Z", end="2025-01-08T00:00Z", n_jobs=1000, seed=1)
    >>> f = wl.frame
    >>> len(wl), bool(f["max_latency_ms"][f["job_class"] == "realtime"].max() <= 20)
    (1000, True)
    >>> bool((f.loc[f["device"] == "gpu", "power_kw"] == 10.0).all()), bool(f["submit_time"].is_monotonic_increasing)
    (True, True)
    """
    p = params if params is not None else WorkloadParams()
    t0, t1, n, seed_ = _check_inputs(network, start, end, n_jobs, seed)
    rng = np.random.default_rng(seed_)

    # where and when: one draw over all (bin, region) cells, then a whole-second offset inside the bin
    starts, lengths, w = _arrival_bins(network, t0, t1, p)
    flat = w.ravel()
    if n and not flat.sum() > 0:
        raise InputError("no arrivals possible: the diurnal profile is zero over the whole horizon",
                         field="params.diurnal_profile")
    u = rng.random((2, n))
    cell = _draw(flat, u[0])
    bin_i, region_i = np.divmod(cell, w.shape[1])
    offset_s = np.floor(u[1] * (lengths[bin_i] / _NS_PER_S))
    offset_ns = np.minimum(offset_s.astype(np.int64) * _NS_PER_S, lengths[bin_i] - 1)
    submit_ns = starts[bin_i] + offset_ns
    order = np.argsort(submit_ns, kind="stable")
    submit_ns, region_i = submit_ns[order], region_i[order]

    # what: per-class parameter arrays indexed by class code (no per-class masks)
    classes = p.classes()
    cls = _draw(np.array([c.share_frac for c in classes]), rng.random(n))
    gpu = rng.random(n) < np.array([c.gpu_frac for c in classes])[cls]
    dev = gpu.astype(np.int64)
    med = np.array([[c.cpu_duration_median_s, c.gpu_duration_median_s] for c in classes])
    sigma = np.array([c.duration_sigma for c in classes])
    duration = np.clip(med[cls, dev] * np.exp(sigma[cls] * rng.standard_normal(n)),
                       np.array([c.duration_min_s for c in classes])[cls],
                       np.array([c.duration_max_s for c in classes])[cls])
    smin = np.array([c.slack_min_s for c in classes])
    smax = np.array([c.slack_max_s for c in classes])
    slack = smin[cls] + (smax - smin)[cls] * rng.random(n)
    n_tiers = np.array([len(c.max_latency_ms) for c in classes], dtype=np.int64)
    tiers = np.zeros((len(classes), int(n_tiers.max())))
    for k, c in enumerate(classes):
        tiers[k, : n_tiers[k]] = c.max_latency_ms
    tier_i = np.minimum((rng.random(n) * n_tiers[cls]).astype(np.int64), n_tiers[cls] - 1)
    latency = tiers[cls, tier_i]
    interruptible = rng.random(n) < np.array([c.interruptible_frac for c in classes])[cls]
    data = np.minimum(np.array([c.data_median_gb for c in classes])[cls]
                      * np.exp(np.array([c.data_sigma for c in classes])[cls] * rng.standard_normal(n)),
                      np.array([c.data_max_gb for c in classes])[cls])
    cpu_kw = np.clip(p.cpu_median_kw * np.exp(p.cpu_sigma * rng.standard_normal(n)), p.cpu_min_kw, p.cpu_max_kw)
    power = np.where(gpu, p.gpu_node_kw, cpu_kw)
    ranks = np.arange(1, p.n_tenants + 1, dtype=np.float64)
    tenant_i = _draw(ranks ** -p.tenant_zipf_exponent, rng.random(n))
    width = max(2, len(str(p.n_tenants - 1)))

    frame = pd.DataFrame({
        "job_id": np.arange(n, dtype=np.int64),
        "tenant": _strings([f"tenant-{i:0{width}d}" for i in range(p.n_tenants)], tenant_i),
        "origin": _strings(network.region_ids, region_i),
        "submit_time": pd.DatetimeIndex(submit_ns.view("M8[ns]")).tz_localize("UTC"),
        "duration_s": duration,
        "power_kw": power,
        "device": _strings(list(DEVICES), dev),
        "slack_s": slack,
        "max_latency_ms": latency,
        "data_gb": data,
        "interruptible": interruptible,
        "job_class": _strings(list(JOB_CLASSES), cls),
    })
    return Workload.from_frame(frame, regions=network.region_ids)


def workload_stats(wl: Workload) -> pd.DataFrame:
    """A per-class summary of a workload (one row per class in ``JOB_CLASSES`` order, empty classes as zeros).

    Parameters
    ----------
    wl : Workload
        Any workload.

    Returns
    -------
    pandas.DataFrame
        Index ``job_class``; columns ``jobs`` [-], ``share_frac`` [0..1], ``mean_duration_s`` [s],
        ``p95_duration_s`` [s], ``gpu_frac`` [0..1], ``energy_kwh`` (total IT energy if run uninterrupted) [kWh],
        ``mean_slack_s`` [s].

    Examples
    --------
    >>> wl = Workload.from_frame(pd.DataFrame({
    ...     "job_id": [0, 1], "tenant": ["t", "t"], "origin": ["r", "r"],
    ...     "submit_time": pd.to_datetime(["2025-01-01T00:00Z"] * 2), "duration_s": [3600.0, 1800.0],
    ...     "power_kw": [10.0, 0.4], "device": ["gpu", "cpu"], "slack_s": [0.0, 7200.0],
    ...     "max_latency_ms": [20.0, 50.0], "data_gb": [0.1, 2.0], "interruptible": [False, True],
    ...     "job_class": ["realtime", "warm"]}))
    >>> s = workload_stats(wl)
    >>> s["jobs"].tolist(), float(s.loc["realtime", "energy_kwh"]), float(s.loc["warm", "mean_slack_s"])
    ([1, 1, 0], 10.0, 7200.0)
    """
    f = wl.frame
    gpu = (f["device"] == "gpu").to_numpy(dtype=np.float64)
    g = pd.DataFrame({"job_class": f["job_class"], "duration_s": f["duration_s"], "gpu": gpu,
                      "energy_kwh": wl.energy_kwh(), "slack_s": f["slack_s"]}).groupby("job_class", observed=False)
    jobs = g.size().reindex(list(JOB_CLASSES), fill_value=0)
    out = pd.DataFrame({
        "jobs": jobs.astype(np.int64),
        "share_frac": jobs / max(len(f), 1),
        "mean_duration_s": g["duration_s"].mean(),
        "p95_duration_s": g["duration_s"].quantile(0.95),
        "gpu_frac": g["gpu"].mean(),
        "energy_kwh": g["energy_kwh"].sum(),
        "mean_slack_s": g["slack_s"].mean(),
    }).reindex(list(JOB_CLASSES)).fillna(0.0)
    out["jobs"] = out["jobs"].astype(np.int64)
    out.index = pd.Index([str(c) for c in out.index], name="job_class")
    return out
