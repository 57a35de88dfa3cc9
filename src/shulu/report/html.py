"""``shulu report``: one standalone HTML file (figures inline as SVG, no CDN) plus PNGs of the key figures.

Given a result folder (``summary.json`` ...) or a comparison folder (``comparison.csv`` and one result folder per
policy), the report holds: the network map with the work that moved, hourly supply per site, the intensity
heatmap, emissions and cost by policy with the gap to the oracle (comparisons), waiting-time distributions, the
green-digital scorecard, and tenant accounts.
"""

from __future__ import annotations

import html
import io
import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from shulu.errors import InputError
from shulu.sim.result import Result

CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:2rem auto;max-width:1150px;color:#212121}
h1{color:#2e7d32}h2{border-bottom:2px solid #c8e6c9;padding-bottom:.2rem;margin-top:2.2rem}
table{border-collapse:collapse;font-size:.85rem;margin:.5rem 0}td,th{border:1px solid #ddd;padding:.25rem .5rem;
text-align:right}th{background:#f1f8e9}td:first-child,th:first-child{text-align:left}
figure{margin:1rem 0}figure svg{max-width:100%;height:auto}.note{color:#616161;font-size:.85rem}
.kpi{display:inline-block;margin:.3rem 1rem .3rem 0;padding:.5rem .8rem;background:#f1f8e9;border-radius:6px}
.kpi b{display:block;font-size:1.2rem}
"""


@dataclass
class Report:
    """The pieces of a report before rendering."""

    title: str
    kpis: list[tuple[str, str]] = field(default_factory=list)
    sections: list[tuple[str, str]] = field(default_factory=list)  #: (heading, html)
    figures: dict[str, Figure] = field(default_factory=dict)  #: name -> figure, also saved as PNG


def _svg(fig: Figure) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight")
    text = buf.getvalue()
    return text[text.index("<svg"):]


def _table(df: pd.DataFrame, floatfmt: str = "{:,.4g}") -> str:
    def cell(v: object) -> str:
        if isinstance(v, float):
            return "–" if v != v else floatfmt.format(v)
        return html.escape(str(v))

    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in df.columns)
    rows = "".join("<tr>" + "".join(f"<td>{cell(v)}</td>" for v in r) + "</tr>" for r in df.itertuples(index=False))
    return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"


def load_target(folder: Path) -> tuple[dict[str, Result], pd.DataFrame | None]:
    """A result folder -> {policy: result}; a comparison folder -> every policy's result and the table."""
    if (folder / "summary.json").exists():
        res = Result.load(folder)
        return {str(res.provenance.get("policy", "result")): res}, None
    if (folder / "comparison.csv").exists():
        comp = pd.read_csv(folder / "comparison.csv")
        results = {p: Result.load(folder / p) for p in comp["policy"] if (folder / p / "summary.json").exists()}
        if not results:
            raise InputError("comparison.csv has no result folders beside it", file=str(folder))
        return results, comp
    raise InputError("expected a result folder (summary.json) or a comparison folder (comparison.csv)",
                     file=str(folder))


def build_report(folder: str | os.PathLike[str],
                 progress: Callable[[str], None] | None = None) -> Report:
    """Compute every figure and table of the report for ``folder``."""
    from shulu.accounts.attribution import attribute
    from shulu.accounts.scorecard import scorecard
    from shulu.report import figures

    step = progress or (lambda _name: None)
    results, comp = load_target(Path(folder))
    main_name = "spatio-temporal" if "spatio-temporal" in results else next(iter(results))
    main = results[main_name]
    s = main.summary
    rep = Report(title=f"shulu report: {main.provenance.get('scenario', '')}")
    rep.kpis = [("policy shown", main_name), ("location-based", f"{s['emissions_location_kg'] / 1e3:,.1f} t"),
                ("market-based", f"{s['emissions_market_kg'] / 1e3:,.1f} t"), ("cost", f"{s['cost_cny']:,.0f} CNY"),
                ("carbon-free share", f"{100 * s['cfe_frac']:.1f}%"), ("PUE", f"{s['pue_mean']:.3f}"),
                ("jobs late", f"{s['jobs_late']:,}")]
    if main.provenance.get("site_info", {}) and "lat_deg" in next(iter(main.provenance["site_info"].values())):
        rep.figures["map"] = figures.network_map(main)
        step("map")
    rep.figures["supply"] = figures.supply_stack(main)
    step("supply")
    rep.figures["intensity"] = figures.intensity_heatmap(main)
    step("intensity")
    if comp is not None:
        bound = None
        if "oracle" in results:
            bound = results["oracle"].provenance.get("policy_params", {}).get("bound_emissions_location_kg")
        rep.figures["policies"] = figures.policy_bars(comp, bound)
        step("policies")
        cols = [c for c in ("policy", "emissions_location_kg", "emissions_market_kg", "reduction_vs_local_frac",
                            "gap_to_oracle_frac", "cost_cny", "mean_wait_s", "jobs_late") if c in comp]
        rep.sections.append(("Policies compared", _table(comp[cols])))
    rep.figures["waits"] = figures.wait_distributions({k: r.jobs["wait_s"] for k, r in results.items()})
    step("waits")
    att = attribute(main)
    hubs, cities = scorecard(main, att)
    keep = ["rank", "index", "pue", "cue_kg_per_kwh", "green_share_frac", "heat_reuse_frac", "rack_fill_frac",
            "carbon_per_compute"]
    rep.sections.append(("Green-digital scorecard: hubs", _table(hubs[keep].reset_index())))
    rep.sections.append(("Green-digital scorecard: demand cities", _table(cities[keep].reset_index())))
    step("scorecard")
    t = att.jobs.groupby("tenant").agg(jobs=("job_id", "size"), energy_kwh=("energy_kwh", "sum"),
                                       location_kg=("emissions_location_kg", "sum"),
                                       market_kg=("emissions_market_kg", "sum"), embodied_kg=("embodied_kg", "sum"))
    t["sci_kg_per_job"] = (t["location_kg"] + t["embodied_kg"]) / t["jobs"]
    t = t.sort_values("location_kg", ascending=False).head(20).reset_index()
    rep.sections.append(("Tenant accounts (top 20 by location-based emissions; scope 2 both ways, never summed)",
                         _table(t)))
    step("accounts")
    return rep


CAPTIONS = {"map": "The network: demand regions (squares) and sites (circles, coloured by mean grid intensity); "
                   "lines show where each region's work ran, width by IT energy.",
            "supply": "Hourly supply per site (grid, solar, wind, battery: adding up to demand) for the week with the "
                      "most renewable surplus (red, below zero: exported or curtailed).",
            "intensity": "Grid carbon intensity, site x hour.",
            "policies": "Emissions (location- and market-based) and cost by policy; the dashed line is the oracle's "
                        "lower bound, labels the gap to it.",
            "waits": "Share of jobs by waiting time, per policy."}


def render(rep: Report) -> str:
    """The standalone HTML page."""
    kpis = "".join(f'<span class="kpi">{html.escape(k)}<b>{html.escape(v)}</b></span>' for k, v in rep.kpis)
    figs = "".join(f'<h2>{html.escape(name.title())}</h2><figure id="fig-{name}">{_svg(fig)}'
                   f"<figcaption class=note>{html.escape(CAPTIONS.get(name, ''))}</figcaption></figure>"
                   for name, fig in rep.figures.items())
    secs = "".join(f"<h2>{html.escape(h)}</h2>{body}" for h, body in rep.sections)
    return (f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{html.escape(rep.title)}</title>"
            f"<style>{CSS}</style></head><body><h1>{html.escape(rep.title)}</h1><div>{kpis}</div>{figs}{secs}"
            f"<p class=note>Written by shulu; every figure is inline SVG (works offline). "
            f"Data: {html.escape(json.dumps(list(rep.figures)))}</p></body></html>")


def write_report(folder: str | os.PathLike[str], out: str | os.PathLike[str],
                 progress: Callable[[str], None] | None = None) -> tuple[Path, list[Path]]:
    """Write the HTML (atomically) and PNGs of the figures into ``<out stem>_png/``; returns their paths."""
    import matplotlib.pyplot as plt

    rep = build_report(folder, progress)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    png_dir = out.with_name(out.stem + "_png")
    png_dir.mkdir(exist_ok=True)
    pngs = []
    for name, fig in rep.figures.items():
        fig.savefig(png_dir / f"{name}.png", dpi=150, bbox_inches="tight")
        pngs.append(png_dir / f"{name}.png")
    text = render(rep)
    for fig in rep.figures.values():
        plt.close(fig)
    fd, tmp = tempfile.mkstemp(prefix=".report.", dir=out.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, out)
    return out, pngs
