"""The power layer alone: ``site_power`` for 10 sites x 8,760 h and for 1 site x 105,120 five-minute steps.

Random but physical inputs (fixed seed); every dispatch rule; the first call (numba compile, or loading the
compiled cache) is timed apart from the steady state (median of repeated calls). Targets: well under 0.1 s per
call after JIT. Also reports the worst energy-balance residual seen.
"""

from __future__ import annotations

import statistics
import time
from typing import Any

import numpy as np

from shulu.model import PowerSupply, Site
from shulu.sim.battery import DISPATCH_RULES, get_dispatch_rule
from shulu.sim.power import SiteArrays, site_power

REPS = 15
TARGET_S = 0.1
CASES = (("10 sites x 8760 h", 10, 8760, 3600.0), ("1 site x 105120 x 5 min", 1, 105120, 300.0))


def _sites(n: int) -> list[Site]:
    return [Site(id=f"s{i}", name=f"S{i}", role="west", lat_deg=30.0, lon_deg=100.0 + i, it_capacity_kw=1000.0,
                 heat_recovery_frac=0.2 if i % 2 else 0.0,
                 supply=PowerSupply(solar_kw=800.0, wind_kw=400.0, battery_energy_kwh=2000.0, battery_power_kw=500.0,
                                    green_purchase_frac=0.3, grid_export_allowed=bool(i % 3)))
            for i in range(n)]


Inputs = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def _inputs(n_t: int, n_s: int, seed: int = 7) -> Inputs:
    rng = np.random.default_rng(seed)
    hour = np.arange(n_t)[:, None] % 24
    day = np.clip(np.sin((hour - 6) / 12 * np.pi), 0.0, None)
    it = 600.0 + 300.0 * rng.random((n_t, n_s))
    temp = 10.0 + 15.0 * day + rng.normal(0.0, 2.0, (n_t, n_s))
    solar = np.clip(day * rng.uniform(0.5, 1.0, (n_t, n_s)), 0.0, 1.0)
    wind = rng.uniform(0.0, 0.6, (n_t, n_s))
    intensity = 600.0 - 250.0 * day + rng.normal(0.0, 30.0, (n_t, n_s))
    price = np.where((hour >= 8) & (hour < 22), 0.9, 0.35) * np.ones((1, n_s))
    cfe = np.clip(0.3 + 0.3 * day, 0.0, 1.0) * np.ones((1, n_s))
    return it, temp, solar, wind, np.maximum(intensity, 0.0), price, cfe


def run() -> dict[str, Any]:
    """Time ``site_power`` on both cases and every dispatch rule; return the numbers."""
    out: dict[str, Any] = {"reps": REPS, "target_s": TARGET_S}
    worst_residual = 0.0
    for label, n_s, n_t, step_s in CASES:
        args = _inputs(n_t, n_s)
        arrays = SiteArrays.from_sites(_sites(n_s))
        for name in sorted(DISPATCH_RULES):
            rule = get_dispatch_rule(name)
            t = time.perf_counter()
            flows = site_power(*args, arrays, step_s, rule)
            first_s = time.perf_counter() - t
            times = []
            for _ in range(REPS):
                t = time.perf_counter()
                site_power(*args, arrays, step_s, rule)
                times.append(time.perf_counter() - t)
            med = statistics.median(times)
            scale = np.maximum(1.0, flows.demand_kw + flows.solar_kw + flows.wind_kw)
            worst_residual = max(worst_residual, float(np.max(np.abs(flows.energy_balance_residual_kw()) / scale)))
            key = f"{label} | {name}"
            out[f"{key} | first_call_s"] = first_s
            out[f"{key} | median_s"] = med
            out[f"{key} | site_steps_per_s"] = n_s * n_t / med
            out[f"{key} | under_target"] = med < TARGET_S
    out["max_rel_balance_residual"] = worst_residual
    return out


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
