"""B6, sweep scaling: the same 8-cell sweep on a Dask LocalCluster with 1 worker and with 2, in one run.

The sweep: the built-in China year with 20,000 jobs (scenario seed fixed), policies ``local``, ``greenest-now``,
``spatio-temporal`` and ``renewable-following`` x seeds 1 and 2, noisy forecasts at 10% MAPE (the seed drives the
forecast errors). Each worker builds the scenario once (cached per process) and then runs its cells.

* ``sweep_s`` — :func:`shulu.sweep.run_sweep` on a started cluster: submit, run, store every cell, consolidate.
  Fresh worker processes, so each pays its imports and its scenario build, as in real use.
* ``cluster_start_s`` — starting the LocalCluster; ``total_s`` — both, what ``shulu sweep`` costs end to end.
* ``speedup_2_vs_1`` = ``sweep_s(1 worker) / sweep_s(2 workers)``, measured in the same run; also for ``total_s``.
* ``serial_s`` — the same cells one after another in this process with :func:`shulu.sweep.run_cell` (one build),
  the baseline without Dask.
* ``load_avg_1min_before``/``after`` — the machine's load average around the run: other work on a 2-CPU machine
  takes CPU from the second worker first.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path
from typing import Any

import pandas as pd

from shulu.sweep import expand, local_cluster, parse_spec, run_cell, run_sweep

SPEC: dict[str, Any] = {"name": "b6", "scenario": {"builtin": "china", "year": 2025, "jobs": 20_000, "seed": 2025},
        "grid": {"policy": ["local", "greenest-now", "spatio-temporal", "renewable-following"],
                 "forecast": ["noisy"], "mape": [0.1], "seed": [1, 2]}}


def one(n_workers: int, out: Path) -> dict[str, Any]:
    """Run the sweep on a fresh LocalCluster of ``n_workers``; wall times [s] and a check of the rows."""
    from distributed import Client

    spec = parse_spec(SPEC)
    t0 = time.perf_counter()
    with local_cluster(n_workers) as cluster, Client(cluster) as client:
        client.wait_for_workers(n_workers, timeout=120)
        t1 = time.perf_counter()
        rep = run_sweep(spec, out, client=client)
        t2 = time.perf_counter()
    df = pd.read_parquet(rep.results)
    assert rep.ran == len(df) == len(expand(spec)) and df["cell_id"].is_unique and not rep.failed
    return {"workers": rep.workers, "cells": rep.ran, "cluster_start_s": t1 - t0, "sweep_s": t2 - t1,
            "total_s": t2 - t0, "cell_wall_s_sum": float(df["cell_wall_s"].sum()),
            "simulate_s_sum": float(df["wall_s"].sum()), "workers_used": int(df["worker"].nunique()),
            "emissions_location_t": dict(zip(df["policy"] + "/" + df["seed"].astype(str),
                                             (df["emissions_location_kg"] / 1e3).tolist(), strict=True))}


def run() -> dict[str, Any]:
    """B6: 1 worker, then 2 workers, then the serial baseline; the ratios between them."""
    cells = expand(parse_spec(SPEC))
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="shulu-b6-") as tmp:
        w1 = one(1, Path(tmp) / "w1")
        w2 = one(2, Path(tmp) / "w2")
    t = time.perf_counter()
    rows = [run_cell(c).row for c in cells]
    serial_s = time.perf_counter() - t
    serial = {f"{r['policy']}/{r['seed']}": r["emissions_location_kg"] / 1e3 for r in rows}
    return {"cells": len(cells), "jobs": SPEC["scenario"]["jobs"], "1_worker": w1, "2_workers": w2,
            "serial_s": serial_s, "speedup_2_vs_1": w1["sweep_s"] / w2["sweep_s"],
            "speedup_2_vs_1_total": w1["total_s"] / w2["total_s"],
            "results_agree_1_vs_2_workers": w1["emissions_location_t"] == w2["emissions_location_t"],
            "results_agree_with_serial": serial == w1["emissions_location_t"], "cpus": os.cpu_count(),
            "load_avg_1min_before": load_before, "load_avg_1min_after": os.getloadavg()[0]}
