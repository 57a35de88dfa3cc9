"""B2: the national year — 10 sites x 8,760 h x 1,000,000 jobs with the `local` policy."""

from __future__ import annotations

import time
from typing import Any

from shulu.data.china import build_china_scenario
from shulu.policies import LocalPolicy
from shulu.sim.engine import simulate

N_JOBS = 1_000_000


def run(n_jobs: int = N_JOBS) -> dict[str, Any]:
    """Build the China year with ``n_jobs`` jobs, then time ``simulate`` with ``local``."""
    simulate(build_china_scenario(2025, n_jobs=100, seed=1), LocalPolicy())  # compile once
    t = time.perf_counter()
    scn = build_china_scenario(2025, n_jobs=n_jobs, seed=2025)
    build_s = time.perf_counter() - t
    t = time.perf_counter()
    res = simulate(scn, LocalPolicy())
    sim_s = time.perf_counter() - t
    s = res.summary
    return {"sites": len(scn.network.sites), "steps": scn.n_steps, "jobs": n_jobs, "build_scenario_s": build_s,
            "simulate_s": sim_s, "jobs_late": s["jobs_late"], "jobs_unfinished": s["jobs_unfinished"],
            "mean_wait_s": s["mean_wait_s"], "emissions_location_t": s["emissions_location_kg"] / 1000}


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
