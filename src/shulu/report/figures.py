"""Figures of a result or a comparison (matplotlib, Agg): each function returns a Figure, nothing is shown.

* :func:`network_map` — hubs and demand regions on longitude/latitude axes, lines from each region to the sites
  that ran its work, width by IT energy moved;
* :func:`supply_stack` — hourly supply per site over one week (grid, solar, wind, battery; surplus below zero);
* :func:`intensity_heatmap` — site x hour grid carbon intensity over the horizon;
* :func:`policy_bars` — emissions and cost by policy, with the oracle's lower bound and the gap to it;
* :func:`wait_distributions` — waiting times per policy.
"""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from shulu import units
from shulu.sim.result import Result

GREEN = "#2e7d32"
GREY = "#616161"


def network_map(result: Result) -> Figure:
    """Sites (coloured by mean grid intensity), demand regions, and the work that moved between them."""
    prov = result.provenance
    sites = prov.get("site_info") or {}
    regions = prov.get("region_info") or {}
    fig, ax = plt.subplots(figsize=(8, 5.5))
    flows = result.jobs.groupby(["origin", "site"])["energy_it_kwh"].sum()
    flows = flows[flows > 0]
    top = float(flows.max()) if len(flows) else 1.0
    for key, kwh in flows.items():
        origin, site = (str(k) for k in key)  # type: ignore[attr-defined]
        if origin in regions and site in sites and "lat_deg" in sites[site]:
            r, s = regions[origin], sites[site]
            ax.plot([r["lon_deg"], s["lon_deg"]], [r["lat_deg"], s["lat_deg"]], color=GREEN, alpha=0.35,
                    linewidth=0.5 + 6.0 * float(kwh) / top, zorder=1)
    inten = result.sites.groupby("site")["intensity_g_per_kwh"].mean() if "intensity_g_per_kwh" in result.sites \
        else pd.Series(dtype=float)
    sx = [v["lon_deg"] for v in sites.values() if "lon_deg" in v]
    sy = [v["lat_deg"] for v in sites.values() if "lat_deg" in v]
    sc = ax.scatter(sx, sy, c=[float(inten.get(k, np.nan)) for k, v in sites.items() if "lon_deg" in v],
                    cmap="RdYlGn_r", s=140, edgecolor="black", zorder=3, label="data-center sites")
    for k, v in sites.items():
        if "lon_deg" in v:
            ax.annotate(k, (v["lon_deg"], v["lat_deg"]), xytext=(4, 4), textcoords="offset points", fontsize=8)
    ax.scatter([v["lon_deg"] for v in regions.values()], [v["lat_deg"] for v in regions.values()], marker="s",
               color="#1565c0", s=60, zorder=3, label="demand regions")
    for k, v in regions.items():
        ax.annotate(k, (v["lon_deg"], v["lat_deg"]), xytext=(4, -10), textcoords="offset points", fontsize=7,
                    color="#1565c0")
    fig.colorbar(sc, ax=ax, label="mean grid intensity [g/kWh]")
    ax.set_xlabel("longitude [°E]")
    ax.set_ylabel("latitude [°N]")
    ax.set_title("Where work ran: demand regions → sites (line width: IT energy)")
    ax.legend(loc="lower left", fontsize=8)
    fig.tight_layout()
    return fig


def _busiest_week(result: Result) -> tuple[pd.Timestamp, pd.Timestamp]:
    s = result.sites
    t = pd.DatetimeIndex(s["time"])
    surplus = s["curtailed_kw"] + s["grid_export_kw"]
    by_day = s.assign(day=t.floor("D"), surplus=surplus).groupby("day")["surplus"].sum()
    start = pd.Timestamp(str(by_day.idxmax())) if len(by_day) and by_day.max() > 0 else t.min()
    start = max(start, t.min())
    return start, min(start + pd.Timedelta(days=7), t.max())


def supply_stack(result: Result) -> Figure:
    """Hourly supply per site over the week with the most renewable surplus: grid, solar, wind, battery (they add
    up to the site's demand); surplus exported or curtailed below zero."""
    s = result.sites
    start, end = _busiest_week(result)
    w = s[(pd.DatetimeIndex(s["time"]) >= start) & (pd.DatetimeIndex(s["time"]) < end)]
    ids = list(dict.fromkeys(w["site"]))
    n = len(ids)
    cols = 2 if n > 1 else 1
    rows = -(-n // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(11, 1.9 * rows + 0.8), sharex=True, squeeze=False)
    for ax, sid in zip(axes.flat, ids, strict=False):
        g = w[w["site"] == sid]
        t = pd.DatetimeIndex(g["time"])
        # renewables used directly = used - what went into the battery from them; split by each source's output
        direct = np.maximum(g["renewable_used_kw"] - (g["battery_charge_kw"] - g["battery_grid_charge_kw"]), 0.0)
        out = (g["solar_kw"] + g["wind_kw"]).to_numpy()
        solar_share = np.divide(g["solar_kw"].to_numpy(), out, out=np.zeros(len(g)), where=out > 0)
        ax.stackplot(t, g["grid_import_kw"] - g["battery_grid_charge_kw"], direct * solar_share,
                     direct * (1 - solar_share), g["battery_discharge_kw"],
                     labels=["grid", "solar", "wind", "battery"], colors=[GREY, "#fbc02d", "#4fc3f7", "#8e24aa"])
        ax.fill_between(t, 0, -(g["curtailed_kw"] + g["grid_export_kw"]), color="#e53935", alpha=0.6,
                        label="exported or curtailed")
        ax.set_title(sid, fontsize=9)
        ax.tick_params(labelsize=7)
    for ax in list(axes.flat)[n:]:
        ax.axis("off")
    axes.flat[0].legend(fontsize=7, ncol=5, loc="upper left")
    fig.supylabel("power [kW]")
    fig.suptitle(f"Hourly supply, week from {start:%Y-%m-%d} (the week with the most renewable surplus)",
                 fontsize=10)
    fig.tight_layout()
    return fig


def intensity_heatmap(result: Result) -> Figure:
    """Site x time grid carbon intensity."""
    s = result.sites
    piv = s.pivot(index="site", columns="time", values="intensity_g_per_kwh")
    fig, ax = plt.subplots(figsize=(11, 0.35 * len(piv) + 1.5))
    im = ax.imshow(piv.to_numpy(), aspect="auto", cmap="RdYlGn_r", interpolation="nearest")
    ax.set_yticks(range(len(piv)), list(piv.index), fontsize=8)
    n = piv.shape[1]
    ticks = np.linspace(0, n - 1, min(n, 12)).astype(int)
    ax.set_xticks(ticks, [pd.Timestamp(piv.columns[i]).strftime("%m-%d") for i in ticks], fontsize=8)
    fig.colorbar(im, ax=ax, label="grid intensity [g/kWh]")
    ax.set_title("Grid carbon intensity by site and hour")
    fig.tight_layout()
    return fig


def policy_bars(comparison: pd.DataFrame, bound_kg: float | None) -> Figure:
    """Location- and market-based emissions and cost per policy; the oracle's bound as a line."""
    c = comparison.set_index("policy")
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4))
    x = np.arange(len(c))
    a1.bar(x - 0.2, c["emissions_location_kg"] / units.KG_PER_T, 0.4, label="location-based", color=GREY)
    a1.bar(x + 0.2, c["emissions_market_kg"] / units.KG_PER_T, 0.4, label="market-based", color=GREEN)
    if bound_kg:
        a1.axhline(bound_kg / units.KG_PER_T, color="#e53935", linestyle="--", label="oracle bound")
        for i, g in enumerate(c["gap_to_oracle_frac"]):
            if g == g:
                a1.annotate(f"+{100 * g:.1f}%", (i - 0.2, c["emissions_location_kg"].iloc[i] / units.KG_PER_T),
                            ha="center", va="bottom", fontsize=7)
    a1.set_xticks(x, list(c.index), rotation=35, ha="right", fontsize=8)
    a1.set_ylabel("emissions [t CO2]")
    a1.set_title("Emissions by policy (scope 2, never summed)")
    a1.legend(fontsize=8)
    a2.bar(x, c["cost_cny"] / 1e3, color="#1565c0")
    a2.set_xticks(x, list(c.index), rotation=35, ha="right", fontsize=8)
    a2.set_ylabel("cost [kCNY]")
    a2.set_title("Energy cost by policy")
    fig.tight_layout()
    return fig


def wait_distributions(waits: Mapping[str, pd.Series]) -> Figure:
    """Distribution of waiting time [h] per policy (share of jobs, log-spaced bins)."""
    fig, ax = plt.subplots(figsize=(8, 4))
    hi = max((float(w.max()) for w in waits.values() if len(w)), default=1.0) / units.SECONDS_PER_HOUR
    bins = np.concatenate([[0.0], np.geomspace(1 / 60, max(hi, 1.0) * 1.01, 30)])
    for name, w in waits.items():
        h = w.to_numpy() / units.SECONDS_PER_HOUR
        ax.hist(h, bins=list(bins), histtype="step", weights=np.full(len(h), 1 / max(len(h), 1)), label=name,
                linewidth=1.4)
    ax.set_xscale("symlog", linthresh=1 / 60)
    ax.set_xlabel("wait from submission to start [h]")
    ax.set_ylabel("share of jobs")
    ax.set_title("Waiting times")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
