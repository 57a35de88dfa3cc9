"""Synthetic workloads: every expectation below is computed here from the parameters, not read from the generator."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from scipy import stats

from shulu.data.workload_synth import (
    COLD,
    DIURNAL_PROFILE,
    REALTIME,
    WARM,
    WEEKEND_FACTOR,
    ClassParams,
    WorkloadParams,
    synthesize_workload,
    workload_stats,
)
from shulu.errors import InputError
from shulu.model import DemandRegion, Link, Network, Site, Workload

START = pd.Timestamp("2025-01-06T00:00+08:00")  # a Monday in Beijing
END = START + pd.Timedelta(days=28)  # four whole weeks
N = 200_000
DAY_S = 86_400.0
HOUR_S = 3_600.0
WEIGHTS = {"shanghai": 0.5, "beijing": 0.3, "urumqi": 0.2}
TZ = {"shanghai": "Asia/Shanghai", "beijing": "Asia/Shanghai", "urumqi": "Asia/Urumqi"}  # Urumqi: UTC+6
CLASSES = {"realtime": REALTIME, "warm": WARM, "cold": COLD}
Z_TOL = 5.0  # tolerance in standard deviations for every sampling check (the seed is fixed; this is headroom)


def network() -> Network:
    sites = (Site(id="east", name="East", role="east", lat_deg=31.2, lon_deg=121.5, it_capacity_kw=1000),
             Site(id="west", name="West", role="west", lat_deg=37.5, lon_deg=105.2, it_capacity_kw=5000),
             Site(id="far", name="Far", role="west", lat_deg=43.8, lon_deg=87.6, it_capacity_kw=2000))
    regions = (DemandRegion(id="shanghai", name="Shanghai", lat_deg=31.2, lon_deg=121.5, weight_frac=0.5),
               DemandRegion(id="beijing", name="Beijing", lat_deg=39.9, lon_deg=116.4, weight_frac=0.3),
               DemandRegion(id="urumqi", name="Urumqi", lat_deg=43.8, lon_deg=87.6, weight_frac=0.2,
                            tz="Asia/Urumqi"))
    links = tuple(Link(a=r.id, b=s.id, latency_ms=5.0) for r in regions for s in sites)
    return Network(sites=sites, demand_regions=regions, links=links)


NET = network()


@pytest.fixture(scope="module")
def wl() -> Workload:
    return synthesize_workload(NET, start=START, end=END, n_jobs=N, seed=42)


def within(count: float, n: int, p: float) -> bool:
    """``count`` is within Z_TOL binomial standard deviations of ``n * p``."""
    return abs(count - n * p) <= Z_TOL * np.sqrt(n * p * (1 - p)) + 1e-9


def local_parts(wl: Workload) -> pd.DataFrame:
    """Each job's local hour and weekday in its region's zone, and whether its local day lies wholly in [START, END)."""
    f = wl.frame
    out = pd.DataFrame({"hour": 0, "dow": 0, "full_day": False, "origin": f["origin"].astype(object)}, index=f.index)
    for region, tz in TZ.items():
        m = (f["origin"] == region).to_numpy()
        loc = pd.DatetimeIndex(f.loc[m, "submit_time"]).tz_convert(tz)
        day = loc.normalize()
        out.loc[m, "hour"] = loc.hour.to_numpy()
        out.loc[m, "dow"] = loc.day_of_week.to_numpy()
        out.loc[m, "full_day"] = np.asarray((day >= START) & (day + pd.Timedelta(days=1) <= END))
    return out


def full_days(tz: str) -> pd.DatetimeIndex:
    days = pd.date_range(START.tz_convert(tz).normalize(), END.tz_convert(tz), freq="D")
    return days[(days >= START) & (days + pd.Timedelta(days=1) <= END)]


def test_class_shares_are_binomial(wl: Workload) -> None:
    counts = wl.frame["job_class"].value_counts()
    total = sum(c.share_frac for c in CLASSES.values())
    for name, c in CLASSES.items():
        assert within(counts[name], N, c.share_frac / total), name
    assert tuple(c.share_frac for c in CLASSES.values()) == (0.5, 0.3, 0.2)  # the documented defaults


def test_regional_split_matches_weights(wl: Workload) -> None:
    # expected arrival mass of each region = weight x sum over the horizon's hours of profile x weekday factor,
    # evaluated hour by hour in the region's own zone (equal for whole weeks, computed anyway)
    hours = pd.date_range(START, END, freq="h", inclusive="left")
    prof = np.asarray(DIURNAL_PROFILE)
    mass = {}
    for region, tz in TZ.items():
        loc = hours.tz_convert(tz)
        mass[region] = WEIGHTS[region] * float(np.sum(prof[loc.hour] * np.where(loc.day_of_week >= 5,
                                                                               WEEKEND_FACTOR, 1.0)))
    total = sum(mass.values())
    observed = wl.frame["origin"].value_counts()
    obs = np.array([observed[r] for r in TZ])
    exp = np.array([N * mass[r] / total for r in TZ])
    assert stats.chisquare(obs, exp).pvalue > 1e-6
    assert np.allclose(obs / N, np.array(list(WEIGHTS.values())), atol=0.01)


def test_diurnal_rhythm_in_local_time(wl: Workload) -> None:
    parts = local_parts(wl)
    full = parts[parts["full_day"]]
    prof = np.asarray(DIURNAL_PROFILE)
    # on whole local days every hour is covered equally often, so hourly counts are proportional to the profile
    hourly = np.bincount(full["hour"].to_numpy(dtype=np.int64), minlength=24)
    assert stats.chisquare(hourly, hourly.sum() * prof / prof.sum()).pvalue > 1e-6
    night = int(hourly[2:5].sum())  # 02:00-05:00 local
    day = int(hourly[10:13].sum())  # 10:00-13:00 local
    expected = prof[2:5].sum() / prof[10:13].sum()
    assert expected < 0.25  # the profile's night trough is deep
    assert night / day <= expected * (1 + Z_TOL * np.sqrt(1 / night + 1 / day))
    assert night / day == pytest.approx(expected, rel=Z_TOL * np.sqrt(1 / night + 1 / day))
    # the Urumqi jobs follow Urumqi's clock (UTC+6), not Beijing's: their local trough is also at 02:00-05:00
    u = full[full["origin"] == "urumqi"]
    u_hourly = np.bincount(u["hour"].to_numpy(dtype=np.int64), minlength=24)
    assert stats.chisquare(u_hourly, u_hourly.sum() * prof / prof.sum()).pvalue > 1e-6


def test_weekend_rate_is_the_weekend_factor(wl: Workload) -> None:
    parts = local_parts(wl)
    for region, tz in TZ.items():
        days = full_days(tz)
        n_weekend = int((days.day_of_week >= 5).sum())
        n_weekday = len(days) - n_weekend
        sel = parts[(parts["origin"] == region) & parts["full_day"]]
        we = int((sel["dow"] >= 5).sum())
        wd = len(sel) - we
        ratio = (we / n_weekend) / (wd / n_weekday)
        assert ratio == pytest.approx(WEEKEND_FACTOR, rel=Z_TOL * np.sqrt(1 / we + 1 / wd)), region


def test_class_properties(wl: Workload) -> None:
    f = wl.frame
    for name, c in CLASSES.items():
        part = f[f["job_class"] == name]
        n = len(part)
        assert set(part["max_latency_ms"].unique()) <= set(c.max_latency_ms)
        assert part["slack_s"].between(c.slack_min_s, c.slack_max_s).all()
        assert within(int(part["interruptible"].sum()), n, c.interruptible_frac), name
        assert within(int((part["device"] == "gpu").sum()), n, c.gpu_frac), name
        if c.slack_max_s > c.slack_min_s:  # uniform slack: mean at the middle of the range
            sd = (c.slack_max_s - c.slack_min_s) / np.sqrt(12 * n)
            assert abs(part["slack_s"].mean() - (c.slack_min_s + c.slack_max_s) / 2) <= Z_TOL * sd
    rt, warm, cold = (f[f["job_class"] == k] for k in ("realtime", "warm", "cold"))
    assert rt["max_latency_ms"].max() <= 20.0  # NDRC cross-hub tier
    assert (rt["slack_s"] == 0).all() and not rt["interruptible"].any()
    assert warm["slack_s"].min() >= HOUR_S and warm["slack_s"].max() <= 12 * HOUR_S
    assert warm["max_latency_ms"].between(50, 100).all()
    assert cold["slack_s"].min() >= DAY_S and cold["slack_s"].max() <= 7 * DAY_S
    assert (cold["max_latency_ms"] >= 1000).all()
    # GPU share: inference (realtime) below training (warm, cold)
    gpu = f["device"] == "gpu"
    assert gpu[rt.index].mean() < gpu[warm.index].mean() < gpu[cold.index].mean()


def test_power(wl: Workload) -> None:
    f = wl.frame
    assert (f.loc[f["device"] == "gpu", "power_kw"] == 10.0).all()  # one 8-GPU node ~ 10 kW
    cpu = f.loc[f["device"] == "cpu", "power_kw"]
    assert cpu.between(0.2, 2.0).all()
    assert cpu.median() == pytest.approx(0.4, rel=0.02)  # lognormal median 0.4 kW, clipped far from the median


def test_durations_are_heavy_tailed(wl: Workload) -> None:
    f = wl.frame
    z99 = stats.norm.ppf(0.99)
    for name, c in CLASSES.items():
        for device, median in (("cpu", c.cpu_duration_median_s), ("gpu", c.gpu_duration_median_s)):
            d = f.loc[(f["job_class"] == name) & (f["device"] == device), "duration_s"]
            n = len(d)
            assert d.min() >= max(1.0, c.duration_min_s) and d.max() <= c.duration_max_s
            assert d.mean() > d.median()
            # sample median of a lognormal: log-space sd = sqrt(pi/2) sigma / sqrt(n)
            tol = Z_TOL * np.sqrt(np.pi / 2) * c.duration_sigma / np.sqrt(n)
            assert abs(np.log(d.median() / median)) <= tol, (name, device)
            # p99/p50 as large as the lognormal allows below the clip
            expected = min(np.exp(z99 * c.duration_sigma), c.duration_max_s / median)
            assert d.quantile(0.99) / d.median() >= 0.85 * expected, (name, device)
            assert expected > 10
    # realtime is seconds to minutes; cold GPU training runs for days
    assert f.loc[f["job_class"] == "realtime", "duration_s"].median() < 60
    cold_gpu = f.loc[(f["job_class"] == "cold") & (f["device"] == "gpu"), "duration_s"]
    assert cold_gpu.max() >= 2 * DAY_S


def test_data_sizes(wl: Workload) -> None:
    f = wl.frame
    med = f.groupby("job_class", observed=True)["data_gb"].median()
    assert med["realtime"] < med["warm"] < med["cold"]
    for name, c in CLASSES.items():
        d = f.loc[f["job_class"] == name, "data_gb"]
        assert (d > 0).all() and d.max() <= c.data_max_gb and d.mean() > d.median()
        assert abs(np.log(d.median() / c.data_median_gb)) <= Z_TOL * np.sqrt(np.pi / 2) * c.data_sigma / np.sqrt(
            len(d))


def test_tenants_are_zipf_skewed(wl: Workload) -> None:
    p = WorkloadParams()
    counts = wl.frame["tenant"].value_counts()
    assert set(counts.index) <= {f"tenant-{i:02d}" for i in range(p.n_tenants)}
    w = np.arange(1, p.n_tenants + 1, dtype=float) ** -p.tenant_zipf_exponent
    w /= w.sum()
    assert counts.index[0] == "tenant-00"
    for i in (0, 1, 9):
        assert within(counts[f"tenant-{i:02d}"], N, w[i])


def test_ids_times_and_validation(wl: Workload) -> None:
    f = wl.frame
    assert (f["job_id"].to_numpy() == np.arange(len(f))).all()
    assert f["submit_time"].is_monotonic_increasing
    assert f["submit_time"].min() >= START and f["submit_time"].max() < END
    assert str(f["submit_time"].dt.tz) == "UTC"
    assert Workload.from_frame(f.copy(), regions=NET.region_ids).equals(wl)


def test_stats_match_a_hand_count(wl: Workload) -> None:
    s = workload_stats(wl)
    f = wl.frame
    assert list(s.index) == ["realtime", "warm", "cold"]
    assert int(s["jobs"].sum()) == len(wl)
    for name in CLASSES:
        part = f[f["job_class"] == name]
        assert s.loc[name, "jobs"] == len(part)
        assert s.loc[name, "share_frac"] == pytest.approx(len(part) / len(f))
        assert s.loc[name, "mean_duration_s"] == pytest.approx(part["duration_s"].mean())
        assert s.loc[name, "p95_duration_s"] == pytest.approx(np.quantile(part["duration_s"].to_numpy(), 0.95))
        assert s.loc[name, "gpu_frac"] == pytest.approx((part["device"] == "gpu").mean())
        energy = float(np.sum(part["power_kw"].to_numpy() * part["duration_s"].to_numpy()) / HOUR_S)
        assert s.loc[name, "energy_kwh"] == pytest.approx(energy)
        assert s.loc[name, "mean_slack_s"] == pytest.approx(part["slack_s"].mean())
    empty = workload_stats(Workload.empty())
    assert empty["jobs"].tolist() == [0, 0, 0] and float(empty.to_numpy().sum()) == 0.0


def test_deterministic() -> None:
    a = synthesize_workload(NET, start=START, end=END, n_jobs=500, seed=3)
    b = synthesize_workload(NET, start=START, end=END, n_jobs=500, seed=3)
    c = synthesize_workload(NET, start=START, end=END, n_jobs=500, seed=4)
    assert a.equals(b) and not a.equals(c)


def test_zero_jobs_and_zero_share_class() -> None:
    empty = synthesize_workload(NET, start=START, end=END, n_jobs=0, seed=0)
    assert len(empty) == 0 and list(empty.frame.columns) == list(Workload.empty().frame.columns)
    params = WorkloadParams(warm=WARM.model_copy(update={"share_frac": 0.0}))
    wl = synthesize_workload(NET, start=START, end=END, n_jobs=2000, seed=0, params=params)
    assert not (wl.frame["job_class"] == "warm").any()


@pytest.mark.parametrize(("kw", "field"), [
    ({"n_jobs": -1}, "n_jobs"), ({"n_jobs": 2.5}, "n_jobs"), ({"end": START}, "end"),
    ({"end": START - pd.Timedelta(hours=1)}, "end"), ({"start": "2025-01-01 00:00"}, "start"),
    ({"start": pd.Timestamp("2025-01-01")}, "start"), ({"end": "2025-03-01T00:00"}, "end"), ({"seed": -1}, "seed"),
])
def test_bad_input_names_the_field(kw: dict[str, Any], field: str) -> None:
    args: dict[str, Any] = {"start": START, "end": END, "n_jobs": 10, "seed": 0, **kw}
    with pytest.raises(InputError) as exc:
        synthesize_workload(NET, **args)
    assert exc.value.field == field


def test_bad_network_and_params() -> None:
    no_regions = Network(sites=NET.sites, demand_regions=())
    with pytest.raises(InputError) as exc:
        synthesize_workload(no_regions, start=START, end=END, n_jobs=1, seed=0)
    assert exc.value.field == "demand_regions"
    bad_tz = Network(sites=NET.sites, demand_regions=(*NET.demand_regions[:2], NET.demand_regions[2].model_copy(
        update={"tz": "Asia/Nowhere"})))
    with pytest.raises(InputError) as exc:
        synthesize_workload(bad_tz, start=START, end=END, n_jobs=1, seed=0)
    assert exc.value.field == "demand_regions[2].tz"
    with pytest.raises(InputError) as exc:
        synthesize_workload(NET, start=START, end="2300-01-01T00:00Z", n_jobs=1, seed=0)
    assert exc.value.field == "end"
    with pytest.raises(ValidationError, match="slack_min_s"):
        ClassParams(**{**WARM.model_dump(), "slack_min_s": 2 * DAY_S})
    with pytest.raises(ValidationError, match="realtime"):
        WorkloadParams(realtime=REALTIME.model_copy(update={"max_latency_ms": (30.0,)}))
    with pytest.raises(ValidationError, match="diurnal_profile"):
        WorkloadParams(diurnal_profile=(1.0,) * 23)
    with pytest.raises(ValidationError, match="gpu_node_kw"):
        WorkloadParams.model_validate({"gpu_node_w": 10_000.0})  # a wrong unit is named with the right one


@settings(max_examples=30, deadline=None)
@given(n=st.integers(0, 2000), seed=st.integers(0, 2**32 - 1), minutes=st.integers(1, 20 * 24 * 60),
       offset_s=st.integers(0, 7 * 86_400), tenants=st.integers(1, 120))
def test_invariants(n: int, seed: int, minutes: int, offset_s: int, tenants: int) -> None:
    start = START + pd.Timedelta(seconds=offset_s)  # starts off the 15-minute grid too
    end = start + pd.Timedelta(minutes=minutes)
    wl = synthesize_workload(NET, start=start, end=end, n_jobs=n, seed=seed, params=WorkloadParams(n_tenants=tenants))
    f = Workload.from_frame(wl.frame, regions=NET.region_ids).frame
    assert len(f) == n and (f["job_id"].to_numpy() == np.arange(n)).all()
    assert f["submit_time"].is_monotonic_increasing
    if n:
        assert f["submit_time"].min() >= start and f["submit_time"].max() < end
    assert (f["slack_s"] >= 0).all() and (f["duration_s"] >= 1).all() and (f["data_gb"] > 0).all()
    for name, c in CLASSES.items():
        part = f[f["job_class"] == name]
        assert part["max_latency_ms"].isin(c.max_latency_ms).all()
        assert part["slack_s"].between(c.slack_min_s, c.slack_max_s).all()
        assert part["duration_s"].between(c.duration_min_s, c.duration_max_s).all()
    assert (f.loc[f["job_class"] == "realtime", "max_latency_ms"] <= 20).all()
    width = max(2, len(str(tenants - 1)))
    assert f["tenant"].isin([f"tenant-{i:0{width}d}" for i in range(tenants)]).all()
