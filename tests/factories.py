"""Tiny hand-checkable scenarios for tests (importable: tests/ is on pytest's pythonpath)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import strategies as st

from shulu import units
from shulu.model import DemandRegion, Link, Network, PowerSupply, Scenario, Signals, Site, Workload


def make_network(n_sites: int = 2, n_regions: int = 2) -> Network:
    sites = tuple(
        Site(id=f"s{i}", name=f"Site {i}", role="east" if i == 0 else "west", lat_deg=30.0 + i, lon_deg=110.0 + i,
             it_capacity_kw=1000.0 * (i + 1), supply=PowerSupply(solar_kw=100.0 * i))
        for i in range(n_sites))
    regions = tuple(DemandRegion(id=f"r{j}", name=f"Region {j}", lat_deg=31.0, lon_deg=115.0 + j,
                                 weight_frac=1.0 / n_regions) for j in range(n_regions))
    links = tuple(Link(a=r.id, b=s.id, latency_ms=5.0 + i + j) for j, r in enumerate(regions)
                  for i, s in enumerate(sites))
    return Network(sites=sites, demand_regions=regions, links=links)


def make_scenario(n_sites: int = 2, n_regions: int = 2, hours: int = 24, step_s: int = 3600,
                  n_jobs: int = 3, seed: int = 0) -> Scenario:
    net = make_network(n_sites, n_regions)
    start = pd.Timestamp("2025-01-01T00:00Z")
    periods = int(hours * 3600 // step_s)
    idx = pd.date_range(start, periods=periods, freq=pd.Timedelta(seconds=step_s), name="time")
    rng = np.random.default_rng(seed)
    frames = {
        "intensity_g_per_kwh": pd.DataFrame(rng.uniform(100, 800, (periods, n_sites)), index=idx,
                                            columns=net.site_ids),
        "price_cny_per_kwh": pd.DataFrame(rng.uniform(0.2, 1.0, (periods, n_sites)), index=idx,
                                          columns=net.site_ids),
        "solar_cf": pd.DataFrame(rng.uniform(0, 1, (periods, n_sites)), index=idx, columns=net.site_ids),
    }
    signals = Signals.build(frames, step_s=step_s, sites=net.site_ids)
    jobs = pd.DataFrame({
        "job_id": np.arange(n_jobs), "tenant": [f"t{i % 2}" for i in range(n_jobs)],
        "origin": [net.region_ids[i % n_regions] for i in range(n_jobs)],
        "submit_time": [start + pd.Timedelta(minutes=37 * i) for i in range(n_jobs)],
        "duration_s": rng.uniform(60, 7200, n_jobs), "power_kw": rng.uniform(0.5, 10, n_jobs),
        "device": ["gpu" if i % 3 == 0 else "cpu" for i in range(n_jobs)],
        "slack_s": rng.uniform(0, 3600, n_jobs), "max_latency_ms": [20.0] * n_jobs,
        "data_gb": rng.uniform(0, 50, n_jobs), "interruptible": [bool(i % 2) for i in range(n_jobs)],
        "job_class": [("realtime", "warm", "cold")[i % 3] for i in range(n_jobs)],
    })
    wl = Workload.from_frame(jobs, regions=net.region_ids)
    return Scenario(name="tiny", network=net, signals=signals, workload=wl, start=start,
                    end=start + pd.Timedelta(hours=hours), step_s=step_s, seed=seed)


T0_RANDOM = pd.Timestamp("2025-03-01T00:00Z")


@st.composite
def random_scenario(draw: st.DrawFn) -> Scenario:
    rng = np.random.default_rng(draw(st.integers(0, 100_000)))
    hours = draw(st.integers(6, 30))
    n_sites = draw(st.integers(1, 3))
    n_jobs = draw(st.integers(1, 25))
    step_s = draw(st.sampled_from([900, 3600]))
    powers = rng.uniform(0.5, 5.0, n_jobs)
    sites = tuple(
        Site(id=f"s{i}", name=f"S{i}", role="west" if i else "east", lat_deg=30, lon_deg=110,
             it_capacity_kw=float(2.5 * powers.sum() + 5), server_idle_frac=float(rng.uniform(0, 0.5)),
             pue_design=float(rng.uniform(1.1, 1.5)), pue_light_load_coef=float(rng.uniform(0, 0.2)),
             supply=PowerSupply(solar_kw=float(rng.uniform(0, 20)), wind_kw=float(rng.uniform(0, 20)),
                                battery_energy_kwh=float(rng.uniform(0, 30)),
                                battery_power_kw=float(rng.uniform(0, 10)),
                                green_purchase_frac=float(rng.uniform(0, 0.5))))
        for i in range(n_sites))
    regions = (DemandRegion(id="r0", name="R0", lat_deg=30, lon_deg=110, weight_frac=0.5),
               DemandRegion(id="r1", name="R1", lat_deg=31, lon_deg=111, weight_frac=0.5))
    links = tuple(Link(a=r.id, b=s.id, latency_ms=float(rng.uniform(1, 40)), transfer_energy_kwh_per_gb=0.002)
                  for r in regions for s in sites)
    net = Network(sites=sites, demand_regions=regions, links=links)
    periods = hours * 3600 // step_s
    idx = pd.date_range(T0_RANDOM, periods=periods, freq=pd.Timedelta(seconds=step_s))
    shape = (periods, n_sites)
    frames = {"intensity_g_per_kwh": pd.DataFrame(rng.uniform(50, 900, shape), index=idx, columns=net.site_ids),
              "price_cny_per_kwh": pd.DataFrame(rng.uniform(0.2, 1.0, shape), index=idx, columns=net.site_ids),
              "solar_cf": pd.DataFrame(rng.uniform(0, 1, shape), index=idx, columns=net.site_ids),
              "wind_cf": pd.DataFrame(rng.uniform(0, 1, shape), index=idx, columns=net.site_ids),
              "grid_cfe_frac": pd.DataFrame(rng.uniform(0, 1, shape), index=idx, columns=net.site_ids)}
    horizon_s = hours * 3600
    duration = rng.uniform(60, 4 * 3600, n_jobs)
    submit = rng.uniform(0, horizon_s * 0.5, n_jobs)
    jobs = pd.DataFrame({
        "job_id": np.arange(n_jobs), "tenant": "t", "origin": rng.choice(["r0", "r1"], n_jobs),
        "submit_time": [T0_RANDOM + pd.Timedelta(seconds=float(x)) for x in submit], "duration_s": duration,
        "power_kw": powers, "device": "cpu", "slack_s": rng.uniform(0, 8 * 3600, n_jobs),
        "max_latency_ms": 50.0, "data_gb": rng.uniform(0, 10, n_jobs), "interruptible": rng.random(n_jobs) < 0.5,
        "job_class": rng.choice(["realtime", "warm", "cold"], n_jobs)})
    return Scenario(name="rand", network=net, signals=Signals.build(frames, step_s=step_s, sites=net.site_ids),
                    workload=Workload.from_frame(jobs), start=T0_RANDOM,
                    end=T0_RANDOM + pd.Timedelta(seconds=horizon_s),
                    step_s=step_s)


def hand_accounts_scenario(green_purchase_frac: float = 0.0) -> Scenario:
    # one 10 kW site, half of an idle server's power drawn when unused, PUE exactly 1.5, embodied 8,760 kg per kW
    # over a one-year lifetime = 1 kg per kW per hour; intensity 100 then 300 g/kWh
    site = Site(id="a", name="A", role="east", lat_deg=30, lon_deg=110, it_capacity_kw=10.0, server_idle_frac=0.5,
                pue_design=1.5, pue_temp_coef_per_c=0.0, pue_light_load_coef=0.0,
                embodied_kgco2e_per_kw=units.HOURS_PER_YEAR, server_lifetime_years=1.0,
                supply=PowerSupply(green_purchase_frac=green_purchase_frac))
    net = Network(sites=(site,), demand_regions=(DemandRegion(id="r", name="R", lat_deg=30, lon_deg=110,
                                                              weight_frac=1.0),),
                  links=(Link(a="r", b="a", latency_ms=2.0),))
    idx = pd.date_range(T0_RANDOM, periods=2, freq="h")
    frames = {"intensity_g_per_kwh": pd.DataFrame([100.0, 300.0], index=idx, columns=["a"]),
              "price_cny_per_kwh": pd.DataFrame(1.0, index=idx, columns=["a"])}
    base = {"origin": "r", "submit_time": T0_RANDOM, "slack_s": 0.0, "max_latency_ms": 50.0, "data_gb": 0.0,
            "interruptible": False, "job_class": "warm"}
    wl = Workload.from_frame(pd.DataFrame([
        {**base, "job_id": 0, "tenant": "x", "duration_s": 7200.0, "power_kw": 2.0, "device": "gpu"},
        {**base, "job_id": 1, "tenant": "y", "duration_s": 3600.0, "power_kw": 6.0, "device": "cpu"}]))
    return Scenario(name="hand", network=net, signals=Signals.build(frames, step_s=3600, sites=["a"]), workload=wl,
                    start=T0_RANDOM, end=T0_RANDOM + pd.Timedelta(hours=2), step_s=3600)
