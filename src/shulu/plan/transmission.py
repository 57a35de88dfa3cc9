"""Move bits or move electrons? For each (west, east) hub pair, serve the same block of eastern work two ways.

* **bits**: run the work at the western site — new IT capacity there at the west's PUE, its sun, wind, battery
  and grid sized to the green share, plus the network energy of moving the work's data west;
* **electrons**: run it at the eastern site — new IT capacity at the east's PUE, supplied by a contracted share of
  a UHV DC line from the western site (flat delivery at the line's utilisation, less losses, with the line's
  green share; the rest at the fossil-only factor) together with the east's own sun, wind, battery and grid.

Each is a least-cost sizing with the layout model (one site, the same green share, the same costs), so the two
answers differ only by where the work runs and how the power travels. The line's cost per kW comes from its
length (named lines use their published investment). The output says, per pair, which wins on money and on
carbon, and by how much.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from shulu import units
from shulu.model.network import great_circle_km
from shulu.model.scenario import Scenario
from shulu.plan.cfe import single_site_inputs
from shulu.plan.costs import PlanCosts
from shulu.plan.inputs import PlanInputs
from shulu.plan.layout import PlanOptions, PlanResult, solve

#: Reference block of work moved [kW of IT power, flat] (the answer scales with it).
REFERENCE_IT_KW = 1000.0


def _one_site(inp: PlanInputs, site: str, load_kw: float, line: pd.DataFrame | None) -> PlanInputs:
    sig = inp.signals.sel(site=site)
    row = inp.sites.loc[site].to_dict()
    n = inp.signals.sizes["time"]
    one = single_site_inputs(
        np.full(n, load_kw), solar_cf=sig["solar_cf"].to_numpy(), wind_cf=sig["wind_cf"].to_numpy(),
        price_cny_per_kwh=sig["price_cny_per_kwh"].to_numpy(),
        intensity_g_per_kwh=sig["intensity_g_per_kwh"].to_numpy(), grid_cfe_frac=sig["grid_cfe_frac"].to_numpy(),
        facility_factor=sig["facility_factor"].to_numpy(), idle_frac=float(row["idle_frac"]), capacity_kw=1e-6,
        rte_frac=float(row["rte_frac"]), soc_min_frac=float(row["soc_min_frac"]),
        soc_max_frac=float(row["soc_max_frac"]), weight=inp.weight.to_numpy(), site=site, role=str(row["role"]))
    one = one.replace(period=inp.period.copy(), cycle=inp.cycle.copy())
    if line is not None:
        one = one.replace(lines=line)
    return one


def _summary(res: PlanResult) -> tuple[float, float]:
    t = res.totals
    kg = t["emissions_operational_kg_per_year"] + t["embodied_added_kg_per_year"]
    return t["objective_cny_per_year"], kg


def compare_pairs(scn: Scenario, inp: PlanInputs, costs: PlanCosts, *, green_share_min_frac: float,
                  plan: PlanResult | None = None, load_kw: float = REFERENCE_IT_KW) -> pd.DataFrame:
    """Per (west site, east site): cost and carbon of moving bits vs moving electrons for ``load_kw`` of work.

    Parameters
    ----------
    scn : Scenario
        The network (coordinates, links, roles).
    inp : PlanInputs
        Its plan inputs (representative days keep this quick).
    costs : PlanCosts
        Constants.
    green_share_min_frac : float
        Hourly carbon-free share both options must reach [0..1].
    plan : PlanResult, optional
        A national plan: its line contracts and west-served eastern work are reported beside each pair.
    load_kw : float
        Work moved [kW of IT power].

    Returns
    -------
    pandas.DataFrame
        One row per pair: line, length, ``bits_cny_per_year``, ``electrons_cny_per_year``, ``bits_kg_per_year``,
        ``electrons_kg_per_year``, ``winner_cost``, ``winner_carbon``, savings of the winner, and the plan's choice.
    """
    net = scn.network
    named = {(line.get("from_site"), line.get("to_site")): line for line in costs.uhv_lines}
    opts = PlanOptions(green_share_min_frac=green_share_min_frac, green_scope="network", allow_links=False)
    # data moved per kWh of work: the network's non-real-time classes
    flex = [c for c in inp.classes.index if inp.classes.loc[c, "job_class"] != "realtime"]
    w = inp.weight
    e = (inp.demand_kw.sel(cls=flex) * w).sum("time")
    gb = float((e * inp.data_gb_per_kwh.sel(cls=flex)).sum() / max(float(e.sum()), 1e-12)) if flex else 0.0
    lat = inp.latency_ms.to_pandas()
    rows = []
    for east in [s for s in net.sites if s.role == "east"]:
        region = str(lat[east.id].idxmin())  # the work comes from the east site's nearest region
        for west in [s for s in net.sites if s.role == "west"]:
            key = (west.id, east.id)
            line = named.get(key)
            if line is not None:
                length = float(line["length_km"])
                cap = float(line.get("capacity_kw", 8.0e6))
                capex = float(line["investment_cny"]) / cap if line.get("investment_cny") else \
                    costs.uhv_capex_cny_per_kw(length)
                line_id = str(line["id"])
            else:
                length = great_circle_km(west.lat_deg, west.lon_deg, east.lat_deg, east.lon_deg) \
                    * costs.uhv_route_factor
                capex = costs.uhv_capex_cny_per_kw(length)
                line_id = f"{west.id}>{east.id} (generic)"
            loss = min(costs.uhv_loss_frac_per_km * length, 0.5)
            send_price = float(inp.signals["price_cny_per_kwh"].sel(site=west.id).weighted(w).mean())
            line_df = pd.DataFrame([{"from_site": west.id, "to_site": east.id, "length_km": length,
                                     "capex_cny_per_kw": capex, "loss_frac": loss, "capacity_kw": 8.0e6,
                                     "green_frac": costs.uhv_green_frac,
                                     "utilisation_frac": costs.uhv_utilisation_frac,
                                     "send_price_cny_per_kwh": send_price, "named": line is not None}],
                                   index=pd.Index([line_id], name="line"))
            bits = solve(_one_site(inp, west.id, load_kw, None), costs, opts)
            elec = solve(_one_site(inp, east.id, load_kw, line_df), costs, opts)
            b_cny, b_kg = _summary(bits)
            e_cny, e_kg = _summary(elec)
            # network energy of moving the data west (charged at the east region's nearest site)
            kwh_year = load_kw * units.HOURS_PER_YEAR
            net_kwh = kwh_year * gb * float(inp.transfer_kwh_per_gb.sel(region=region, site=west.id))
            net_kg = net_kwh * float(inp.origin_intensity_g_per_kwh.sel(region=region)) / units.G_PER_KG
            net_cny = net_kwh * float(inp.origin_price_cny_per_kwh.sel(region=region)) \
                + net_kg * costs.carbon_price_cny_per_t / units.KG_PER_T
            b_cny += net_cny
            b_kg += net_kg
            contracted = float(elec.lines["contracted_kw"].sum())
            row = {"west_site": west.id, "west_hub": west.hub, "east_site": east.id, "east_hub": east.hub,
                   "region": region, "latency_ms": float(inp.latency_ms.sel(region=region, site=west.id)),
                   "line": line_id,
                   "line_length_km": length, "line_capex_cny_per_kw": capex, "line_loss_frac": loss,
                   "it_load_kw": load_kw, "work_kwh_per_year": kwh_year,
                   "bits_cny_per_year": b_cny, "electrons_cny_per_year": e_cny,
                   "bits_kg_per_year": b_kg, "electrons_kg_per_year": e_kg,
                   "electrons_line_contracted_kw": contracted,
                   "winner_cost": "bits" if b_cny <= e_cny else "electrons",
                   "winner_carbon": "bits" if b_kg <= e_kg else "electrons",
                   "cost_saving_cny_per_year": abs(e_cny - b_cny), "carbon_saving_kg_per_year": abs(e_kg - b_kg)}
            if plan is not None:
                lines = plan.lines
                row["plan_line_kw"] = float(lines.loc[(lines["from_site"] == west.id) & (lines["to_site"] == east.id),
                                                      "contracted_kw"].sum()) if len(lines) else 0.0
                al = plan.allocation
                moved = al[(al["region"] == region) & (al["site"] == west.id)] if len(al) else al
                row["plan_west_served_kwh_per_year"] = float(moved["energy_kwh_per_year"].sum()) if len(al) else 0.0
            rows.append(row)
    return pd.DataFrame(rows)
