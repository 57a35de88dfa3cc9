"""Workload synthesis speed: 1,000,000 jobs on the China network for a year."""

from __future__ import annotations

import time
from typing import Any

from shulu.data.china import china_network, year_bounds
from shulu.data.workload_synth import synthesize_workload


def run(n_jobs: int = 1_000_000) -> dict[str, Any]:
    """Time the synthesis of ``n_jobs`` jobs."""
    start, end = year_bounds(2025)
    net = china_network(1.0)
    synthesize_workload(net, start=start, end=end, n_jobs=1000, seed=0)
    t = time.perf_counter()
    wl = synthesize_workload(net, start=start, end=end, n_jobs=n_jobs, seed=1)
    wall = time.perf_counter() - t
    return {"jobs": len(wl), "wall_s": wall, "jobs_per_s": len(wl) / wall}


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
