"""The ``shulu`` command line (front end): Typer + Rich.

User mistakes (:class:`shulu.errors.InputError`) are printed as one clear message
naming the file/field/row, without a traceback, and exit with code 2.
"""

from __future__ import annotations

import functools
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import numpy as np
import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from shulu import __version__, units
from shulu.errors import InputError
from shulu.io import load_scenario, save_scenario
from shulu.model.scenario import Scenario

app = typer.Typer(help="shulu (数绿): make computing follow green power.", no_args_is_help=True,
                  pretty_exceptions_enable=False, add_completion=False)
data_app = typer.Typer(help="Built-in datasets; carbon intensity import and fetch.", no_args_is_help=True)
trace_app = typer.Typer(help="Workload traces: synthesise and import.", no_args_is_help=True)
app.add_typer(data_app, name="data")
app.add_typer(trace_app, name="trace")

console = Console()
err_console = Console(stderr=True)
EXIT_INPUT = 2
F = TypeVar("F", bound=Callable[..., Any])


def user_errors(fn: F) -> F:
    """Turn :class:`InputError` (and missing files) into a clean message and exit code 2."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except InputError as exc:
            err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
            raise typer.Exit(EXIT_INPUT) from None
        except (FileNotFoundError, NotADirectoryError, PermissionError) as exc:
            err_console.print(f"[bold red]error:[/] {exc.strerror}: {exc.filename}", highlight=False)
            raise typer.Exit(EXIT_INPUT) from None

    return wrapper  # type: ignore[return-value]


def _version(flag: bool) -> None:
    if flag:
        console.print(f"shulu {__version__}")
        raise typer.Exit()


@app.callback()
def _main(version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                                help="Show the version and exit.")] = False) -> None:
    """shulu (数绿): model, simulate, schedule and account data-center networks that follow green power."""


@data_app.command("china")
@user_errors
def data_china(
    out: Annotated[Path, typer.Option("--out", help="Folder to write the scenario to.")],
    year: Annotated[int, typer.Option(help="Calendar year (China local time).")] = 2025,
    jobs: Annotated[int, typer.Option(help="Number of synthetic jobs in the default workload.")] = 100_000,
    seed: Annotated[int, typer.Option(help="Seed for profiles and workload.")] = 2025,
    step_s: Annotated[int, typer.Option("--step-s", help="Step length [s], 300..3600.")] = 3600,
    table_format: Annotated[str, typer.Option("--format", help="Table format: parquet or csv.")] = "parquet",
) -> None:
    """Write the built-in China network (8 hubs / 10 clusters) for a year as a complete scenario folder."""
    from shulu.data.china import build_china_scenario

    with console.status(f"Synthesising the China network for {year} ({jobs:,} jobs)..."):
        scn = build_china_scenario(year, n_jobs=jobs, seed=seed, step_s=step_s)
        path = save_scenario(scn, out, table_format=table_format)
    console.print(f"Wrote scenario [bold]{scn.name}[/] to {path}")


@data_app.command("microgrid")
@user_errors
def data_microgrid(
    out: Annotated[Path, typer.Option("--out", help="Folder to write the scenario to.")],
    days: Annotated[int, typer.Option(help="Horizon [day].")] = 365,
    step_s: Annotated[int, typer.Option("--step-s", help="Step length [s].")] = 300,
    seed: Annotated[int, typer.Option(help="Seed.")] = 0,
    solar_kw: Annotated[float, typer.Option("--solar-kw", help="Solar capacity [kW].")] = 150.0,
    battery_kwh: Annotated[float, typer.Option("--battery-kwh", help="Battery energy [kWh].")] = 200.0,
    battery_kw: Annotated[float, typer.Option("--battery-kw", help="Battery power [kW].")] = 100.0,
) -> None:
    """Write a one-site microgrid scenario (load, solar, battery, grid; default a year of 5-minute steps)."""
    from shulu.data.microgrid import build_microgrid_scenario

    scn = build_microgrid_scenario(days=days, step_s=step_s, seed=seed, solar_kw=solar_kw,
                                   battery_energy_kwh=battery_kwh, battery_power_kw=battery_kw)
    path = save_scenario(scn, out)
    console.print(f"Wrote scenario [bold]{scn.name}[/] ({scn.n_steps:,} steps) to {path}")


@trace_app.command("synth")
@user_errors
def trace_synth(
    scenario: Annotated[Path, typer.Option("--scenario", help="Scenario folder whose network and horizon to use.")],
    out: Annotated[Path, typer.Option("--out", help="Output table (.parquet or .csv).")],
    jobs: Annotated[int, typer.Option(help="Number of jobs.")] = 100_000,
    seed: Annotated[int, typer.Option(help="Seed.")] = 0,
) -> None:
    """Synthesise a realistic workload for a scenario's demand regions and horizon."""
    from shulu.data.workload_synth import synthesize_workload

    if out.suffix not in (".parquet", ".csv"):
        raise InputError(f"expected an output file ending in .parquet or .csv, got {out.name!r}", field="--out")
    scn = load_scenario(scenario)
    with console.status(f"Synthesising {jobs:,} jobs..."):
        wl = synthesize_workload(scn.network, start=scn.start, end=scn.end, n_jobs=jobs, seed=seed)
        write_table_atomic(wl.frame, out)
    console.print(f"Wrote {len(wl):,} jobs to {out}")


def write_table_atomic(df: pd.DataFrame, out: Path) -> None:
    """Write a table to ``out`` (.parquet or .csv) via a temporary file, so nothing is half-written."""
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent)
    os.close(fd)
    try:
        if out.suffix == ".parquet":
            df.to_parquet(tmp, index=False)
        else:
            df.to_csv(tmp, index=False, float_format="%.17g")
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@app.command("validate")
@user_errors
def validate(scenario: Annotated[Path, typer.Argument(help="Scenario folder.")]) -> None:
    """Load and validate a scenario folder; exit 2 with a clear message if anything is wrong."""
    scn = load_scenario(scenario)
    console.print(f"[green]ok[/] {scn.name}: {len(scn.network.sites)} sites, {len(scn.network.demand_regions)} "
                  f"demand regions, {len(scn.network.links)} links, {scn.n_steps:,} steps of {scn.step_s} s, "
                  f"{len(scn.workload):,} jobs")


def _short(name: str) -> str:
    return name.split(" (", 1)[0]


def site_table(scn: Scenario) -> Table:
    """Per-site static data: capacity, PUE and supply."""
    t = Table(title=f"Sites — {scn.name}")
    for col in ("site", "hub", "role", "IT [kW]", "PUE", "solar [kW]", "wind [kW]", "battery [kWh]", "green buy"):
        t.add_column(col, justify="left" if col in ("site", "hub", "role") else "right")
    for s in scn.network.sites:
        sup = s.supply
        t.add_row(s.id, _short(s.hub), s.role, f"{s.it_capacity_kw:,.0f}", f"{s.pue_design:.2f}",
                  f"{sup.solar_kw:,.0f}", f"{sup.wind_kw:,.0f}", f"{sup.battery_energy_kwh:,.0f}",
                  f"{sup.green_purchase_frac:.0%}")
    return t


def signal_table(scn: Scenario) -> Table:
    """Per-site means of the signals over the horizon."""
    t = Table(title="Signals (means over the horizon)")
    for col in ("site", "intensity [g/kWh]", "grid CFE", "price [CNY/kWh]", "solar CF", "wind CF", "temp [°C]"):
        t.add_column(col, justify="left" if col == "site" else "right")
    sig = scn.signals.slice(scn.start, scn.end)
    for s in scn.network.sites:
        def mean(var: str, sid: str = s.id) -> float:
            return float(np.mean(sig[var][sid].to_numpy()))

        t.add_row(s.id, f"{mean('intensity_g_per_kwh'):.0f}", f"{mean('grid_cfe_frac'):.0%}",
                  f"{mean('price_cny_per_kwh'):.3f}", f"{mean('solar_cf'):.3f}", f"{mean('wind_cf'):.3f}",
                  f"{mean('temperature_c'):.1f}")
    return t


def region_table(scn: Scenario) -> Table:
    """Demand regions with their weight and nearest site."""
    lat = scn.network.latency_matrix_ms()
    t = Table(title="Demand regions")
    for col in ("region", "name", "weight", "jobs", "nearest site", "latency [ms]"):
        t.add_column(col, justify="right" if col in ("weight", "jobs", "latency [ms]") else "left")
    counts = scn.workload.frame["origin"].value_counts()
    for r in scn.network.demand_regions:
        row = lat.loc[r.id]
        near = str(row.idxmin())
        t.add_row(r.id, _short(r.name), f"{r.weight_frac:.1%}", f"{int(counts.get(r.id, 0)):,}", near,
                  f"{row[near]:.1f}")
    return t


def workload_table(scn: Scenario) -> Table:
    """Workload summary by class."""
    from shulu.data.workload_synth import workload_stats

    stats = workload_stats(scn.workload)
    t = Table(title=f"Workload — {len(scn.workload):,} jobs")
    t.add_column("class")
    for col in stats.columns:
        t.add_column(str(col), justify="right")
    for cls, row in stats.iterrows():
        t.add_row(str(cls), *[f"{int(v):,}" if k == "jobs" else f"{v:,.3g}" for k, v in row.items()])
    return t


@app.command("info")
@user_errors
def info(scenario: Annotated[Path, typer.Argument(help="Scenario folder.")]) -> None:
    """A readable summary of a scenario: sites, supply, demand regions and workload."""
    scn = load_scenario(scenario)
    console.print(f"[bold]{scn.name}[/] — {scn.description}")
    console.print(f"Horizon {scn.start.isoformat()} .. {scn.end.isoformat()} (UTC), {scn.n_steps:,} steps of "
                  f"{scn.step_s} s, seed {scn.seed}")
    console.print(site_table(scn))
    console.print(signal_table(scn))
    console.print(region_table(scn))
    if len(scn.workload):
        console.print(workload_table(scn))


def _parse_params(items: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items:
        if "=" not in item:
            raise InputError(f"expected KEY=VALUE, got {item!r}", field="--param")
        k, v = item.split("=", 1)
        try:
            out[k] = float(v) if any(c in v for c in ".eE") else int(v)
        except ValueError:
            out[k] = v
    return out


def summary_table(summary: dict[str, Any], title: str = "Summary") -> Table:
    """A two-column table of a result summary, with units from the field names."""
    from shulu.sim.result import SUMMARY_FIELDS

    units_of = {name: unit for name, unit, _ in SUMMARY_FIELDS}
    t = Table(title=title)
    t.add_column("metric")
    t.add_column("value", justify="right")
    t.add_column("unit")
    for k, v in summary.items():
        t.add_row(k, f"{v:,.4g}" if isinstance(v, float) else f"{v:,}", units_of.get(k, ""))
    return t


@app.command("simulate")
@user_errors
def simulate_cmd(
    scenario: Annotated[Path, typer.Argument(help="Scenario folder.")],
    out: Annotated[Path, typer.Option("--out", help="Result folder to write.")],
    policy: Annotated[str, typer.Option(help="Placement policy name.")] = "local",
    dispatch: Annotated[str, typer.Option(help="Battery dispatch rule.")] = "self-consumption",
    param: Annotated[list[str] | None, typer.Option("--param", help="Policy parameter KEY=VALUE (repeatable).")]
    = None,
) -> None:
    """Simulate a scenario under a policy and write summary.json, sites.parquet, jobs.parquet, provenance.json."""
    from shulu.runner import simulate

    scn = load_scenario(scenario)
    with console.status(f"Simulating {scn.name}: {scn.n_steps:,} steps x {len(scn.network.sites)} sites, "
                        f"{len(scn.workload):,} jobs, policy {policy}..."):
        res = simulate(scn, policy, dispatch=dispatch, **_parse_params(param or []))
        res.save(out)
    console.print(summary_table(res.summary, title=f"{scn.name} — policy {policy}"))
    console.print(f"Wrote {out}")


@app.command("compare")
@user_errors
def compare_cmd(
    scenario: Annotated[Path, typer.Argument(help="Scenario folder.")],
    out: Annotated[Path, typer.Option("--out", help="Folder for comparison.csv and one result folder per policy.")],
    policies: Annotated[str, typer.Option(help="Comma-separated policy names.")] = "local,greenest-now,wait-awhile,"
    "spatio-temporal",
    dispatch: Annotated[str, typer.Option(help="Battery dispatch rule.")] = "self-consumption",
    forecast: Annotated[str, typer.Option(help="Forecast for the forecast-driven policies.")] = "perfect",
    mape: Annotated[float, typer.Option(help="Forecast error of the 'noisy' forecast (fraction).")] = 0.1,
) -> None:
    """Run several policies on one scenario; write comparison.csv and print it as a table."""
    from rich.progress import Progress

    from shulu.compare import compare, parse_policies, write_comparison
    from shulu.policies import POLICIES
    from shulu.policies.aware import PlanningPolicy

    names = parse_policies(policies)
    scn = load_scenario(scenario)
    params = {n: {"forecast": forecast, "mape": mape} for n in names
              if issubclass(POLICIES[n], PlanningPolicy) and n != "mpc"}
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("policies", total=len(names))

        def done(name: str, res: Any) -> None:
            res.save(out / name)
            progress.advance(task)

        df = compare(scn, names, params=params, dispatch=dispatch, on_result=done)
    path = write_comparison(df, out)
    console.print(comparison_table(df, f"{scn.name}: policies compared"))
    console.print(f"Wrote {path} (every column) and one result folder per policy")


def comparison_table(df: pd.DataFrame, title: str) -> Table:
    """A terminal-width view of comparison.csv."""
    t = Table(title=title)
    cols = [("policy", "policy", None), ("location [t]", "emissions_location_kg", 1e-3),
            ("market [t]", "emissions_market_kg", 1e-3), ("vs local", "reduction_vs_local_frac", "pct"),
            ("gap oracle", "gap_to_oracle_frac", "pct"), ("cost [kCNY]", "cost_cny", 1e-3),
            ("wait [h]", "mean_wait_s", 1 / units.SECONDS_PER_HOUR), ("late", "jobs_late", 1),
            ("lat.viol", "latency_violations", 1)]
    for head, _, _ in cols:
        t.add_column(head, justify="left" if head == "policy" else "right")
    for _, row in df.iterrows():
        cells = []
        for _, key, scale in cols:
            v = row[key]
            if scale is None:
                cells.append(str(v))
            elif pd.isna(v):
                cells.append("-")
            elif scale == "pct":
                cells.append(f"{100 * float(v):+.1f}%")
            else:
                cells.append(f"{float(v) * float(scale):,.4g}")
        t.add_row(*cells)
    return t


@app.command("sweep")
@user_errors
def sweep_cmd(
    spec_file: Annotated[Path, typer.Argument(metavar="SWEEP.yaml", help="Sweep file (see docs/sweeps.md).")],
    out: Annotated[Path, typer.Option("--out", help="Folder for results.parquet, cells/, provenance/ "
                                                    "(rerun with the same folder to resume).")],
    scheduler: Annotated[str | None, typer.Option(help="Address of a running Dask scheduler, tcp://HOST:PORT "
                                                       "(default: a local cluster).")] = None,
    workers: Annotated[int | None, typer.Option(help="Worker processes of the local cluster (default: the CPU "
                                                     "count, at most one per cell to run).")] = None,
) -> None:
    """Run a grid of simulations (policies x forecasts x MAPE x seeds x ...) on Dask; resumable."""
    from shulu.sweep import read_spec, run_sweep

    if workers is not None and scheduler is not None:
        raise InputError("--workers sizes the local cluster; leave it out with --scheduler", field="--workers")
    spec = read_spec(spec_file)
    try:
        rep = run_sweep(spec, out, scheduler=scheduler, workers=workers, console=console)
    except KeyboardInterrupt:
        err_console.print(f"interrupted; finished cells are kept in {out} — run the same command to resume")
        raise typer.Exit(130) from None
    console.print(f"{spec.name}: {rep.n_cells} cells — {rep.ran} run now on {rep.workers} workers, {rep.skipped} "
                  f"done before, {len(rep.failed)} failed ({rep.wall_s:.1f} s). Wrote {rep.results}")
    for cid, err in rep.failed.items():
        err_console.print(f"[red]cell {cid} failed:[/] {err} (see {out}/errors/{cid}.txt)", highlight=False)
    if rep.failed:
        raise typer.Exit(1)

# --- carbon accounts -------------------------------------------------------------------------------------------
accounts_app = typer.Typer(help="Carbon accounts: post results to the hash-chained ledger, tenant balances, "
                                "statements, verification.", no_args_is_help=True)
app.add_typer(accounts_app, name="accounts")
DbOption = Annotated[str | None, typer.Option("--db", help="Database URL (SQLAlchemy), e.g. sqlite:///shulu.db or "
                                                          "postgresql+psycopg://user:pw@host/db. Default: "
                                                          "$SHULU_DATABASE_URL, else a SQLite file in the user's "
                                                          "data folder.")]


def _engine(db: str | None) -> Any:
    from shulu.accounts.ledger import connect

    return connect(db)


@accounts_app.command("post")
@user_errors
def accounts_post(result_dir: Annotated[Path, typer.Argument(help="Result folder (from shulu simulate).")],
                  db: DbOption = None) -> None:
    """Attribute a result to its jobs and tenants and append it to the ledger (idempotent)."""
    from shulu.accounts.tenants import post_result

    rep = post_result(_engine(db), result_dir)
    if rep.posted:
        console.print(f"posted {rep.n_entries:,} entries (seq {rep.first_seq}..{rep.last_seq}); "
                      f"ledger head {rep.head_hash[:16]}")
    else:
        console.print(f"already posted (seq {rep.first_seq}..{rep.last_seq}); nothing added")
    for w in rep.warnings:
        err_console.print(f"[yellow]{w}[/]", highlight=False)


@accounts_app.command("show")
@user_errors
def accounts_show(tenant: Annotated[str, typer.Argument(help="Tenant id.")], db: DbOption = None) -> None:
    """A tenant's balances by month: scope 2 location- and market-based, embodied, SCI, budget use."""
    from shulu.accounts.tenants import balances, budget_warnings

    engine = _engine(db)
    b = balances(engine, tenant)
    t = Table(title=f"Carbon account: {tenant}")
    cols = [("month", "month", None), ("jobs", "jobs", 1), ("energy [MWh]", "energy_kwh", 1e-3),
            ("location [t]", "emissions_location_kg", 1e-3), ("market [t]", "emissions_market_kg", 1e-3),
            ("certificates [MWh]", "certificate_kwh", 1e-3), ("embodied gross/net [t]", None, None),
            ("SCI [kg/job]", "sci_kg_per_job", 1), ("budget used", "budget_location_used_frac", "pct")]
    for c in cols:
        t.add_column(c[0], justify="right")
    for _, r in b.iterrows():
        cells = []
        for _label, key, scale in cols:
            if key is None:
                cells.append(f"{r['embodied_kg'] / 1e3:,.3g} / {r['embodied_net_kg'] / 1e3:,.3g}")
            elif scale is None:
                cells.append(str(r[key]))
            elif pd.isna(r[key]):
                cells.append("-")
            elif scale == "pct":
                cells.append(f"{100 * float(r[key]):.0f}%")
            else:
                cells.append(f"{float(r[key]) * float(scale):,.4g}")
        t.add_row(*cells)
    console.print(t)
    for w in budget_warnings(engine, tenant):
        err_console.print(f"[yellow]{w}[/]", highlight=False)


@accounts_app.command("statement")
@user_errors
def accounts_statement(tenant: Annotated[str, typer.Argument(help="Tenant id.")],
                       month: Annotated[str, typer.Option("--month", help="Month, YYYY-MM.")],
                       out: Annotated[Path, typer.Option("--out", help="Folder for the CSV and JSON.")] = Path("."),
                       db: DbOption = None) -> None:
    """Write a tenant's monthly statement as CSV and JSON."""
    from shulu.accounts.tenants import statement, write_statement

    st = statement(_engine(db), tenant, month)
    j, c = write_statement(st, out)
    tot = st["totals"]
    console.print(f"{tenant} {month}: {tot['jobs']:.0f} jobs, {tot['energy_kwh']:,.1f} kWh, location-based "
                  f"{tot['emissions_location_kg']:,.1f} kg, market-based {tot['emissions_market_kg']:,.1f} kg "
                  f"(never summed); wrote {j} and {c}")


@accounts_app.command("verify")
@user_errors
def accounts_verify(db: DbOption = None) -> None:
    """Recompute the ledger's hash chain; exit 1 if any entry was changed, reordered or deleted."""
    from shulu.accounts.ledger import verify

    v = verify(_engine(db))
    if v.ok:
        console.print(f"ledger OK: {v.n_entries:,} entries, head {v.head_seq} {v.head_hash}")
        return
    for p in v.problems:
        err_console.print(f"[bold red]tampered:[/] {p}", highlight=False)
    raise typer.Exit(1)


@accounts_app.command("tenant")
@user_errors
def accounts_tenant(tenant: Annotated[str, typer.Argument(help="Tenant id.")],
                    name: Annotated[str, typer.Option(help="Display name.")] = "",
                    budget_location_kg: Annotated[float | None, typer.Option(
                        "--budget-location-kg", help="Monthly budget, location-based [kgCO2].")] = None,
                    budget_market_kg: Annotated[float | None, typer.Option(
                        "--budget-market-kg", help="Monthly budget, market-based [kgCO2].")] = None,
                    db: DbOption = None) -> None:
    """Create or update a tenant and its monthly carbon budgets."""
    from shulu.accounts.tenants import set_tenant

    set_tenant(_engine(db), tenant, name=name, budget_location_kg_per_month=budget_location_kg,
               budget_market_kg_per_month=budget_market_kg)
    console.print(f"tenant {tenant} saved")


@accounts_app.command("purchase")
@user_errors
def accounts_purchase(tenant: Annotated[str, typer.Argument(help="Tenant id.")],
                      month: Annotated[str, typer.Option("--month", help="Month, YYYY-MM.")],
                      energy_kwh: Annotated[float, typer.Option("--energy-kwh", help="Energy covered [kWh].")],
                      instrument: Annotated[str, typer.Option(help="GEC (green-electricity certificate) or PPA.")]
                      = "GEC",
                      reference: Annotated[str, typer.Option(help="Certificate or contract reference.")] = "",
                      db: DbOption = None) -> None:
    """Allocate green-electricity certificates or PPA energy to a tenant for a month (market-based)."""
    from shulu.accounts.tenants import add_purchase

    rep = add_purchase(_engine(db), tenant, month, energy_kwh, instrument=instrument, reference=reference)
    console.print("recorded" if rep.posted else "already recorded; nothing added")


@app.command("scorecard")
@user_errors
def scorecard_cmd(result_dir: Annotated[Path, typer.Argument(help="Result folder.")],
                  weights: Annotated[str | None, typer.Option(help="Index weights METRIC=W,... over the "
                                                                   "defaults.")] = None,
                  out: Annotated[Path | None, typer.Option("--out", help="Folder for scorecard-hubs.csv, "
                                                                       "scorecard-cities.csv, sites.csv.")] = None
                  ) -> None:
    """The green-digital scorecard per hub and per demand city, with scope 2 and 24/7 CFE per site."""
    from shulu.accounts.attribution import attribute
    from shulu.accounts.scorecard import parse_weights, scorecard, site_report
    from shulu.sim.result import Result

    w = parse_weights(weights)
    res = Result.load(result_dir)
    hubs, cities = scorecard(res, attribute(res), w)
    for title, df in (("Hubs", hubs), ("Demand cities", cities)):
        t = Table(title=f"Green-digital scorecard: {title.lower()}")
        t.add_column(title[:-1] if title == "Hubs" else "city")
        for c in ("rank", "index", "pue", "cue_kg_per_kwh", "green_share_frac", "heat_reuse_frac", "rack_fill_frac",
                  "carbon_per_compute"):
            t.add_column(c, justify="right")
        for name, r in df.iterrows():
            t.add_row(str(name), *("-" if pd.isna(r[c]) else f"{float(r[c]):.3g}" for c in (
                "rank", "index", "pue", "cue_kg_per_kwh", "green_share_frac", "heat_reuse_frac", "rack_fill_frac",
                "carbon_per_compute")))
        console.print(t)
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        write_table_atomic(hubs.reset_index(), out / "scorecard-hubs.csv")
        write_table_atomic(cities.reset_index(), out / "scorecard-cities.csv")
        write_table_atomic(site_report(res).reset_index(), out / "sites.csv")
        console.print(f"wrote {out}")


@app.command("serve")
@user_errors
def serve_cmd(
    scenario: Annotated[Path | None, typer.Option(help="Scenario folder to serve (default: $SHULU_SCENARIO, else "
                                                       "the built-in China network for the current year).")] = None,
    db: DbOption = None,
    policy: Annotated[str | None, typer.Option(help="Placement policy (default: $SHULU_POLICY or "
                                                    "spatio-temporal).")] = None,
    host: Annotated[str | None, typer.Option(help="Interface (default: $SHULU_HOST or 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default: $SHULU_PORT or 8000).")] = None,
) -> None:
    """Run the placement service (FastAPI on uvicorn): /v1 API, Carbon Aware SDK routes, /metrics."""
    from shulu.service.app import run
    from shulu.service.settings import Settings

    given = {"scenario": scenario, "database_url": db, "policy": policy, "host": host, "port": port}
    overrides: dict[str, Any] = {k: v for k, v in given.items() if v is not None}
    try:
        settings = Settings.model_validate(overrides)
    except Exception as exc:  # pydantic's ValidationError: bad environment or option values
        raise InputError(f"bad service settings: {exc}", field="settings") from None
    console.print(f"serving on http://{settings.host}:{settings.port} (policy {settings.policy}); "
                  f"docs at /docs")
    run(settings)



# --- real data in: carbon-intensity import, traces, forecast back-tests ----------------------------------------
def _pairs(items: list[str] | None, option: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items or []:
        if "=" not in item:
            raise InputError(f"expected SITE=ZONE, got {item!r}", field=option)
        k, v = item.split("=", 1)
        out[k.strip()] = v.strip()
    return out


@data_app.command("import")
@user_errors
def data_import(
    file: Annotated[Path, typer.Argument(help="Input file.")],
    out: Annotated[Path, typer.Option("--out", help="Tidy output table (.parquet or .csv).")],
    fmt: Annotated[str, typer.Option("--format", help="electricitymaps-csv, electricitymaps-json, watttime-json, "
                                                      "casdk-json or csv.")],
    basis: Annotated[str, typer.Option(help="Electricity Maps CSV: direct or lifecycle intensity.")] = "direct",
    unit: Annotated[str | None, typer.Option(help="casdk-json Rating unit / csv value unit (e.g. g/kWh, "
                                                  "lbs/MWh, kg/kWh).")] = None,
    time_col: Annotated[str, typer.Option("--time-col", help="csv: time column.")] = "time",
    value_col: Annotated[str, typer.Option("--value-col", help="csv: intensity column.")] = "intensity_g_per_kwh",
    zone_col: Annotated[str | None, typer.Option("--zone-col", help="csv: zone column.")] = None,
    zone: Annotated[str | None, typer.Option("--zone", help="csv: one zone for the whole file.")] = None,
    tz: Annotated[str | None, typer.Option("--tz", help="csv: time zone of naive timestamps.")] = None,
) -> None:
    """Import carbon intensity into a tidy table: time (UTC), zone, intensity_g_per_kwh and what the source has."""
    from shulu.ingest.carbon import read_carbon
    from shulu.ingest.carbon.generic import ColumnMapping
    from shulu.ingest.carbon.tidy import step_s as table_step
    from shulu.ingest.common import write_table

    mapping = ColumnMapping(time=time_col, value=value_col, zone_column=zone_col, zone=zone, unit=unit, tz=tz)
    df = read_carbon(fmt, file, basis=basis, unit=unit, mapping=mapping)
    write_table(df, out)
    step = table_step(df)
    zones = ", ".join(sorted(df["zone"].unique()))
    console.print(f"Wrote {len(df):,} values ({zones}; {df['time'].min()} .. {df['time'].max()}"
                  f"{f', every {step:g} s' if step else ''}) to {out}")


@data_app.command("fetch")
@user_errors
def data_fetch(
    zone: Annotated[str, typer.Argument(help="Zone (our name; providers map it with their 'zones').")],
    config: Annotated[Path, typer.Option("--config", help="Provider configuration (YAML).")],
    start: Annotated[str, typer.Option(help="Start, ISO 8601 with timezone.")],
    end: Annotated[str, typer.Option(help="End (exclusive), ISO 8601 with timezone.")],
    out: Annotated[Path, typer.Option("--out", help="Tidy output table (.parquet or .csv).")],
) -> None:
    """Fetch carbon intensity from the configured providers, in order, through the on-disk cache."""
    import yaml

    from shulu.ingest.carbon.providers import chain_from_config
    from shulu.ingest.common import write_table

    try:
        cfg = yaml.safe_load(config.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError("file not found", file=str(config)) from None
    except yaml.YAMLError as exc:
        raise InputError(f"malformed YAML: {exc}", file=str(config)) from None
    if not isinstance(cfg, dict):
        raise InputError("expected a mapping", file=str(config))
    try:
        chain = chain_from_config(cfg, base=config.parent)
    except InputError as exc:
        raise exc.with_file(str(config)) from None
    df = chain.fetch(zone, start, end)
    write_table(df, out)
    who = next(name for name, msg in chain.log if msg in ("ok", "cache"))
    console.print(f"Wrote {len(df):,} values for {zone} from {who} to {out}")


@data_app.command("use-intensity")
@user_errors
def data_use_intensity(
    scenario: Annotated[Path, typer.Argument(help="Scenario folder.")],
    table: Annotated[Path, typer.Argument(help="Imported carbon table (shulu data import output).")],
    site: Annotated[list[str], typer.Option("--site", help="SITE=ZONE: the site takes that zone's series "
                                                           "(repeatable).")],
    out: Annotated[Path, typer.Option("--out", help="Scenario folder to write.")],
    align: Annotated[str, typer.Option(help="exact (same instants) or year (same calendar position in the "
                                            "series' year).")] = "exact",
) -> None:
    """Write a copy of a scenario whose sites' grid intensity comes from an imported carbon table."""
    from shulu.ingest.carbon.scenario import apply_intensity

    scn = load_scenario(scenario)
    try:
        df = pd.read_parquet(table) if table.suffix == ".parquet" else pd.read_csv(table)
    except FileNotFoundError:
        raise InputError("file not found", file=str(table)) from None
    except (OSError, ValueError) as exc:
        raise InputError(f"could not read table: {exc}", file=str(table)) from None
    for col in ("time", "zone", "intensity_g_per_kwh"):
        if col not in df.columns:
            raise InputError(f"missing column {col!r}; expected a table written by 'shulu data import'",
                             file=str(table), field=col)
    df["time"] = pd.to_datetime(df["time"], utc=True, format="ISO8601")
    signals = apply_intensity(scn.signals, df, _pairs(site, "--site"), align=align, file=str(table))
    new = scn.replace(signals=signals, description=f"{scn.description} [intensity from {table.name}]".strip())
    save_scenario(new, out)
    console.print(f"Wrote scenario {new.name} with imported intensity for {', '.join(_pairs(site, '--site'))} "
                  f"to {out}")


@trace_app.command("import")
@user_errors
def trace_import(
    file: Annotated[Path, typer.Argument(help="Trace file.")],
    out: Annotated[Path, typer.Option("--out", help="Workload table (.parquet streamed; .csv in memory).")],
    fmt: Annotated[str, typer.Option("--format", help="alibaba2018, pai2020, google2019 or azure.")],
    scenario: Annotated[Path | None, typer.Option(help="Scenario folder: draw origins from its demand regions "
                                                       "by weight, start at its start, keep its horizon.")] = None,
    origin: Annotated[list[str] | None, typer.Option(help="Demand region(s) the jobs come from (repeatable; "
                                                         "default: the scenario's, else 'trace').")] = None,
    time_zero: Annotated[str | None, typer.Option("--time-zero", help="Instant trace second 0 maps to (default: "
                                                                      "the scenario's start, else the format's).")]
    = None,
    seed: Annotated[int, typer.Option(help="Seed of the origin draw.")] = 0,
    limit: Annotated[int | None, typer.Option(help="Keep at most this many jobs.")] = None,
    chunk_rows: Annotated[int, typer.Option("--chunk-rows", help="Rows read at a time.")] = 200_000,
    assumptions: Annotated[Path | None, typer.Option(help="Assumptions YAML (default: the built-in one).")] = None,
) -> None:
    """Import a public workload trace as a shulu workload table, chunk by chunk."""
    from shulu.ingest.assumptions import load_assumptions
    from shulu.ingest.traces import TRACE_FORMATS, TraceOptions, import_trace

    if fmt not in TRACE_FORMATS:
        raise InputError(f"unknown trace format {fmt!r}; expected one of {list(TRACE_FORMATS)}", field="--format")
    kw: dict[str, Any] = {"seed": seed, "limit": limit, "chunk_rows": chunk_rows,
                          "assumptions": load_assumptions(assumptions)}
    if scenario is not None:
        scn = load_scenario(scenario)
        regions = scn.network.demand_regions
        kw.update(origins=[r.id for r in regions], weights=[r.weight_frac for r in regions], start=scn.start,
                  end=scn.end, time_zero=scn.start)
    if origin:
        kw.update(origins=origin, weights=None)
    if time_zero is not None:
        kw["time_zero"] = time_zero
    with console.status(f"Importing {file} ({fmt})..."):
        report = import_trace(fmt, file, out, TraceOptions(**kw))
    console.print(f"Wrote {report.jobs:,} jobs to {out} ({report.summary()})")


forecast_app = typer.Typer(help="Forecasts: back-test the forecasters on a scenario's signals.",
                           no_args_is_help=True)
app.add_typer(forecast_app, name="forecast")


@forecast_app.command("backtest")
@user_errors
def forecast_backtest(
    scenario: Annotated[Path, typer.Argument(help="Scenario folder.")],
    out: Annotated[Path, typer.Option("--out", help="Folder for backtest.csv.")],
    var: Annotated[str, typer.Option(help="Signal to forecast.")] = "intensity_g_per_kwh",
    site: Annotated[list[str] | None, typer.Option(help="Site(s) to score (repeatable; default all).")] = None,
    models: Annotated[str, typer.Option(help="Comma-separated forecasters, NAME[:KEY=VALUE...].")]
    = "persistence,seasonal-naive,linear,gbm",
    horizon_h: Annotated[float, typer.Option("--horizon-h", help="Hours ahead [h].")] = 24.0,
    every_h: Annotated[float, typer.Option("--every-h", help="Hours between forecasts [h].")] = 24.0,
    start_h: Annotated[float, typer.Option("--start-h", help="First forecast after this many hours [h].")]
    = 28 * 24.0,
) -> None:
    """Back-test forecasters on one signal: MAPE, MAE, RMSE and pinball loss per model and site."""
    from shulu.forecast.backtest import backtest, parse_models
    from shulu.ingest.common import write_table

    scn = load_scenario(scenario)
    if var not in scn.signals.frames:
        raise InputError(f"no signal {var!r} in this scenario; it has {list(scn.signals.frames)}", field="--var")
    frame = scn.signals[var]
    sites = site or scn.signals.sites
    unknown = [s for s in sites if s not in scn.signals.sites]
    if unknown:
        raise InputError(f"unknown site {unknown[0]!r}; expected one of {scn.signals.sites}", field="--site")
    forecasters = parse_models(models)
    with console.status(f"Back-testing {', '.join(forecasters)} on {var}..."):
        df = backtest(frame[sites].to_numpy(dtype=np.float64), forecasters, step_s=scn.step_s, sites=sites,
                      var=var, horizon_h=horizon_h, every_h=every_h, start_h=start_h)
    path = write_table(df, out / "backtest.csv")
    t = Table(title=f"{scn.name}: {var}, {horizon_h:g} h ahead (all sites)")
    for col in ("model", "MAPE", "nMAE", "MAE", "RMSE", "pinball (mean)", "80% band"):
        t.add_column(col, justify="left" if col == "model" else "right")
    for _, row in df[df["site"] == "all"].iterrows():
        t.add_row(str(row["model"]), f"{row['mape_frac']:.1%}", f"{row['nmae_frac']:.1%}", f"{row['mae']:.4g}",
                  f"{row['rmse']:.4g}", f"{row['pinball_mean']:.4g}", f"{row['coverage_80_frac']:.0%}")
    console.print(t)
    console.print(f"Wrote {path}")

@app.command("report")
@user_errors
def report_cmd(folder: Annotated[Path, typer.Argument(help="A result folder or a comparison folder.")],
               out: Annotated[Path, typer.Option("--out", help="HTML file to write.")] = Path("report.html")) -> None:
    """One standalone HTML report (map, supply, intensity, policies, waits, scorecard, accounts) + PNG figures."""
    from rich.progress import Progress

    from shulu.report.html import write_report

    steps = ["map", "supply", "intensity", "policies", "waits", "scorecard", "accounts"]
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("report", total=len(steps))
        path, pngs = write_report(folder, out, progress=lambda _name: progress.advance(task))
    console.print(f"wrote {path.resolve()} and {len(pngs)} PNG figures in {pngs[0].parent if pngs else '-'}")



# --- planning --------------------------------------------------------------------------------------------------
@app.command("plan")
@user_errors
def plan_cmd(
    scenario: Annotated[Path, typer.Argument(help="Scenario folder (today's network, signals and workload).")],
    out: Annotated[Path, typer.Option("--out", help="Folder for plan.csv, transmission.csv, summary.json and "
                                                    "scenario/.")],
    demand_growth: Annotated[float, typer.Option("--demand-growth", help="Demand growth as a fraction "
                                                                         "(1.0 doubles it).")] = 0.0,
    green_share_min: Annotated[float, typer.Option("--green-share-min", help="Hourly carbon-free share each "
                                                                             "site must reach, 0..1.")] = 0.8,
    carbon_price: Annotated[float | None, typer.Option("--carbon-price", help="Carbon price [CNY/tCO2] "
                                                                              "(default: plan_costs.yaml).")] = None,
    days: Annotated[int, typer.Option(help="Representative days (clusters; peak days are added).")] = 12,
    full_year: Annotated[bool, typer.Option("--full-year", help="Plan every hour instead of representative "
                                                                "days (slow on a national year).")] = False,
    green_scope: Annotated[str, typer.Option("--green-scope", help="site (every site) or network.")] = "site",
    lines: Annotated[str, typer.Option(help="UHV lines the plan may contract: all, named or none.")] = "all",
    costs: Annotated[Path | None, typer.Option("--costs", help="YAML overriding plan_costs.yaml.")] = None,
    pairs: Annotated[bool, typer.Option("--pairs/--no-pairs", help="Compare move-bits vs move-electrons per "
                                                                   "hub pair (transmission.csv).")] = True,
    check: Annotated[bool, typer.Option("--check/--no-check", help="Simulate the plan in the twin and today's "
                                                                   "network with local; report the promises.")]
    = True,
    calibrate: Annotated[bool, typer.Option("--calibrate/--no-calibrate", help="With representative days, check "
                                                                               "the design on every hour and raise "
                                                                               "the margin of sites short there.")]
    = True,
    rescale: Annotated[str, typer.Option("--rescale", help="How representative days keep the energy: all (every "
                                                           "chosen day, conservative) or medoids (peak days kept "
                                                           "real).")] = "all",
    method: Annotated[str, typer.Option("--method", help="auto (Benders decomposition for big models such as a "
                                                         "full national year), lp (one LP) or benders.")] = "auto",
    gap: Annotated[float, typer.Option("--gap", help="Relative gap at which Benders stops.")] = 1e-3,
    time_limit: Annotated[float, typer.Option("--time-limit", help="Limit per solve [s].")] = 3600.0,
) -> None:
    """Plan where to build and how much sun, wind and storage to bring; check the plan in the twin."""
    from shulu.plan.output import write_plan
    from shulu.plan.run import run_plan

    if green_scope not in ("site", "network"):
        raise InputError(f"expected 'site' or 'network', got {green_scope!r}", field="--green-scope")
    scn = load_scenario(scenario)
    with console.status(f"Planning {scn.name} ({'every hour' if full_year else f'{days} representative days'})"
                        "..."):
        run = run_plan(scn, demand_growth_frac=demand_growth, green_share_min_frac=green_share_min,
                       carbon_price_cny_per_t=carbon_price, days=None if full_year else days,
                       green_scope=green_scope, lines=lines, costs_file=costs, pairs=pairs,  # type: ignore[arg-type]
                       twin_check=check, calibrate=calibrate, rescale=rescale, method=method, gap_frac=gap,
                       time_limit_s=time_limit)
        write_plan(out, run.plan, run.scenario, summary=run.summary, transmission=run.transmission)
    console.print(plan_table(run.plan.design, f"Plan for {scn.name}: demand x{1 + demand_growth:g}, green share "
                                              f">= {green_share_min:g} per {green_scope}"))
    tot = run.plan.totals
    console.print(f"Annual cost {tot['objective_cny_per_year'] / 1e6:,.3f} M CNY (capital "
                  f"{tot['capital_cny_per_year'] / 1e6:,.3f}, grid {tot['grid_cost_cny_per_year'] / 1e6:,.3f}, "
                  f"lines {tot['line_cost_cny_per_year'] / 1e6:,.3f}); emissions "
                  f"{tot['emissions_operational_kg_per_year'] / 1e3:,.1f} t operational + "
                  f"{tot['embodied_added_kg_per_year'] / 1e3:,.1f} t embodied per year; model "
                  f"{run.plan.n_variables:,} variables, built in {run.plan.build_s:.2f} s, solved in "
                  f"{run.plan.solve_s:.2f} s")
    if run.transmission is not None and len(run.transmission):
        tr = run.transmission
        console.print(f"Move bits or electrons ({len(tr)} hub pairs): bits cheaper for "
                      f"{int((tr['winner_cost'] == 'bits').sum())}, lower-carbon for "
                      f"{int((tr['winner_carbon'] == 'bits').sum())} (transmission.csv)")
    if run.check is not None:
        c = run.check
        ok = c["green_share_ok"] and c["latency_ok"]
        console.print(f"Twin check: green share {'[green]met[/]' if c['green_share_ok'] else '[red]missed[/]'} "
                      f"(network {c['twin_green_share_network_frac']:.1%}, lowest site "
                      f"{min(c['twin_green_share_by_site'].values()):.1%}, promised {green_share_min:.0%} per "
                      f"{green_scope}); latency violations {c['latency_violations']}; late jobs {c['jobs_late']}. "
                      f"Today (local): {c['today']['location_kg_per_mwh_jobs']:,.0f} kg/MWh of jobs, "
                      f"CFE {c['today']['cfe_frac']:.1%}; planned: {c['planned']['location_kg_per_mwh_jobs']:,.0f} "
                      f"kg/MWh, CFE {c['planned']['cfe_frac']:.1%}.")
        if not ok:
            err_console.print("[yellow]warning:[/] the twin did not meet every promise of the plan (summary.json)")
    console.print(f"Wrote {out} (run the plan: shulu simulate {out / 'scenario'} --policy planned --out RUN)")


def plan_table(design: pd.DataFrame, title: str) -> Table:
    """Per-site additions of a plan."""
    t = Table(title=title)
    for col in ("site", "role", "IT +kW", "solar +kW", "wind +kW", "battery +kWh", "battery +kW", "util",
                "green"):
        t.add_column(col, justify="left" if col in ("site", "role") else "right")
    for sid, r in design.iterrows():
        t.add_row(str(sid), str(r["role"]), f"{r['it_added_kw']:,.0f}", f"{r['solar_added_kw']:,.0f}",
                  f"{r['wind_added_kw']:,.0f}", f"{r['battery_added_kwh']:,.0f}", f"{r['battery_added_kw']:,.0f}",
                  f"{r['mean_util_frac']:.0%}", f"{r['green_share_frac']:.1%}")
    return t


@app.command("cfe")
@user_errors
def cfe_cmd(
    scenario: Annotated[Path, typer.Argument(help="Scenario folder.")],
    site: Annotated[str, typer.Option("--site", help="Site id to size.")],
    out: Annotated[Path, typer.Option("--out", help="CSV file for the cost-vs-CFE curve.")],
    targets: Annotated[str, typer.Option(help="Comma-separated CFE targets, 0..1.")]
    = "0,0.3,0.5,0.6,0.7,0.8,0.9,0.95,0.99",
    days: Annotated[int, typer.Option(help="Representative days (0 = every hour).")] = 12,
    carbon_price: Annotated[float | None, typer.Option("--carbon-price", help="Carbon price [CNY/tCO2].")]
    = None,
) -> None:
    """24/7 carbon-free energy for one site: least-cost solar, wind and battery per CFE target (Pareto curve)."""
    from shulu.plan.cfe import pareto, site_inputs_from_scenario
    from shulu.plan.costs import load_costs
    from shulu.plan.reduce import representative_days

    try:
        tgt = [float(x) for x in targets.split(",") if x.strip()]
    except ValueError:
        raise InputError(f"expected comma-separated numbers, got {targets!r}", field="--targets") from None
    bad = [x for x in tgt if not 0.0 <= x <= 1.0]
    if not tgt or bad:
        raise InputError(f"expected CFE targets between 0 and 1, got {bad or targets!r}", field="--targets")
    costs = load_costs()
    if carbon_price is not None:
        if carbon_price < 0:
            raise InputError(f"expected a carbon price >= 0, got {carbon_price}", field="--carbon-price")
        costs = costs.replace(carbon_price_cny_per_t=carbon_price)
    scn = load_scenario(scenario)
    inp = site_inputs_from_scenario(scn, site, costs)
    if days:
        inp, _ = representative_days(inp, days)
    with console.status(f"Sizing {site} for {len(tgt)} CFE targets..."):
        df = pareto(inp, costs, tgt)
    write_table_atomic(df, out if out.suffix in (".csv", ".parquet") else out.with_suffix(".csv"))
    t = Table(title=f"24/7 CFE at {site}: least cost per target")
    for col in ("target", "CFE", "cost [kCNY/yr]", "solar +kW", "wind +kW", "battery +kWh", "grid CO2 [t/yr]"):
        t.add_column(col, justify="right")
    for _, r in df.iterrows():
        t.add_row(f"{r['target_frac']:.0%}", f"{r['cfe_frac']:.1%}", f"{r['cost_cny_per_year'] / 1e3:,.1f}",
                  f"{r['solar_added_kw']:,.0f}", f"{r['wind_added_kw']:,.0f}", f"{r['battery_added_kwh']:,.0f}",
                  f"{r['emissions_operational_kg_per_year'] / 1e3:,.1f}")
    console.print(t)
    console.print(f"Wrote {out}")


def main() -> None:
    """Entry point of the ``shulu`` script."""
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
