"""The national layout model: a linear programme (linopy + HiGHS) over ``time x site x region x cls``.

Given demand by region and class, candidate sites (with what they have today) and their hourly signals, it
chooses per site the IT capacity to add, the solar and wind to contract, the battery energy and power to build,
the share of each (region, class)'s work each site serves (only sites within the class's latency limit), the
hourly operation (grid import, battery charge and discharge), UHV line capacity to contract ("move electrons")
and extra network bandwidth, to minimise the annual cost

    capital (annualised) + grid energy + line energy + carbon price x (operational + embodied emissions)

subject to hourly power balance, IT capacity, battery limits, the green (hourly carbon-free) share and the hub
PUE targets. See ``docs/planning.md`` for the equations. Every constraint is written over whole labelled arrays
(masks, not Python loops over sites or hours).
"""

from __future__ import annotations

import os
import time as _time
import warnings
from dataclasses import dataclass, field
from typing import Any, Literal

import linopy
import numpy as np
import pandas as pd
import scipy.sparse as sp
import xarray as xr

from shulu import units
from shulu.errors import InputError
from shulu.plan.costs import PlanCosts, generation_embodied_kg_per_kw_year
from shulu.plan.inputs import PlanInputs

GreenScope = Literal["site", "network"]
#: Investment variables (per site), in output order.
DESIGN_VARS: tuple[str, ...] = ("it_added_kw", "solar_added_kw", "wind_added_kw", "battery_added_kwh",
                                "battery_added_kw")


#: Models with more variables than this are solved by interior point (HiGHS' IPX, then crossover), smaller ones by
#: dual simplex: on the national model with 25 representative days IPX took 29 s and simplex 130 s, while
#: simplex wins on small models (see docs/planning.md).
IPM_ABOVE_VARIABLES = 30_000
#: With ``method="auto"``, models with more variables than this (a full hourly year of a national network) are
#: solved by Benders decomposition (:mod:`shulu.optimize.benders`): one interior-point solve of the whole year
#: takes about an hour on 2 cores, the decomposition minutes (see docs/planning.md).
BENDERS_ABOVE_VARIABLES = 200_000
#: Variables the decomposition's master holds (investments and who serves what); the rest is per-site operation.
LINKING_VARS: tuple[str, ...] = (*DESIGN_VARS, "share", "line_kw", "link_added_gbps")
#: Rows that a linking point can make infeasible (relaxed to find feasibility cuts): capacity and green share.
ELASTIC_ROWS: tuple[str, ...] = ("it_capacity", "green_share")
#: In the decomposition, a site's green-share row may be missed at this cost per kWh of carbon-free energy short
#: [CNY/kWh] (EST: a few times what a kWh of sun and storage costs here), so no site's operation is ever
#: infeasible. If the converged plan still misses a share, the penalty is raised tenfold (up to three times) and
#: the solve goes on, so the result is the exact optimum unless ``green_shortfall_kwh_per_year`` says otherwise.
GREEN_PENALTY_CNY_PER_KWH = 2.0
#: Shortfall below this is solver noise [kWh/year].
GREEN_SHORTFALL_TOL_KWH_PER_YEAR = 1.0
Method = Literal["auto", "lp", "benders"]


@dataclass(frozen=True)
class PlanOptions:
    """What the plan must achieve and may use.

    Parameters
    ----------
    green_share_min_frac : float
        Smallest hourly carbon-free share of electricity [0..1] (per site or over the network).
    green_scope : {"site", "network"}
        Whether every site or the network as a whole meets the green share.
    green_margin_frac : float, optional
        Planned above the promise by this much (default: the cost file's), capped at 1.
    site_margin_frac : dict, optional
        Extra margin per site id [fraction] (set by the calibration of representative days on the full year).
    min_it_added_kw : dict, optional
        Least IT capacity to add per site id [kW] (set by the same calibration: the peak hours it found).
    allow_it : bool
        Whether IT capacity may be added.
    allow_links : bool
        Whether network bandwidth may be added between regions and sites.
    time_limit_s : float
        HiGHS time limit [s] (for ``benders``: the decomposition's wall-clock limit).
    method : {"auto", "lp", "benders"}
        ``lp`` solves the model as one LP; ``benders`` by Benders decomposition (investments and shares in a
        master problem, each site's hourly operation a subproblem; green scope ``site`` only); ``auto`` picks
        ``benders`` above :data:`BENDERS_ABOVE_VARIABLES` variables when the scope allows it.
    gap_frac : float
        Benders stops when its upper and lower bounds are this close (relative).
    """

    green_share_min_frac: float = 0.8
    green_scope: GreenScope = "site"
    green_margin_frac: float | None = None
    site_margin_frac: dict[str, float] = field(default_factory=dict)
    min_it_added_kw: dict[str, float] = field(default_factory=dict)
    allow_it: bool = True
    allow_links: bool = True
    time_limit_s: float = 600.0
    method: Method = "auto"
    gap_frac: float = 1e-3

    def __post_init__(self) -> None:
        g = self.green_share_min_frac
        if not (isinstance(g, int | float) and 0.0 <= g <= 1.0):
            raise InputError(f"expected a green share between 0 and 1, got {g}", field="green_share_min")
        if self.green_scope not in ("site", "network"):
            raise InputError(f"expected green scope 'site' or 'network', got {self.green_scope!r}",
                             field="green_scope")
        if self.method not in ("auto", "lp", "benders"):
            raise InputError(f"expected method 'auto', 'lp' or 'benders', got {self.method!r}", field="method")
        if self.method == "benders" and self.green_scope == "network":
            raise InputError("Benders decomposition needs the green share per site (--green-scope site): a "
                             "network-wide share couples every site's hours", field="method")
        if not 0.0 < self.gap_frac < 1.0:
            raise InputError(f"expected a relative gap between 0 and 1, got {self.gap_frac}", field="gap")
        if self.green_margin_frac is not None and not 0.0 <= self.green_margin_frac <= 1.0:
            raise InputError(f"expected a green margin between 0 and 1, got {self.green_margin_frac}",
                             field="green_margin")


@dataclass
class PlanResult:
    """A solved plan.

    Attributes
    ----------
    design : pandas.DataFrame
        Per site: today's values, what is added, the totals, planned PUE, load, energy, cost and emissions.
    allocation : pandas.DataFrame
        ``region, cls, site, share_frac, energy_kwh_per_year`` for every share > 0.
    lines : pandas.DataFrame
        Per candidate line: contracted capacity [kW] and what it delivers.
    hourly : xarray.Dataset
        (time, site) operation: ``jobs_kw``, ``shift_kw``, ``it_kw``, ``demand_kw``, ``import_kw``,
        ``charge_kw``, ``discharge_kw``, ``soc_kwh``, ``renewable_kw``, ``line_kw``, ``noncfe_kw``.
    totals : dict
        Annual totals: ``objective_cny_per_year``, cost parts [CNY/year], emissions parts [kgCO2/year],
        green share, energy.
    build_s, solve_s : float
        Wall time to build the model and to solve it [s].
    n_variables, n_constraints : int
        Model size.
    """

    inputs: PlanInputs
    options: PlanOptions
    costs: PlanCosts
    design: pd.DataFrame
    allocation: pd.DataFrame
    lines: pd.DataFrame
    hourly: xr.Dataset
    totals: dict[str, float]
    build_s: float
    solve_s: float
    n_variables: int
    n_constraints: int
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class FixedDesign:
    """Investments (and optionally the allocation) held fixed, to evaluate a design on other inputs.

    Solar, wind, battery and line contracts are held exactly; IT capacity is at least the design's (topped up at
    its cost where the evaluated hours need more); the green share is not enforced but reported.
    """

    design: pd.DataFrame | None = None  #: per site, the columns of :data:`DESIGN_VARS` (None: free)
    lines_kw: pd.Series | None = None  #: per line contracted [kW]
    allocation: pd.DataFrame | None = None  #: region, cls, site, share_frac


def _prev_index(cycle: np.ndarray) -> np.ndarray:
    """For each step, the previous step of the same cycle (cyclic: the first step's previous is the last)."""
    n = cycle.size
    prev = np.arange(n) - 1
    starts = np.flatnonzero(np.r_[True, cycle[1:] != cycle[:-1]])
    ends = np.r_[starts[1:], n] - 1
    prev[starts] = ends
    return prev


def _check_inputs(inp: PlanInputs) -> xr.DataArray:
    allowed = inp.allowed()
    need = inp.demand_kw.sum("time") > 0
    bad = need & ~allowed.any("site")
    if bool(bad.any()):
        r, c = (str(v) for v in bad.where(bad, drop=True).stack(k=("region", "cls")).k.values[0])
        lim = float(inp.classes["max_latency_ms"].to_numpy()[list(inp.classes.index).index(c)])
        near = float(inp.latency_ms.sel(region=r).min())
        raise InputError(f"infeasible plan: no site is within {lim:g} ms of region {r!r} for class {c!r} "
                         f"(nearest {near:g} ms)", field="latency")
    return allowed & need


def build_model(inp: PlanInputs, costs: PlanCosts, options: PlanOptions,
                fixed: FixedDesign | None = None) -> linopy.Model:
    """Build the linopy model (see the module docstring). Variables and constraints carry their names."""
    m = linopy.Model()
    sites = inp.sites
    site_ix = pd.Index(inp.site_ids, name="site")
    time_ix = pd.Index(inp.signals["time"].values, name="time")
    sig = inp.signals
    w = inp.weight
    step_h = inp.step_h
    annual = inp.annual_factor
    cp_per_kg = costs.carbon_price_cny_per_t / units.KG_PER_T

    def sv(col: str) -> xr.DataArray:
        return xr.DataArray(sites[col].to_numpy(dtype=np.float64), coords=[site_ix])

    allowed = _check_inputs(inp)
    hourly_cls = [str(c) for c in inp.classes.index[~inp.classes["shiftable"].to_numpy(bool)]]
    shift_cls = [str(c) for c in inp.classes.index[inp.classes["shiftable"].to_numpy(bool)]]

    # --- investments
    def inv(name: str, coords: list[pd.Index], upper: Any = np.inf, fixed_val: Any = None) -> linopy.Variable:
        if fixed_val is not None:
            return m.add_variables(lower=fixed_val, upper=fixed_val, coords=coords, name=name)
        return m.add_variables(lower=0.0, upper=upper, coords=coords, name=name)

    fd = fixed.design.reindex(site_ix).fillna(0.0) if fixed is not None and fixed.design is not None else None

    def fv(col: str) -> xr.DataArray | None:
        return None if fd is None else xr.DataArray(fd[col].to_numpy(dtype=np.float64), coords=[site_ix])

    if fd is not None:  # IT capacity: at least what was planned, topped up where the evaluated hours need more
        it_add = m.add_variables(lower=fv("it_added_kw"), upper=np.inf, coords=[site_ix], name="it_added_kw")
    else:
        it_min = xr.DataArray([float(options.min_it_added_kw.get(sid, 0.0)) for sid in site_ix], coords=[site_ix])
        it_add = m.add_variables(lower=it_min, upper=np.inf if options.allow_it else it_min, coords=[site_ix],
                                 name="it_added_kw")
    sol_add = inv("solar_added_kw", [site_ix], fixed_val=fv("solar_added_kw"))
    win_add = inv("wind_added_kw", [site_ix], fixed_val=fv("wind_added_kw"))
    be_add = inv("battery_added_kwh", [site_ix], fixed_val=fv("battery_added_kwh"))
    bp_add = inv("battery_added_kw", [site_ix], fixed_val=fv("battery_added_kw"))

    # --- allocation of work: share[region, cls, site], only within the latency limit
    if fixed is not None and fixed.allocation is not None:
        a = fixed.allocation.set_index(["region", "cls", "site"])["share_frac"]
        full = pd.MultiIndex.from_product([inp.latency_ms["region"].values, inp.classes.index, site_ix],
                                          names=["region", "cls", "site"])
        fixed_share = xr.DataArray.from_series(a.reindex(full).fillna(0.0)).reindex_like(allowed).fillna(0.0)
        share = m.add_variables(lower=fixed_share, upper=fixed_share, name="share", mask=allowed)
    else:
        zero = xr.zeros_like(allowed, dtype=np.float64)
        share = m.add_variables(lower=zero, upper=zero + 1.0, name="share", mask=allowed)
        m.add_constraints(share.sum("site") == 1.0, name="serve_demand", mask=allowed.any("site"))

    # jobs of the classes served in their hour
    jobs = m.add_variables(lower=0.0, coords=[time_ix, site_ix], name="jobs_kw")
    if hourly_cls:
        d_h = inp.demand_kw.sel(cls=hourly_cls)
        m.add_constraints(jobs == (share.sel(cls=hourly_cls) * d_h).sum(["region", "cls"]), name="jobs_def")
    else:
        m.add_constraints(jobs == 0.0, name="jobs_def")
    load = 1 * jobs
    if shift_cls:
        shift = m.add_variables(lower=0.0, coords=[time_ix, site_ix], name="shift_kw")
        d_p = inp.demand_kw.sel(cls=shift_cls).groupby(inp.period).sum()
        owed = (share.sel(cls=shift_cls) * d_p).sum(["region", "cls"])
        m.add_constraints((1 * shift).groupby(inp.period).sum() == owed, name="shift_energy")
        load = load + shift

    # IT capacity (mean utilisation at most util_max)
    cap_total = sv("it_capacity_kw") + it_add
    m.add_constraints(load <= costs.util_max_frac * cap_total, name="it_capacity")
    it_kw = sv("idle_frac") * cap_total + (1.0 - sv("idle_frac")) * load
    demand = sig["facility_factor"] * it_kw

    # supply: renewables, lines, battery, grid
    ren = sig["solar_cf"] * (sv("solar_kw") + sol_add) + sig["wind_cf"] * (sv("wind_kw") + win_add)
    lines = inp.lines
    has_lines = len(lines) > 0
    if has_lines:
        line_ix = pd.Index(lines.index, name="line")
        fixed_lines = None
        if fixed is not None and fixed.lines_kw is not None:
            fixed_lines = xr.DataArray(fixed.lines_kw.reindex(line_ix).fillna(0.0).to_numpy(), coords=[line_ix])
        upper = xr.DataArray(lines["capacity_kw"].to_numpy(dtype=float), coords=[line_ix])
        line_kw = inv("line_kw", [line_ix], upper, fixed_lines)
        deliver = (lines["utilisation_frac"] * (1.0 - lines["loss_frac"])).to_numpy(dtype=float)
        to_site = xr.DataArray((lines["to_site"].to_numpy()[:, None] == site_ix.to_numpy()[None, :]).astype(float),
                               coords=[line_ix, site_ix])
        g_frac = xr.DataArray(lines["green_frac"].to_numpy(dtype=float), coords=[line_ix])
        d_frac = xr.DataArray(deliver, coords=[line_ix])
        line_green = (line_kw * d_frac * g_frac * to_site).sum("line")
        line_thermal = (line_kw * d_frac * (1.0 - g_frac) * to_site).sum("line")
        line_in = line_green + line_thermal
    e_cap = sv("battery_energy_kwh") + be_add
    p_cap = sv("battery_power_kw") + bp_add
    imp = m.add_variables(lower=0.0, coords=[time_ix, site_ix], name="import_kw")
    ch = m.add_variables(lower=0.0, coords=[time_ix, site_ix], name="charge_kw")
    dis = m.add_variables(lower=0.0, coords=[time_ix, site_ix], name="discharge_kw")
    # state of charge above the floor: soc = soc_min_frac x E + soc_above_min_kwh, so the floor is the variable's
    # bound of 0 (no row) and the balance below is unchanged (E is the same in every hour)
    soc = m.add_variables(lower=0.0, coords=[time_ix, site_ix], name="soc_above_min_kwh")
    supply = ren + dis + imp
    if has_lines:
        supply = supply + line_in
    m.add_constraints(supply - ch >= demand, name="power_balance")  # any surplus is exported or curtailed
    green_avail = ren + line_green if has_lines else ren
    m.add_constraints(ch <= green_avail, name="charge_green")  # the battery stores only carbon-free energy
    # one row for both directions: an optimum never charges and discharges in the same hour (see docs/planning.md)
    m.add_constraints(ch + dis <= p_cap, name="battery_power")
    m.add_constraints(soc <= (sv("soc_max_frac") - sv("soc_min_frac")) * e_cap, name="soc_max")
    eta = np.sqrt(sv("rte_frac"))
    prev = _prev_index(np.asarray(inp.cycle.values))
    soc_prev = soc.isel(time=prev).assign_coords(time=time_ix)
    m.add_constraints(soc - soc_prev - eta * step_h * ch + (step_h / eta) * dis == 0.0, name="soc_balance")

    # green share: carbon-free = demand - grid import x (1 - grid CFE) - line thermal part
    noncfe = imp * (1.0 - sig["grid_cfe_frac"])
    if has_lines:
        noncfe = noncfe + line_thermal
    margin = costs.green_margin_frac if options.green_margin_frac is None else options.green_margin_frac
    extra = xr.DataArray([float(options.site_margin_frac.get(sid, 0.0)) for sid in site_ix], coords=[site_ix])
    target = (options.green_share_min_frac + margin + extra).clip(max=1.0)
    enforce = fixed is None and options.green_share_min_frac > 0
    if enforce:
        if options.green_scope == "network":
            t_net = float(target.max())
            lhs = ((noncfe * w).sum("time") - (1.0 - t_net) * (demand * w).sum("time")).sum("site")
        else:
            lhs = (noncfe * w).sum("time") - (1.0 - target) * (demand * w).sum("time")
        m.add_constraints(lhs <= 0.0, name="green_share")

    # network bandwidth per (region, site), at each class's peak rate
    uses_net = allowed.any("cls")
    load_gbps = (share * inp.peak_gbps).sum("cls")
    link_add = None
    if fixed is not None:
        pass  # a fixed allocation was checked when it was planned
    elif options.allow_links:
        link_add = m.add_variables(lower=xr.zeros_like(uses_net, dtype=np.float64), name="link_added_gbps",
                                   mask=uses_net)
        m.add_constraints(load_gbps - link_add <= inp.bandwidth_gbps, name="bandwidth", mask=uses_net)
    else:
        m.add_constraints(load_gbps <= inp.bandwidth_gbps, name="bandwidth", mask=uses_net)

    # --- objective [CNY/year]
    cf_s = sig["solar_cf"].weighted(w).mean("time")
    cf_w = sig["wind_cf"].weighted(w).mean("time")
    emb_sol = xr.apply_ufunc(lambda c: generation_embodied_kg_per_kw_year(costs.solar_embodied_kgco2e_per_mwh, c),
                             cf_s)
    emb_win = xr.apply_ufunc(lambda c: generation_embodied_kg_per_kw_year(costs.wind_embodied_kgco2e_per_mwh, c),
                             cf_w)
    capital = (costs.it_cny_per_kw_year * it_add + costs.solar_cny_per_kw_year * sol_add
               + costs.wind_cny_per_kw_year * win_add + costs.battery_cny_per_kwh_year * be_add
               + costs.battery_cny_per_kw_year * bp_add).sum()
    embodied = (costs.it_embodied_kg_per_kw_year * it_add + emb_sol * sol_add + emb_win * win_add
                + costs.battery_embodied_kg_per_kwh_year * be_add).sum()
    op_w = w * step_h * annual
    grid_cost = (imp * (sig["price_cny_per_kwh"] + cp_per_kg * sig["intensity_g_per_kwh"] / units.G_PER_KG)
                 * op_w).sum()
    obj = capital + cp_per_kg * embodied + grid_cost
    if has_lines:
        capex = xr.DataArray([costs.uhv_cny_per_kw_year(float(c)) for c in lines["capex_cny_per_kw"]],
                             coords=[line_ix])
        sent_kwh = xr.DataArray(lines["utilisation_frac"].to_numpy(dtype=float) * units.HOURS_PER_YEAR,
                                coords=[line_ix])
        send_price = xr.DataArray(lines["send_price_cny_per_kwh"].to_numpy(dtype=float), coords=[line_ix])
        thermal_kg = (1.0 - g_frac) * costs.uhv_thermal_intensity_g_per_kwh / units.G_PER_KG
        obj = obj + (line_kw * (capex + sent_kwh * (send_price + cp_per_kg * thermal_kg))).sum()
    # moving data: network energy at the origin's nearest site's price and intensity
    annual_kwh = inp.demand_kw.weighted(w).sum("time") * step_h * annual  # (region, cls)
    per_share = annual_kwh * inp.data_gb_per_kwh * inp.transfer_kwh_per_gb  # kWh of network energy
    net_price = inp.origin_price_cny_per_kwh + cp_per_kg * inp.origin_intensity_g_per_kwh / units.G_PER_KG
    obj = obj + (share * per_share * net_price).sum()
    if link_add is not None:
        obj = obj + costs.link_capex_cny_per_gbps_year * link_add.sum()
    m.add_objective(obj)
    return m


def _value(expr: Any) -> xr.DataArray:
    return expr.solution if hasattr(expr, "solution") else expr


def solve(inp: PlanInputs, costs: PlanCosts, options: PlanOptions | None = None, *,
          fixed: FixedDesign | None = None, start: PlanResult | None = None) -> PlanResult:
    """Build and solve the layout model; return the plan.

    Parameters
    ----------
    inp, costs, options
        The model's inputs, constants and options.
    fixed : FixedDesign, optional
        Investments (and allocation) to hold.
    start : PlanResult, optional
        A plan to start Benders from (e.g. the representative-day plan); its IT is raised where an hour of
        ``inp`` needs more.

    Raises
    ------
    InputError
        If the plan is infeasible (e.g. a class has no site within its latency limit, or the green share cannot
        be reached with the sites' sun, wind and grid) or the solver fails.
    """
    options = options or PlanOptions()
    t0 = _time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=getattr(linopy, "LinopySemanticsWarning", UserWarning))
        m = build_model(inp, costs, options, fixed)
    build_s = _time.perf_counter() - t0
    benders = options.method == "benders" or (
        options.method == "auto" and options.green_scope == "site" and m.nvars > BENDERS_ABOVE_VARIABLES)
    t1 = _time.perf_counter()
    extra: dict[str, Any] = {"method": "benders" if benders else "lp"}
    if benders:
        extra["benders"] = _solve_benders(m, inp, costs, options, start)
        return _collect(m, inp, costs, options, build_s, _time.perf_counter() - t1, extra)
    try:
        method = "ipm" if m.nvars > IPM_ABOVE_VARIABLES else "simplex"
        status, condition = m.solve(solver_name="highs", io_api="direct", output_flag=False,
                                    time_limit=float(options.time_limit_s), solver=method)
    except Exception as exc:  # the solver's own errors carry no location
        raise InputError(f"the plan's LP could not be solved: {exc}", field="plan") from None
    solve_s = _time.perf_counter() - t1
    if condition == "time_limit":
        raise InputError(f"the plan's LP was not solved within {options.time_limit_s:g} s; use fewer "
                         "representative days or a longer time limit", field="plan")
    if status != "ok" or condition != "optimal":
        hint = ""
        if "infeasible" in str(condition):
            hint = (f" — the green share of {options.green_share_min_frac:g} (plus margin) cannot be reached with "
                    "these sites' sun, wind, batteries and grid, or demand exceeds what can be built")
        raise InputError(f"infeasible plan: HiGHS reports {condition}{hint}", field="plan")
    return _collect(m, inp, costs, options, build_s, solve_s, extra)


def capacity_rows(inp: PlanInputs, costs: PlanCosts, positions: dict[str, xr.DataArray],
                  n_cols: int) -> tuple[sp.csr_array, np.ndarray]:
    """Capacity as rows over the shares and added IT only: valid for every feasible plan (Benders' pool).

    Per site and hour, the work of the hourly classes the shares send there fits: ``sum a d_t <= u (C + dC)``
    (the shifted work, >= 0, is left out); per site and period (day), all the work does:
    ``sum_{t in day} sum a d_t + sum_{shiftable} a D_day <= u n_day (C + dC)``.

    Returns
    -------
    (scipy.sparse.csr_array, numpy.ndarray)
        ``V`` (rows x ``n_cols``, whole-model column positions) and ``v`` for ``V x <= v``.
    """
    d_x = inp.demand_kw.transpose("time", "region", "cls")
    pos_share = positions["share"].reindex(region=d_x["region"], cls=d_x["cls"], site=inp.site_ids,
                                           fill_value=-1).transpose("region", "cls", "site").to_numpy()
    pos_it = positions["it_added_kw"].sel(site=inp.site_ids).to_numpy()
    d = d_x.to_numpy()
    n_t, _, _ = d.shape
    n_s = pos_it.size
    hourly = ~inp.classes["shiftable"].reindex(d_x["cls"].to_numpy()).to_numpy(bool)
    u = costs.util_max_frac
    cap = inp.sites["it_capacity_kw"].to_numpy(dtype=np.float64)
    period = np.asarray(inp.period.values)
    _, p_idx = np.unique(period, return_inverse=True)
    n_p = int(p_idx.max()) + 1
    hours_p = np.bincount(p_idx, minlength=n_p).astype(np.float64)
    d_day = np.zeros((n_p, *d.shape[1:]))
    np.add.at(d_day, p_idx, d)
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    vals: list[np.ndarray] = []
    for s_i in range(n_s):
        r_ix, c_ix = np.nonzero(pos_share[:, :, s_i] >= 0)
        h = hourly[c_ix]
        # hourly rows t * n_s + s_i
        for r, c in zip(r_ix[h], c_ix[h], strict=True):
            nz = np.flatnonzero(d[:, r, c])
            rows.append(nz * n_s + s_i)
            cols.append(np.full(nz.size, pos_share[r, c, s_i]))
            vals.append(d[nz, r, c])
        rows.append(np.arange(n_t) * n_s + s_i)
        cols.append(np.full(n_t, pos_it[s_i]))
        vals.append(np.full(n_t, -u))
        # daily rows after the hourly ones
        base = n_t * n_s
        for r, c in zip(r_ix, c_ix, strict=True):
            rows.append(base + np.arange(n_p) * n_s + s_i)
            cols.append(np.full(n_p, pos_share[r, c, s_i]))
            vals.append(d_day[:, r, c])
        rows.append(base + np.arange(n_p) * n_s + s_i)
        cols.append(np.full(n_p, pos_it[s_i]))
        vals.append(-u * hours_p)
    v = np.concatenate([np.tile(u * cap, n_t), (u * hours_p[:, None] * cap[None, :]).ravel()])
    mat = sp.csr_array((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                       shape=(v.size, n_cols))
    return mat, v


def _start_vector(m: linopy.Model, inp: PlanInputs, start: PlanResult, positions: dict[str, xr.DataArray],
                  n_cols: int, pool: tuple[sp.csr_array, np.ndarray]) -> np.ndarray:
    """The start plan's linking values as a column vector, its IT raised to fit the pool's rows."""
    x = np.zeros(n_cols)

    def put(name: str, values: xr.DataArray) -> None:
        pos = positions[name]
        vals = values.reindex_like(pos).fillna(0.0).transpose(*pos.dims).to_numpy()
        ok = pos.to_numpy() >= 0
        x[pos.to_numpy()[ok]] = vals[ok]

    site_ix = pd.Index(inp.site_ids, name="site")
    for v in DESIGN_VARS:
        put(v, xr.DataArray(start.design[v].reindex(site_ix).fillna(0.0).to_numpy(dtype=float), coords=[site_ix]))
    if len(start.allocation):
        a = start.allocation.set_index(["region", "cls", "site"])["share_frac"]
        put("share", xr.DataArray.from_series(a))
    if "line_kw" in m.variables and len(start.lines):
        put("line_kw", xr.DataArray(start.lines["contracted_kw"].to_numpy(dtype=float),
                                    coords=[pd.Index(start.lines.index, name="line")]))
    if "link_added_gbps" in m.variables:  # what the start's shares need beyond today's bandwidth
        ps = positions["share"]
        load = (ps.copy(data=np.where(ps >= 0, x[np.maximum(ps.to_numpy(), 0)], 0.0)) * inp.peak_gbps).sum("cls")
        put("link_added_gbps", (load - inp.bandwidth_gbps).clip(min=0.0))
    viol = pool[0] @ x - pool[1]
    pos_it = positions["it_added_kw"].to_numpy()
    coef = pool[0][:, pos_it]  # rows x sites, -u or -u n_day
    need = np.zeros(pos_it.size)
    coo = sp.coo_array(coef)
    np.maximum.at(need, coo.col, np.where(viol[coo.row] > 0, viol[coo.row] / -coo.data, 0.0))
    x[pos_it] += need * (1.0 + 1e-9)
    return x


def _solve_benders(m: linopy.Model, inp: PlanInputs, costs: PlanCosts, options: PlanOptions,
                   start: PlanResult | None) -> dict[str, Any]:
    """Solve ``m`` by Benders decomposition and store the solution in its variables; return the record."""
    from shulu.optimize.benders import linopy_blocks, solve_blocks

    lp = linopy_blocks(m, [v for v in LINKING_VARS if v in m.variables], "site")
    n_cols = lp["c"].size
    pool = capacity_rows(inp, costs, lp["positions"], n_cols)
    x0 = None if start is None else _start_vector(m, inp, start, lp["positions"], n_cols, pool)
    res = solve_blocks(lp["c"], lp["a"], lp["sense"], lp["rhs"], lp["lb"], lp["ub"], lp["col_block"],
                       elastic=np.isin(lp["row_name"], ELASTIC_ROWS), x0=x0, valid_rows=pool,
                       penalty=np.where(lp["row_name"] == "green_share",
                                        GREEN_PENALTY_CNY_PER_KWH * inp.step_h * inp.annual_factor, 0.0),
                       gap_frac=options.gap_frac, time_limit_s=options.time_limit_s,
                       workers=min(len(inp.site_ids), os.cpu_count() or 1),
                       slack_tol=GREEN_SHORTFALL_TOL_KWH_PER_YEAR / (inp.step_h * inp.annual_factor))
    for name, var in m.variables.items():
        pos = lp["positions"][name].to_numpy()
        vals = np.where(pos >= 0, res.x[np.maximum(pos, 0)], np.nan)
        var.solution = xr.DataArray(vals, var.labels.coords, dims=var.dims)
    m.status, m.termination_condition = "ok", ("optimal" if res.status == "optimal" else res.status)
    m.objective._value = res.objective + float(np.asarray(m.objective.expression.const).sum())
    return {"status": res.status, "iterations": res.iterations, "objective": res.objective,
            "lower_bound": res.lower_bound, "gap_frac": res.gap_frac, "master_s": res.master_s,
            "blocks_s": res.blocks_s, "started_from_plan": start is not None,
            "green_shortfall_kwh_per_year": res.penalised_slack * inp.step_h * inp.annual_factor,
            "penalty_raises": sum(1 for h in res.history if "penalty_raised" in h),
            "history": [{k: (v if np.isfinite(v) else None) for k, v in h.items()} for h in res.history]}


def _collect(m: linopy.Model, inp: PlanInputs, costs: PlanCosts, options: PlanOptions, build_s: float,
             solve_s: float, extra: dict[str, Any] | None = None) -> PlanResult:
    sol = {name: m.variables[name].solution for name in m.variables}
    sites = inp.sites
    sig = inp.signals
    w = inp.weight
    step_h = inp.step_h
    annual = inp.annual_factor
    site_ix = pd.Index(inp.site_ids, name="site")

    def sv(col: str) -> xr.DataArray:
        return xr.DataArray(sites[col].to_numpy(dtype=np.float64), coords=[site_ix])

    add = {k: sol[k].fillna(0.0) for k in DESIGN_VARS}
    load = sol["jobs_kw"] + sol.get("shift_kw", 0.0)
    cap_total = sv("it_capacity_kw") + add["it_added_kw"]
    it_kw = sv("idle_frac") * cap_total + (1.0 - sv("idle_frac")) * load
    demand = sig["facility_factor"] * it_kw
    renewable = sig["solar_cf"] * (sv("solar_kw") + add["solar_added_kw"]) + sig["wind_cf"] * (
        sv("wind_kw") + add["wind_added_kw"])
    lines = inp.lines.copy()
    line_green = xr.zeros_like(sv("it_capacity_kw"))
    line_thermal = xr.zeros_like(line_green)
    if len(lines):
        lk = sol["line_kw"].to_pandas()
        lines["contracted_kw"] = lk.reindex(lines.index).fillna(0.0)
        lines["delivered_kw"] = lines["contracted_kw"] * lines["utilisation_frac"] * (1 - lines["loss_frac"])
        lines["green_delivered_kw"] = lines["delivered_kw"] * lines["green_frac"]
        by_site = lines.groupby("to_site")[["green_delivered_kw", "delivered_kw"]].sum()
        line_green = xr.DataArray(by_site["green_delivered_kw"].reindex(site_ix).fillna(0.0).to_numpy(),
                                  coords=[site_ix])
        line_thermal = xr.DataArray((by_site["delivered_kw"] - by_site["green_delivered_kw"]).reindex(site_ix)
                                    .fillna(0.0).to_numpy(), coords=[site_ix])
    else:
        lines["contracted_kw"] = pd.Series(dtype=float)
    imp = sol["import_kw"]
    noncfe = imp * (1.0 - sig["grid_cfe_frac"]) + line_thermal
    soc_kwh = sol["soc_above_min_kwh"] + sv("soc_min_frac") * (sv("battery_energy_kwh") + add["battery_added_kwh"])
    hourly = xr.Dataset({"jobs_kw": sol["jobs_kw"], "shift_kw": sol.get("shift_kw", xr.zeros_like(imp)),
                         "it_kw": it_kw, "demand_kw": demand, "import_kw": imp, "charge_kw": sol["charge_kw"],
                         "discharge_kw": sol["discharge_kw"], "soc_kwh": soc_kwh, "renewable_kw": renewable,
                         "line_kw": (line_green + line_thermal).broadcast_like(imp), "noncfe_kw": noncfe})

    def yearly(x: xr.DataArray) -> xr.DataArray:
        return (x * w).sum("time") * step_h * annual

    demand_y = yearly(demand)
    noncfe_y = yearly(noncfe)
    cp_per_kg = costs.carbon_price_cny_per_t / units.KG_PER_T
    grid_cost = yearly(imp * sig["price_cny_per_kwh"])
    grid_kg = yearly(imp * sig["intensity_g_per_kwh"] / units.G_PER_KG)
    cf_s = sig["solar_cf"].weighted(w).mean("time")
    cf_w = sig["wind_cf"].weighted(w).mean("time")
    emb = (costs.it_embodied_kg_per_kw_year * add["it_added_kw"]
           + add["solar_added_kw"] * cf_s * costs.solar_embodied_kgco2e_per_mwh * units.HOURS_PER_YEAR
           / units.KWH_PER_MWH
           + add["wind_added_kw"] * cf_w * costs.wind_embodied_kgco2e_per_mwh * units.HOURS_PER_YEAR
           / units.KWH_PER_MWH
           + costs.battery_embodied_kg_per_kwh_year * add["battery_added_kwh"])
    capital = (costs.it_cny_per_kw_year * add["it_added_kw"] + costs.solar_cny_per_kw_year * add["solar_added_kw"]
               + costs.wind_cny_per_kw_year * add["wind_added_kw"]
               + costs.battery_cny_per_kwh_year * add["battery_added_kwh"]
               + costs.battery_cny_per_kw_year * add["battery_added_kw"])
    design = sites.copy()
    for k in DESIGN_VARS:
        design[k] = add[k].to_series()
    design["it_total_kw"] = design["it_capacity_kw"] + design["it_added_kw"]
    design["solar_total_kw"] = design["solar_kw"] + design["solar_added_kw"]
    design["wind_total_kw"] = design["wind_kw"] + design["wind_added_kw"]
    design["battery_total_kwh"] = design["battery_energy_kwh"] + design["battery_added_kwh"]
    design["battery_total_kw"] = design["battery_power_kw"] + design["battery_added_kw"]
    design["jobs_energy_kwh_per_year"] = yearly(load).to_series()
    design["mean_util_frac"] = design["jobs_energy_kwh_per_year"] / (design["it_total_kw"] * units.HOURS_PER_YEAR)
    design["demand_kwh_per_year"] = demand_y.to_series()
    design["grid_import_kwh_per_year"] = yearly(imp).to_series()
    design["line_in_kwh_per_year"] = ((line_green + line_thermal) * units.HOURS_PER_YEAR).to_series()
    design["green_share_frac"] = (1.0 - noncfe_y / demand_y.where(demand_y > 0)).fillna(1.0).to_series()
    design["capital_cny_per_year"] = capital.to_series()
    design["grid_cost_cny_per_year"] = grid_cost.to_series()
    design["emissions_grid_kg_per_year"] = grid_kg.to_series()
    design["embodied_added_kg_per_year"] = emb.to_series()
    share = sol["share"].to_series().dropna()
    share = share[share > 1e-9]
    alloc = share.rename("share_frac").reset_index()
    if len(alloc):
        annual_kwh = (inp.demand_kw.weighted(w).sum("time") * step_h * annual).to_series()
        alloc["energy_kwh_per_year"] = alloc["share_frac"] * annual_kwh.reindex(
            pd.MultiIndex.from_frame(alloc[["region", "cls"]])).to_numpy()
        alloc["latency_ms"] = inp.latency_ms.to_series().reindex(
            pd.MultiIndex.from_frame(alloc[["region", "site"]])).to_numpy()
    line_cost = 0.0
    line_kg = 0.0
    if len(lines):
        yr = lines["contracted_kw"] * lines["utilisation_frac"] * units.HOURS_PER_YEAR  # sent kWh
        line_capex = np.array([costs.uhv_cny_per_kw_year(float(c)) for c in lines["capex_cny_per_kw"]])
        lines["cost_cny_per_year"] = lines["contracted_kw"] * line_capex + yr * lines["send_price_cny_per_kwh"]
        lines["emissions_kg_per_year"] = yr * (1 - lines["green_frac"]) * costs.uhv_thermal_intensity_g_per_kwh \
            / units.G_PER_KG
        line_cost = float(lines["cost_cny_per_year"].sum())
        line_kg = float(lines["emissions_kg_per_year"].sum())
    per_share = (inp.demand_kw.weighted(w).sum("time") * step_h * annual * inp.data_gb_per_kwh
                 * inp.transfer_kwh_per_gb)
    net_kwh = float((sol["share"].fillna(0.0) * per_share).sum())
    net_kg = float((sol["share"].fillna(0.0) * per_share * inp.origin_intensity_g_per_kwh).sum()) / units.G_PER_KG
    net_cost = float((sol["share"].fillna(0.0) * per_share * inp.origin_price_cny_per_kwh).sum())
    link_gbps = float(sol["link_added_gbps"].fillna(0.0).sum()) if "link_added_gbps" in sol else 0.0
    op_kg = float(grid_kg.sum()) + line_kg + net_kg
    emb_kg = float(emb.sum())
    total_demand = float(demand_y.sum())
    totals = {
        "objective_cny_per_year": float(m.objective.value or 0.0),
        "capital_cny_per_year": float(capital.sum()) + costs.link_capex_cny_per_gbps_year * link_gbps,
        "grid_cost_cny_per_year": float(grid_cost.sum()),
        "line_cost_cny_per_year": line_cost,
        "network_cost_cny_per_year": net_cost,
        "carbon_cost_cny_per_year": cp_per_kg * (op_kg + emb_kg),
        "emissions_operational_kg_per_year": op_kg,
        "emissions_grid_kg_per_year": float(grid_kg.sum()),
        "emissions_lines_kg_per_year": line_kg,
        "emissions_network_kg_per_year": net_kg,
        "embodied_added_kg_per_year": emb_kg,
        "network_energy_kwh_per_year": net_kwh,
        "link_added_gbps": link_gbps,
        "demand_kwh_per_year": total_demand,
        "jobs_energy_kwh_per_year": float(design["jobs_energy_kwh_per_year"].sum()),
        "grid_import_kwh_per_year": float(design["grid_import_kwh_per_year"].sum()),
        "green_share_network_frac": 1.0 - float(noncfe_y.sum()) / total_demand if total_demand > 0 else 1.0,
        "green_share_min_site_frac": float(design["green_share_frac"].min()),
    }
    return PlanResult(inputs=inp, options=options, costs=costs, design=design, allocation=alloc, lines=lines,
                      hourly=hourly, totals=totals, build_s=build_s, solve_s=solve_s,
                      n_variables=int(m.nvars), n_constraints=int(m.ncons), extra=dict(extra or {}))
