"""24/7 carbon-free energy for one site (Carbon Explorer's question): the least-cost solar, wind and battery that
reach a target hourly carbon-free share, and the cost-vs-CFE curve.

The site's hourly demand is given (or taken from a scenario: its idle draw plus the work its nearest regions send
it). The sizing is the layout model (:mod:`shulu.plan.layout`) restricted to one site, with IT capacity and
allocation fixed, so it shares every equation: carbon-free share ``= 1 - sum(import x (1 - grid CFE)) /
sum(demand)`` (hourly matching), the battery charges only from sun and wind, and the cost is annualised capital +
grid energy + carbon price x (grid emissions + embodied carbon of what is added).

Examples
--------
>>> import numpy as np
>>> from shulu.plan.costs import load_costs
>>> inp = single_site_inputs(np.array([100.0, 100.0]), solar_cf=np.array([1.0, 0.0]),
...                          price_cny_per_kwh=np.array([1.0, 1.0]))
>>> r = size_cfe(inp, load_costs().replace(battery_energy_capex_cny_per_kwh=1e9), target_frac=0.5)
>>> round(float(r.design["solar_added_kw"].iloc[0]), 6), round(r.totals["cfe_frac"], 6)
(100.0, 0.5)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd
import xarray as xr

from shulu.errors import InputError
from shulu.model.scenario import Scenario
from shulu.plan.costs import PlanCosts
from shulu.plan.inputs import STEPS_PER_DAY, PlanInputs, inputs_from_scenario
from shulu.plan.layout import PlanOptions, PlanResult, solve

FloatArray = npt.NDArray[np.float64]

#: CFE targets of the default Pareto sweep [0..1].
DEFAULT_TARGETS: tuple[float, ...] = (0.0, 0.3, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99)


def single_site_inputs(demand_kw: FloatArray, *, solar_cf: FloatArray | None = None,
                       wind_cf: FloatArray | None = None, price_cny_per_kwh: FloatArray | float = 0.5,
                       intensity_g_per_kwh: FloatArray | float = 500.0, grid_cfe_frac: FloatArray | float = 0.0,
                       facility_factor: FloatArray | float = 1.0, idle_frac: float = 0.0,
                       capacity_kw: float | None = None, solar_kw: float = 0.0, wind_kw: float = 0.0,
                       battery_energy_kwh: float = 0.0, battery_power_kw: float = 0.0, rte_frac: float = 1.0,
                       soc_min_frac: float = 0.0, soc_max_frac: float = 1.0,
                       weight: FloatArray | None = None, steps_per_cycle: int | None = None,
                       site: str = "site", role: str = "west") -> PlanInputs:
    """Inputs for one site with a given hourly IT load (hand-made instances and CFE sizing).

    Parameters
    ----------
    demand_kw : array (T,)
        IT power of the work the site runs [kW] (served in its hour).
    solar_cf, wind_cf : array (T,), optional
        Capacity factors [0..1] (zero if not given).
    price_cny_per_kwh, intensity_g_per_kwh, grid_cfe_frac, facility_factor : array or float
        Grid price [CNY/kWh], intensity [gCO2/kWh], carbon-free share [0..1]; electricity per kW of IT [-].
    idle_frac : float
        Idle draw of the servers as a share of capacity [0..1].
    capacity_kw : float, optional
        IT capacity [kW] (default twice the peak load; the model loads it to at most ``util_max_frac``).
    solar_kw, wind_kw, battery_energy_kwh, battery_power_kw : float
        What the site has today [kW, kWh].
    rte_frac, soc_min_frac, soc_max_frac : float
        Battery round-trip efficiency and state-of-charge bounds [0..1].
    weight : array (T,), optional
        Steps of the represented horizon each step stands for (default 1).
    steps_per_cycle : int, optional
        The battery returns to its state of charge every this many steps (default: the whole horizon).
    """
    d = np.asarray(demand_kw, dtype=np.float64)
    n = d.size
    time = pd.Index(np.arange(n), name="time")
    site_ix = pd.Index([site], name="site")

    def col(x: FloatArray | float | None) -> xr.DataArray:
        a = np.zeros(n) if x is None else np.broadcast_to(np.asarray(x, dtype=np.float64), (n,)).copy()
        return xr.DataArray(a[:, None], coords=[time, site_ix])

    cap = float(capacity_kw) if capacity_kw is not None else max(2.0 * float(d.max(initial=0.0)), 1e-9)
    sites = pd.DataFrame({"role": [role], "it_capacity_kw": [cap], "idle_frac": [idle_frac], "solar_kw": [solar_kw],
                          "wind_kw": [wind_kw], "battery_energy_kwh": [battery_energy_kwh],
                          "battery_power_kw": [battery_power_kw], "rte_frac": [rte_frac],
                          "soc_min_frac": [soc_min_frac], "soc_max_frac": [soc_max_frac], "pue_design": [1.0],
                          "pue_design_now": [1.0]}, index=site_ix)
    signals = xr.Dataset({"solar_cf": col(solar_cf), "wind_cf": col(wind_cf), "price_cny_per_kwh": col(
        price_cny_per_kwh), "intensity_g_per_kwh": col(intensity_g_per_kwh), "grid_cfe_frac": col(grid_cfe_frac),
        "facility_factor": col(facility_factor)})
    region = pd.Index(["load"], name="region")
    cls = pd.Index(["load"], name="cls")
    classes = pd.DataFrame({"job_class": ["warm"], "max_latency_ms": [np.inf], "min_slack_s": [0.0],
                            "shiftable": [False]}, index=cls)
    zero_rs = xr.DataArray([[0.0]], coords=[region, site_ix])
    zero_rc = xr.DataArray([[0.0]], coords=[region, cls])
    w = np.ones(n) if weight is None else np.asarray(weight, dtype=np.float64)
    per = steps_per_cycle or n
    cycle = np.arange(n) // per
    return PlanInputs(
        sites=sites, signals=signals, demand_kw=xr.DataArray(d[:, None, None], coords=[time, region, cls]),
        classes=classes, latency_ms=zero_rs, transfer_kwh_per_gb=zero_rs, bandwidth_gbps=zero_rs + 1.0,
        data_gb_per_kwh=zero_rc, peak_gbps=zero_rc, origin_price_cny_per_kwh=xr.DataArray([0.0], coords=[region]),
        origin_intensity_g_per_kwh=xr.DataArray([0.0], coords=[region]), weight=xr.DataArray(w, coords=[time]),
        period=xr.DataArray(np.arange(n) // min(STEPS_PER_DAY, n), coords=[time]),
        cycle=xr.DataArray(cycle, coords=[time]),
        lines=pd.DataFrame(columns=["from_site", "to_site", "length_km", "capex_cny_per_kw", "loss_frac",
                                    "capacity_kw", "green_frac", "utilisation_frac", "send_price_cny_per_kwh",
                                    "named"], index=pd.Index([], name="line")))


def site_inputs_from_scenario(scn: Scenario, site: str, costs: PlanCosts, *,
                              demand_growth_frac: float = 0.0) -> PlanInputs:
    """One site of a scenario, carrying the work its nearest regions send it (the ``local`` placement).

    Raises
    ------
    InputError
        For an unknown site id.
    """
    ids = scn.network.site_ids
    if site not in ids:
        raise InputError(f"unknown site {site!r}; expected one of {ids}", field="site")
    full = inputs_from_scenario(scn, costs, demand_growth_frac=demand_growth_frac, lines="none")
    nearest = full.latency_ms.idxmin("site")
    mine = [str(r) for r in full.latency_ms["region"].values if str(nearest.sel(region=r).values) == site]
    load = full.demand_kw.sel(region=mine).sum(["region", "cls"]) if mine else xr.zeros_like(
        full.demand_kw.isel(region=0, cls=0, drop=True))
    row = full.sites.loc[site].to_dict()
    sig = full.signals.sel(site=site)
    inp = single_site_inputs(
        load.to_numpy(), solar_cf=sig["solar_cf"].to_numpy(), wind_cf=sig["wind_cf"].to_numpy(),
        price_cny_per_kwh=sig["price_cny_per_kwh"].to_numpy(), intensity_g_per_kwh=sig["intensity_g_per_kwh"]
        .to_numpy(), grid_cfe_frac=sig["grid_cfe_frac"].to_numpy(), facility_factor=sig["facility_factor"].to_numpy(),
        idle_frac=float(row["idle_frac"]), capacity_kw=float(row["it_capacity_kw"]), solar_kw=float(row["solar_kw"]),
        wind_kw=float(row["wind_kw"]), battery_energy_kwh=float(row["battery_energy_kwh"]),
        battery_power_kw=float(row["battery_power_kw"]), rte_frac=float(row["rte_frac"]),
        soc_min_frac=float(row["soc_min_frac"]), soc_max_frac=float(row["soc_max_frac"]), site=site,
        role=str(row["role"]))
    return inp


def size_cfe(inp: PlanInputs, costs: PlanCosts, target_frac: float) -> PlanResult:
    """Least-cost additions of solar, wind and battery reaching an hourly carbon-free share of ``target_frac``.

    The result's ``totals`` gain ``cfe_frac`` (achieved) and ``cost_cny_per_year`` (the objective).

    Raises
    ------
    InputError
        For a target outside 0..1, or one the site cannot reach.
    """
    if not 0.0 <= target_frac <= 1.0:
        raise InputError(f"expected a CFE target between 0 and 1, got {target_frac}", field="target")
    opts = PlanOptions(green_share_min_frac=target_frac, green_scope="network", green_margin_frac=0.0,
                       allow_it=False, allow_links=False)
    res = solve(inp, costs, opts)
    res.totals["cfe_frac"] = res.totals["green_share_network_frac"]
    res.totals["cost_cny_per_year"] = res.totals["objective_cny_per_year"]
    return res


def pareto(inp: PlanInputs, costs: PlanCosts, targets: Sequence[float] = DEFAULT_TARGETS) -> pd.DataFrame:
    """The cost-vs-CFE curve: one least-cost sizing per target.

    Returns
    -------
    pandas.DataFrame
        One row per target: ``target_frac``, ``cfe_frac``, ``cost_cny_per_year``, ``capital_cny_per_year``,
        ``grid_cost_cny_per_year``, ``emissions_operational_kg_per_year``, ``embodied_added_kg_per_year``,
        ``solar_added_kw``, ``wind_added_kw``, ``battery_added_kwh``, ``battery_added_kw``.
    """
    rows = []
    for t in targets:
        r = size_cfe(inp, costs, float(t))
        d = r.design.iloc[0]
        rows.append({"target_frac": float(t), "cfe_frac": r.totals["cfe_frac"],
                     "cost_cny_per_year": r.totals["cost_cny_per_year"],
                     "capital_cny_per_year": r.totals["capital_cny_per_year"],
                     "grid_cost_cny_per_year": r.totals["grid_cost_cny_per_year"],
                     "emissions_operational_kg_per_year": r.totals["emissions_operational_kg_per_year"],
                     "embodied_added_kg_per_year": r.totals["embodied_added_kg_per_year"],
                     "solar_added_kw": float(d["solar_added_kw"]), "wind_added_kw": float(d["wind_added_kw"]),
                     "battery_added_kwh": float(d["battery_added_kwh"]),
                     "battery_added_kw": float(d["battery_added_kw"])})
    return pd.DataFrame(rows)
