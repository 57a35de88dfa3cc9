"""Microgrid mode: one site with an exogenous load series, solar, a battery and the grid.

The same engine runs it: the load is the ``it_load_kw`` signal (with PUE 1 and no
idle draw unless you set them), and there are no jobs.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.signal import lfilter

from shulu import units
from shulu.data import solar
from shulu.errors import InputError
from shulu.model.network import DemandRegion, Link, Network
from shulu.model.scenario import Scenario
from shulu.model.signals import Signals
from shulu.model.site import PowerSupply, Site
from shulu.model.workload import Workload
from shulu.timeindex import check_step, make_index, to_utc

# Default microgrid (EST): a 100 kW edge data center near Berlin-like latitude, 150 kWp solar, 200 kWh battery.
DEFAULT_LOAD_MEAN_KW = 100.0
DEFAULT_SOLAR_KW = 150.0
DEFAULT_BATTERY_KWH = 200.0
DEFAULT_BATTERY_KW = 100.0
DEFAULT_INTENSITY_G_PER_KWH = 400.0
DEFAULT_PRICE_CNY_PER_KWH = 0.6
DEFAULT_SOLAR_CF = 0.12
_AR_COEF = 0.98  # step-to-step persistence of load noise (EST)


def synthetic_load_kw(index: pd.DatetimeIndex, *, mean_kw: float, rng: np.random.Generator,
                      diurnal_amplitude_frac: float = 0.2, noise_frac: float = 0.05) -> npt.NDArray[np.float64]:
    """A data-center load: mean with a mild diurnal swing (peak mid-afternoon UTC+8) and AR(1) noise [kW]."""
    hour = (index.hour + index.minute / units.MINUTES_PER_HOUR + 8.0) % units.HOURS_PER_DAY
    diurnal = 1.0 + diurnal_amplitude_frac * np.sin(2 * np.pi * (hour - 9.0) / units.HOURS_PER_DAY)
    eps = rng.normal(0.0, noise_frac, len(index))
    ar = lfilter([np.sqrt(1 - _AR_COEF**2)], [1.0, -_AR_COEF], eps)  # AR(1) with unit-variance scaling
    return np.maximum(mean_kw * (diurnal + ar), 0.0)


def build_microgrid_scenario(*, days: int = 365, step_s: int = 300, start: str = "2025-01-01T00:00Z",
                             seed: int = 0, load_kw: npt.ArrayLike | None = None,
                             solar_cf: npt.ArrayLike | None = None,
                             intensity_g_per_kwh: npt.ArrayLike | float = DEFAULT_INTENSITY_G_PER_KWH,
                             price_cny_per_kwh: float = DEFAULT_PRICE_CNY_PER_KWH, solar_kw: float = DEFAULT_SOLAR_KW,
                             battery_energy_kwh: float = DEFAULT_BATTERY_KWH,
                             battery_power_kw: float = DEFAULT_BATTERY_KW, battery_rte_frac: float = 0.9,
                             battery_soc_min_frac: float = 0.1, battery_soc_initial_frac: float = 0.5,
                             lat_deg: float = 40.0, lon_deg: float = 116.0) -> Scenario:
    """A one-site microgrid scenario (default: a year at 5-minute steps).

    Parameters
    ----------
    days : int
        Horizon length [day].
    step_s : int
        Step [s].
    load_kw, solar_cf, intensity_g_per_kwh : array-like, optional
        Per-step series (length = steps); synthesised when not given.
    solar_kw, battery_energy_kwh, battery_power_kw : float
        Solar capacity [kW], battery energy [kWh] and power [kW].

    Returns
    -------
    Scenario

    Examples
    --------
    >>> scn = build_microgrid_scenario(days=1, step_s=300)
    >>> scn.n_steps, len(scn.network.sites)
    (288, 1)
    """
    step_s = check_step(step_s)
    if days < 1:
        raise InputError(f"expected days >= 1, got {days}", field="days")
    t0 = to_utc(start, field="start")
    end = t0 + pd.Timedelta(days=days)
    idx = make_index(t0, step_s=step_s, end=end)
    n = len(idx)
    rng = np.random.default_rng(seed)

    def series(v: npt.ArrayLike | None, name: str, default: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        if v is None:
            return default
        arr = np.broadcast_to(np.asarray(v, dtype=np.float64), (n,)).copy() if np.ndim(v) == 0 else np.asarray(
            v, dtype=np.float64)
        if arr.shape != (n,):
            raise InputError(f"expected {n} values (one per step), got {arr.shape[0]}", field=name)
        return arr

    load = series(load_kw, "load_kw", synthetic_load_kw(idx, mean_kw=DEFAULT_LOAD_MEAN_KW, rng=rng)
                  if load_kw is None else np.zeros(n))
    cf = series(solar_cf, "solar_cf", solar.solar_cf(idx, lat_deg=lat_deg, lon_deg=lon_deg,
                                                    target_cf=DEFAULT_SOLAR_CF, rng=rng)
                if solar_cf is None else np.zeros(n))
    intensity = series(intensity_g_per_kwh, "intensity_g_per_kwh", np.zeros(n))
    cap = float(max(load.max(), 1e-6)) * 1.0000001
    site = Site(id="microgrid", name="Microgrid", role="east", lat_deg=lat_deg, lon_deg=lon_deg, it_capacity_kw=cap,
                server_idle_frac=0.0, pue_design=1.0, pue_temp_coef_per_c=0.0, pue_light_load_coef=0.0,
                supply=PowerSupply(solar_kw=solar_kw, battery_energy_kwh=battery_energy_kwh,
                                   battery_power_kw=battery_power_kw, battery_rte_frac=battery_rte_frac,
                                   battery_soc_min_frac=battery_soc_min_frac,
                                   battery_soc_initial_frac=battery_soc_initial_frac),
                sources={"all": "EST: synthetic microgrid"})
    region = DemandRegion(id="local", name="Local users", lat_deg=lat_deg, lon_deg=lon_deg, weight_frac=1.0)
    net = Network(sites=(site,), demand_regions=(region,), links=(Link(a="local", b="microgrid", latency_ms=0.0),))
    frames = {"intensity_g_per_kwh": intensity, "price_cny_per_kwh": np.full(n, price_cny_per_kwh),
              "solar_cf": cf, "it_load_kw": load}
    signals = Signals.build({k: pd.DataFrame({"microgrid": v}, index=idx) for k, v in frames.items()},
                            step_s=step_s, sites=["microgrid"])
    return Scenario(name="microgrid", network=net, signals=signals, workload=Workload.empty(), start=t0, end=end,
                    step_s=step_s, seed=seed, description=f"One-site microgrid, {days} days at {step_s} s steps.")
