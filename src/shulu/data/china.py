"""The built-in China computing network (东数西算): 8 hubs, 10 clusters, 8 demand regions.

Static numbers come from ``data/builtin/china_hubs.yaml``, each with its source and
year or marked EST. Hourly profiles for a whole year are synthesised
deterministically from a seed:

* solar capacity factor: pvlib clear-sky at each site x a stochastic cloudiness
  process, calibrated to the site's capacity factor (:mod:`shulu.data.solar`);
* wind capacity factor: a stochastic wind-speed model with diurnal and seasonal
  shape through a turbine power curve, calibrated (:mod:`shulu.data.wind`);
* grid carbon intensity: synthesised from the zone's generation mix so that its
  generation-weighted annual mean equals the published provincial factor
  (:mod:`shulu.data.grid`);
* time-of-use prices (:mod:`shulu.data.tariff`) and outdoor temperature
  (:mod:`shulu.data.weather`).

Site IT capacity is sized from the workload, so that a scenario stands for the
slice of the national network that serves its workload. The network's installed
IT capacity is split among clusters by ``capacity_share_frac`` and its total is
the larger of (a) the workload's mean IT power divided by the target rack fill
(62.7%, CAICT Mar 2024) and (b) what keeps every site's mean load under the
carbon-agnostic nearest-site placement at or below ``local_util_max_frac``
(0.5, EST) — otherwise the baseline would queue without bound in the east. Each
cluster also holds at least ``min_site_gpu_nodes`` (3, EST) of the largest nodes
(the workload's GPU node power), so that multi-day GPU jobs do not block a small
site: with a small workload the fill is then lower than 62.7%.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd
import yaml

from shulu import units
from shulu.data import grid, solar, tariff, weather, wind
from shulu.data.workload_synth import synthesize_workload
from shulu.errors import InputError
from shulu.model.network import DemandRegion, Link, Network, fibre_latency_ms, great_circle_km
from shulu.model.scenario import Scenario
from shulu.model.signals import Signals
from shulu.model.site import PowerSupply, Site
from shulu.model.workload import Workload
from shulu.timeindex import check_step, make_index

LOCAL_TZ = "Asia/Shanghai"
_SITE_FIELDS = ("id", "name", "hub", "role", "province", "grid_zone")
_SIGNAL_SEED_OFFSETS = {"solar": 1, "wind": 2, "temperature": 3, "grid": 4}


@cache
def load_dataset() -> dict[str, Any]:
    """The parsed ``china_hubs.yaml`` dataset (numbers as ``{value, source}``)."""
    text = resources.files("shulu.data").joinpath("builtin/china_hubs.yaml").read_text(encoding="utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


def value(entry: Any) -> Any:
    """The value of a ``{value, source}`` entry (or the entry itself)."""
    return entry["value"] if isinstance(entry, dict) and "value" in entry else entry


def source_text(entry: Any, sources: dict[str, str]) -> str:
    """The full source text of a ``{value, source}`` entry (a key of ``sources`` is expanded)."""
    src = str(entry.get("source", "EST")) if isinstance(entry, dict) else "EST"
    key = src.split(" ", 1)[0]
    return f"{src}: {sources[key]}" if key in sources else src


def site_params(site_id: str) -> dict[str, Any]:
    """Raw dataset values (defaults applied) of one site, by field name."""
    data = load_dataset()
    for entry in data["sites"]:
        if entry["id"] == site_id:
            merged = {k: value(v) for k, v in data["site_defaults"].items()}
            merged.update({k: value(v) for k, v in entry.items()})
            return merged
    raise KeyError(site_id)


def china_network(total_it_capacity_kw: float, *, min_site_kw: float = 0.0) -> Network:
    """The 10 clusters, 8 demand regions and their links.

    Parameters
    ----------
    total_it_capacity_kw : float
        Installed IT capacity of the whole network [kW], split by ``capacity_share_frac``.
    min_site_kw : float
        Smallest IT capacity of any cluster [kW].
    """
    data = load_dataset()
    srcs: dict[str, str] = data["sources"]
    const = {k: value(v) for k, v in data["constants"].items()}
    defaults = data["site_defaults"]
    sites = []
    for e in data["sites"]:
        p = site_params(e["id"])
        it_kw = max(total_it_capacity_kw * p["capacity_share_frac"], min_site_kw)
        supply = PowerSupply(
            solar_kw=it_kw * p["solar_per_it_frac"], wind_kw=it_kw * p["wind_per_it_frac"],
            battery_power_kw=it_kw * p["battery_per_it_frac"],
            battery_energy_kwh=it_kw * p["battery_per_it_frac"] * p["battery_hours_h"],
            battery_rte_frac=p["battery_rte_frac"], green_purchase_frac=p["green_purchase_frac"])
        sources = {k: source_text(v, srcs) for k, v in {**defaults, **e}.items() if isinstance(v, dict)}
        sources["it_capacity_kw"] = ("sized from the workload (see shulu.data.china), split by "
                                     "capacity_share_frac: " + sources["capacity_share_frac"])
        sites.append(Site(
            **{k: e[k] for k in _SITE_FIELDS}, lat_deg=p["lat_deg"], lon_deg=p["lon_deg"], it_capacity_kw=it_kw,
            server_idle_frac=p["server_idle_frac"], pue_design=p["pue_design"],
            pue_temp_coef_per_c=p["pue_temp_coef_per_c"], pue_ref_temp_c=p["pue_ref_temp_c"],
            pue_light_load_coef=p["pue_light_load_coef"], embodied_kgco2e_per_kw=p["embodied_kgco2e_per_kw"],
            server_lifetime_years=p["server_lifetime_years"], heat_recovery_frac=p["heat_recovery_frac"],
            heat_pump_cop=p["heat_pump_cop"], supply=supply, sources=sources))
    gdp_total = sum(r["gdp_trillion_cny"] for r in data["demand_regions"])
    regions = [DemandRegion(id=r["id"], name=r["name"], lat_deg=r["lat_deg"], lon_deg=r["lon_deg"],
                            weight_frac=r["gdp_trillion_cny"] / gdp_total, tz=LOCAL_TZ,
                            sources={k: source_text({"source": v}, srcs)
                                     for k, v in data["demand_region_sources"].items()})
               for r in data["demand_regions"]]
    links = []
    points = [(s.id, s.lat_deg, s.lon_deg) for s in sites] + [(r.id, r.lat_deg, r.lon_deg) for r in regions]
    site_ids = {s.id for s in sites}
    link_source = source_text(data["constants"]["route_factor"], srcs)
    for i, (a, lat_a, lon_a) in enumerate(points):
        for b, lat_b, lon_b in points[i + 1:]:
            if a not in site_ids and b not in site_ids:
                continue  # region-region paths are not needed
            km = great_circle_km(lat_a, lon_a, lat_b, lon_b)
            lat_ms = fibre_latency_ms(km, route_factor=const["route_factor"], fibre_km_per_ms=const["fibre_km_per_ms"])
            links.append(Link(a=a, b=b, latency_ms=round(lat_ms, 3), bandwidth_gbps=const["bandwidth_gbps"],
                              transfer_energy_kwh_per_gb=const["transfer_energy_kwh_per_gb"], source=link_source))
    return Network(sites=tuple(sites), demand_regions=tuple(regions), links=tuple(links))


def year_bounds(year: int) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The calendar year in China's local time, as a UTC [start, end)."""
    if not 1990 <= year <= 2100:
        raise InputError(f"expected a year between 1990 and 2100, got {year}", field="year")
    start = pd.Timestamp(f"{year}-01-01", tz=LOCAL_TZ).tz_convert("UTC")
    end = pd.Timestamp(f"{year + 1}-01-01", tz=LOCAL_TZ).tz_convert("UTC")
    return start, end


def site_profiles(site_index: int, site: Site, index: pd.DatetimeIndex, *, seed: int) -> dict[str, Any]:
    """Every synthetic series of one site, plus its grid's generation mix (for checks).

    Returns a dict with ``solar_cf``, ``wind_cf``, ``temperature_c``, ``intensity_g_per_kwh``,
    ``grid_cfe_frac``, ``price_cny_per_kwh`` (arrays) and ``generation`` (DataFrame by type).
    """
    p = site_params(site.id)

    def rng(kind: str) -> np.random.Generator:
        return np.random.default_rng([seed, site_index, _SIGNAL_SEED_OFFSETS[kind]])

    s_cf = solar.solar_cf(index, lat_deg=site.lat_deg, lon_deg=site.lon_deg, target_cf=p["solar_target_cf"],
                          rng=rng("solar"))
    w_cf = wind.wind_cf(index, target_cf=p["wind_target_cf"], rng=rng("wind"), lon_deg=site.lon_deg)
    temp = weather.temperature_c(index, annual_mean_c=p["temp_annual_mean_c"],
                                 seasonal_amplitude_c=p["temp_seasonal_amplitude_c"],
                                 diurnal_amplitude_c=p["temp_diurnal_amplitude_c"], lon_deg=site.lon_deg,
                                 rng=rng("temperature"))
    gen = grid.generation_mix(index, lon_deg=site.lon_deg, shares=p["mix"], solar_cf=s_cf, wind_cf=w_cf,
                              rng=rng("grid"))
    intensity, _ = grid.carbon_intensity_g_per_kwh(gen, annual_factor_g_per_kwh=p["grid_factor_g_per_kwh"])
    return {"solar_cf": s_cf, "wind_cf": w_cf, "temperature_c": temp, "intensity_g_per_kwh": intensity,
            "grid_cfe_frac": grid.cfe_frac(gen), "generation": gen,
            "price_cny_per_kwh": tariff.tou_price_cny_per_kwh(index, flat_cny_per_kwh=p["price_flat_cny_per_kwh"],
                                                              tz=LOCAL_TZ)}


def china_signals(network: Network, index: pd.DatetimeIndex, *, seed: int) -> Signals:
    """Synthesise every site's signals over ``index`` (deterministic for a seed)."""
    step_s = int((index[1] - index[0]).total_seconds())
    names = ("intensity_g_per_kwh", "price_cny_per_kwh", "solar_cf", "wind_cf", "grid_cfe_frac", "temperature_c")
    cols: dict[str, dict[str, np.ndarray]] = {k: {} for k in names}
    for i, site in enumerate(network.sites):
        prof = site_profiles(i, site, index, seed=seed)
        for k in names:
            cols[k][site.id] = prof[k]
    frames = {k: pd.DataFrame(v, index=index) for k, v in cols.items()}
    return Signals.build(frames, step_s=step_s, sites=network.site_ids)


def size_capacity_kw(shell: Network, workload: Workload, horizon_h: float, *, fill_frac: float,
                     local_util_max_frac: float) -> float:
    """Total IT capacity [kW] for a workload (see the module docstring for the rule).

    Parameters
    ----------
    shell : Network
        The network with capacities proportional to ``capacity_share_frac`` (any total).
    workload : Workload
        The jobs.
    horizon_h : float
        Horizon length [h].
    fill_frac : float
        Target network-wide mean fill [0..1].
    local_util_max_frac : float
        Largest mean utilisation of any site under nearest-site placement [0..1].
    """
    energy = workload.energy_kwh().groupby(workload.frame["origin"].to_numpy()).sum()
    mean_kw = float(energy.sum()) / horizon_h
    need = mean_kw / fill_frac
    nearest = shell.latency_matrix_ms().idxmin(axis=1)
    total_share = sum(s.it_capacity_kw for s in shell.sites)
    for site in shell.sites:
        regions = nearest.index[nearest == site.id]
        local_kw = float(energy.reindex(regions).fillna(0.0).sum()) / horizon_h
        share = site.it_capacity_kw / total_share
        need = max(need, local_kw / (share * local_util_max_frac))
    return need


def build_china_scenario(year: int = 2025, *, n_jobs: int = 100_000, seed: int = 2025, step_s: int = 3600,
                         workload: Workload | None = None) -> Scenario:
    """The complete built-in scenario for one year.

    Parameters
    ----------
    year : int
        Calendar year (China local time).
    n_jobs : int
        Number of synthetic jobs (ignored when ``workload`` is given).
    seed : int
        Seed for every synthetic series and the workload.
    step_s : int
        Step length [s] (3600 for hourly).
    workload : Workload, optional
        Use this workload instead of a synthetic one.

    Returns
    -------
    Scenario
    """
    step_s = check_step(step_s)
    start, end = year_bounds(year)
    index = make_index(start, step_s=step_s, end=end)
    shell = china_network(1.0)
    if workload is None:
        if n_jobs < 0:
            raise InputError(f"expected a number of jobs >= 0, got {n_jobs}", field="jobs")
        workload = synthesize_workload(shell, start=start, end=end, n_jobs=n_jobs, seed=seed)
    horizon_h = (end - start).total_seconds() / units.SECONDS_PER_HOUR
    const = load_dataset()["constants"]
    fill = float(value(const["target_rack_fill_frac"]))
    total_kw = max(size_capacity_kw(shell, workload, horizon_h, fill_frac=fill,
                                    local_util_max_frac=float(value(const["local_util_max_frac"]))), 1.0)
    largest_kw = float(np.max(workload.frame["power_kw"].to_numpy(), initial=0.0))
    min_site_kw = float(value(const["min_site_gpu_nodes"])) * largest_kw
    network = china_network(total_kw, min_site_kw=min_site_kw)
    signals = china_signals(network, index, seed=seed)
    return Scenario(name=f"china-{year}", network=network, signals=signals, workload=workload, start=start,
                    end=end, step_s=step_s, seed=seed,
                    description=(f"Built-in China computing network (8 hubs / 10 clusters) for {year}, "
                                 f"{len(workload):,} jobs; synthetic hourly profiles (seed {seed})."),
                    settings={"dataset": "china-hubs", "year": year, "target_rack_fill_frac": fill})
