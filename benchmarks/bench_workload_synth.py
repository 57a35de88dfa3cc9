"""Workload synthesis speed: 1,000,000 jobs over one year on a 10-site / 8-region network built here.

``wall_s`` is the whole :func:`synthesize_workload` call (including its ``Workload.from_frame`` validation);
``validate_s`` times ``Workload.from_frame`` alone on the result, to show what validation costs.
"""

from __future__ import annotations

import time
from typing import Any

import pandas as pd

from shulu.data.workload_synth import synthesize_workload, workload_stats
from shulu.model import DemandRegion, Network, Site, Workload

START = pd.Timestamp("2025-01-01T00:00+08:00")
END = pd.Timestamp("2026-01-01T00:00+08:00")

# (id, lat, lon, role) — approximate locations of the eight hubs' clusters (illustrative only)
SITES = (("zhangjiakou", 40.8, 114.9, "east"), ("wuhu", 31.3, 118.4, "east"), ("shaoguan", 24.8, 113.6, "east"),
         ("tianfu", 30.4, 104.1, "west"), ("chongqing", 29.6, 106.5, "west"), ("guian", 26.4, 106.4, "west"),
         ("horinger", 40.4, 111.8, "west"), ("zhongwei", 37.5, 105.2, "west"), ("qingyang", 35.7, 107.6, "west"),
         ("yangtze", 31.0, 120.6, "east"))
# (id, lat, lon, weight, tz) — demand weights illustrative; one region on Xinjiang's UTC+6 clock
REGIONS = (("beijing", 39.9, 116.4, 0.20, "Asia/Shanghai"), ("shanghai", 31.2, 121.5, 0.22, "Asia/Shanghai"),
           ("guangzhou-shenzhen", 23.1, 113.6, 0.22, "Asia/Shanghai"), ("hangzhou", 30.3, 120.2, 0.10, "Asia/Shanghai"),
           ("chengdu", 30.7, 104.1, 0.08, "Asia/Shanghai"), ("wuhan", 30.6, 114.3, 0.08, "Asia/Shanghai"),
           ("xian", 34.3, 108.9, 0.06, "Asia/Shanghai"), ("urumqi", 43.8, 87.6, 0.04, "Asia/Urumqi"))


def bench_network() -> Network:
    """The 10-site / 8-region network the benchmark draws arrivals for."""
    sites = tuple(Site(id=i, name=i, role=role, lat_deg=lat, lon_deg=lon, it_capacity_kw=10_000.0)
                  for i, lat, lon, role in SITES)
    regions = tuple(DemandRegion(id=i, name=i, lat_deg=lat, lon_deg=lon, weight_frac=w, tz=tz)
                    for i, lat, lon, w, tz in REGIONS)
    return Network(sites=sites, demand_regions=regions)


def run(n_jobs: int = 1_000_000, repeats: int = 3) -> dict[str, Any]:
    """Time the synthesis of ``n_jobs`` jobs (best of ``repeats``, after a small warm-up)."""
    net = bench_network()
    synthesize_workload(net, start=START, end=END, n_jobs=1000, seed=0)
    walls = []
    wl = Workload.empty()
    for seed in range(1, repeats + 1):
        t = time.perf_counter()
        wl = synthesize_workload(net, start=START, end=END, n_jobs=n_jobs, seed=seed)
        walls.append(time.perf_counter() - t)
    t = time.perf_counter()
    Workload.from_frame(wl.frame, regions=net.region_ids)
    validate_s = time.perf_counter() - t
    t = time.perf_counter()
    workload_stats(wl)
    stats_s = time.perf_counter() - t
    wall = min(walls)
    return {"jobs": len(wl), "sites": len(net.sites), "regions": len(net.demand_regions), "wall_s": wall,
            "wall_first_s": walls[0], "jobs_per_s": len(wl) / wall, "validate_s": validate_s, "stats_s": stats_s}


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
