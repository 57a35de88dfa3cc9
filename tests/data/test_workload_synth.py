"""Synthetic workloads: shares, rhythm, classes, tails and determinism, checked against the parameters."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shulu.data.workload_synth import DIURNAL_PROFILE, WorkloadParams, synthesize_workload, workload_stats
from shulu.errors import InputError
from shulu.model import DemandRegion, Network, Site, Workload

START = pd.Timestamp("2025-01-06T00:00+08:00")  # a Monday in Beijing
END = START + pd.Timedelta(days=28)


def network() -> Network:
    site = Site(id="a", name="A", role="east", lat_deg=31, lon_deg=121, it_capacity_kw=1000)
    regions = (DemandRegion(id="r1", name="R1", lat_deg=31, lon_deg=121, weight_frac=0.6),
               DemandRegion(id="r2", name="R2", lat_deg=39, lon_deg=116, weight_frac=0.3),
               DemandRegion(id="r3", name="R3", lat_deg=23, lon_deg=113, weight_frac=0.1))
    return Network(sites=(site,), demand_regions=regions)


@pytest.fixture(scope="module")
def wl() -> Workload:
    return synthesize_workload(network(), start=START, end=END, n_jobs=200_000, seed=42)


def binomial_ok(count: int, n: int, p: float) -> bool:
    return abs(count - n * p) <= 5 * np.sqrt(n * p * (1 - p))


def test_class_and_region_shares(wl: Workload) -> None:
    f = wl.frame
    n = len(f)
    for cls, share in (("realtime", 0.5), ("warm", 0.3), ("cold", 0.2)):
        assert binomial_ok(int((f["job_class"] == cls).sum()), n, share)
    for region, share in (("r1", 0.6), ("r2", 0.3), ("r3", 0.1)):
        assert binomial_ok(int((f["origin"] == region).sum()), n, share)


def test_diurnal_and_weekly_rhythm(wl: Workload) -> None:
    local = pd.DatetimeIndex(wl.frame["submit_time"]).tz_convert("Asia/Shanghai")
    weekday = local.day_of_week < 5
    hours = local.hour
    night = ((hours >= 2) & (hours < 5) & weekday).sum()
    day = ((hours >= 10) & (hours < 13) & weekday).sum()
    prof = np.asarray(DIURNAL_PROFILE)
    expected = prof[2:5].sum() / prof[10:13].sum()
    assert night / day == pytest.approx(expected, rel=0.05)
    # weekend rate per day relative to weekday rate per day = the weekend factor (0.7)
    per_day_weekend = (~weekday).sum() / 8
    per_day_weekday = weekday.sum() / 20
    assert per_day_weekend / per_day_weekday == pytest.approx(0.7, rel=0.03)


def test_class_properties(wl: Workload) -> None:
    f = wl.frame
    rt, cold, warm = f[f["job_class"] == "realtime"], f[f["job_class"] == "cold"], f[f["job_class"] == "warm"]
    assert rt["max_latency_ms"].max() <= 20.0 and not rt["interruptible"].any()
    assert (rt["slack_s"] == 0).all()
    assert cold["slack_s"].min() >= 86400.0 and cold["slack_s"].max() <= 7 * 86400.0
    assert warm["slack_s"].between(3600.0, 12 * 3600.0).all()
    gpu = f[f["device"] == "gpu"]
    assert (gpu["power_kw"] == 10.0).all()
    assert f.loc[f["device"] == "cpu", "power_kw"].between(0.2, 2.0).all()
    # heavy tails: the mean exceeds the median and p99/p50 is large, per class
    for part in (rt, warm, cold):
        d = part["duration_s"]
        assert d.mean() > d.median() and d.quantile(0.99) / d.median() > 10
    # median duration of realtime jobs ~ 30 s (lognormal median)
    assert rt["duration_s"].median() == pytest.approx(30.0, rel=0.05)


def test_sorted_ids_and_times(wl: Workload) -> None:
    f = wl.frame
    assert (f["job_id"].to_numpy() == np.arange(len(f))).all()
    assert f["submit_time"].is_monotonic_increasing
    assert f["submit_time"].min() >= START and f["submit_time"].max() < END
    assert str(f["submit_time"].dt.tz) == "UTC"


def test_stats(wl: Workload) -> None:
    st_ = workload_stats(wl)
    assert int(st_["jobs"].sum()) == len(wl)
    assert st_.loc["cold", "energy_kwh"] == pytest.approx(float(wl.energy_kwh()[wl.frame["job_class"] == "cold"].sum()))


def test_deterministic() -> None:
    a = synthesize_workload(network(), start=START, end=END, n_jobs=500, seed=3)
    b = synthesize_workload(network(), start=START, end=END, n_jobs=500, seed=3)
    c = synthesize_workload(network(), start=START, end=END, n_jobs=500, seed=4)
    assert a.equals(b) and not a.equals(c)


@pytest.mark.parametrize(("kw", "field"), [({"n_jobs": -1}, "n_jobs"), ({"end": START}, "end"),
                                           ({"start": "2025-01-01 00:00"}, "start")])
def test_bad_input(kw: dict[str, object], field: str) -> None:
    args: dict[str, object] = {"start": START, "end": END, "n_jobs": 10, "seed": 0, **kw}
    with pytest.raises(InputError) as exc:
        synthesize_workload(network(), **args)  # type: ignore[arg-type]
    assert exc.value.field == field


@settings(max_examples=25, deadline=None)
@given(n=st.integers(0, 2000), seed=st.integers(0, 2**32 - 1), days=st.integers(1, 20))
def test_invariants(n: int, seed: int, days: int) -> None:
    wl = synthesize_workload(network(), start=START, end=START + pd.Timedelta(days=days), n_jobs=n, seed=seed,
                             params=WorkloadParams(tenants=7))
    f = Workload.from_frame(wl.frame).frame
    assert len(f) == n
    assert (f["slack_s"] >= 0).all() and (f["duration_s"] > 0).all()
    assert (f.loc[f["job_class"] == "realtime", "max_latency_ms"] <= 20).all()
    assert f["tenant"].isin([f"tenant-{i:02d}" for i in range(7)]).all()
