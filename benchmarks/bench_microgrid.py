"""B1: the same one-year, 5-minute microgrid in shulu and in Vessim, in one run.

Both get identical input arrays (shulu's synthetic load and pvlib solar series), a lossless battery (Vessim's
SimpleBattery has no losses) with the same capacity, power limit (c-rate), initial and minimum state of charge,
and a grid connection; both dispatch battery first, then grid. Reports steps per second of each, their ratio,
and the relative difference of the energy totals.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pandas as pd

from shulu import units
from shulu.data.microgrid import build_microgrid_scenario
from shulu.policies import LocalPolicy
from shulu.sim.battery import get_dispatch_rule
from shulu.sim.engine import simulate
from shulu.sim.power import SiteArrays, site_power

DAYS = 365
STEP_S = 300
BATTERY_KWH = 200.0
BATTERY_KW = 100.0


def _scenario() -> Any:
    return build_microgrid_scenario(days=DAYS, step_s=STEP_S, seed=7, battery_energy_kwh=BATTERY_KWH,
                                    battery_power_kw=BATTERY_KW, battery_rte_frac=1.0, battery_soc_min_frac=0.1,
                                    battery_soc_initial_frac=0.5, solar_kw=300.0)


def run_vessim(load_kw: np.ndarray, solar_kw: np.ndarray) -> tuple[float, dict[str, float]]:
    import vessim as vs

    n = load_kw.size
    offsets = np.arange(n, dtype=float) * STEP_S
    env = vs.Environment(sim_start="2025-01-01T00:00", step_size=STEP_S)
    env.add_microgrid(
        actors=[vs.Consumer("load", vs.Trace(pd.Series(load_kw * units.W_PER_KW, index=offsets))),
                vs.Producer("solar", vs.Trace(pd.Series(solar_kw * units.W_PER_KW, index=offsets)))],
        dispatchables=[vs.SimpleBattery("battery", capacity=BATTERY_KWH * units.W_PER_KW, initial_soc=0.5,
                                        min_soc=0.1, c_rate=BATTERY_KW / BATTERY_KWH),
                       vs.GridConnection("grid")])
    rec = env.add_controller(vs.Recorder(timeseries=False))
    t = time.perf_counter()
    env.run(until=n * STEP_S)
    wall = time.perf_counter() - t
    m = rec.metrics["microgrids"]["microgrid_0"]
    wh = units.W_PER_KW
    return wall, {"grid_import_kwh": m["grid_import"] / wh, "grid_export_kwh": m["grid_export"] / wh,
                  "load_kwh": m["energy_consumed"] / wh, "solar_kwh": m["energy_produced"] / wh}


def run() -> dict[str, Any]:
    """Run B1 and return its numbers."""
    scn = _scenario()
    load = scn.signals.array("it_load_kw")[:, 0]
    solar = scn.signals.array("solar_cf")[:, 0] * scn.network.sites[0].supply.solar_kw
    n = scn.n_steps
    simulate(build_microgrid_scenario(days=2, step_s=STEP_S), LocalPolicy())  # compile once
    # shulu, the whole simulate() call (context, engine, power balance, result tables, provenance)
    t = time.perf_counter()
    res = simulate(scn, LocalPolicy())
    shulu_full_s = time.perf_counter() - t
    # shulu, the power-balance core alone (what Vessim's loop does)
    arrays = SiteArrays.from_sites(scn.network.sites)
    one = np.ones((n, 1))
    args = (load.reshape(-1, 1), 15.0 * one, scn.signals.array("solar_cf"), 0 * one, 400.0 * one, 0.6 * one, 0 * one)
    rule = get_dispatch_rule("self-consumption")
    reps = 20
    t = time.perf_counter()
    for _ in range(reps):
        site_power(*args, arrays, float(STEP_S), rule)
    shulu_core_s = (time.perf_counter() - t) / reps
    vessim_s, v = run_vessim(load, solar)
    s = res.summary
    ours = {"grid_import_kwh": s["grid_import_kwh"], "grid_export_kwh": s["grid_export_kwh"] + s["curtailed_kwh"],
            "load_kwh": s["energy_demand_kwh"], "solar_kwh": float(solar.sum() * STEP_S / units.SECONDS_PER_HOUR)}
    agree = {k: abs(ours[k] - v[k]) / max(abs(v[k]), 1e-9) for k in ours}
    return {
        "steps": n,
        "shulu_simulate_s": shulu_full_s, "shulu_core_s": shulu_core_s, "vessim_s": vessim_s,
        "shulu_simulate_steps_per_s": n / shulu_full_s, "shulu_core_steps_per_s": n / shulu_core_s,
        "vessim_steps_per_s": n / vessim_s,
        "speedup_simulate_vs_vessim": vessim_s / shulu_full_s, "speedup_core_vs_vessim": vessim_s / shulu_core_s,
        "totals_shulu": ours, "totals_vessim": v, "max_rel_diff_totals": max(agree.values()),
    }


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
