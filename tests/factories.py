"""Tiny hand-checkable scenarios for tests (importable: tests/ is on pytest's pythonpath)."""

from __future__ import annotations

import numpy as np
import pandas as pd

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
