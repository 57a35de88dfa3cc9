"""Tenant carbon accounts on the ledger: posting results, green purchases, budgets, balances and statements.

Figures by tenant and month:

* **Scope 2, location-based** — the grid intensity of the energy attributed to the tenant's jobs;
* **Scope 2, market-based** — as the sites report it (their own green purchases), then the tenant's own
  certificates and PPAs (``purchase`` entries) applied pro rata to the tenant's consumption that month:
  ``market_after = market x max(0, 1 - certificate_kwh / energy_kwh)``. Location- and market-based are shown side by
  side and never added;
* **SCI** (ISO/IEC 21031) — ``(E x I + M) / R`` with location-based operational emissions and gross embodied carbon;
  certificates and recycling credits never lower it. ``R`` is one job, one GPU-hour over the GPU jobs, or one
  request over the jobs that count requests (the workload's optional ``requests`` column);
* **embodied** carbon gross and net of the end-of-life recycling credit (gross always shown).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from shulu.accounts.attribution import Attribution, attribute
from shulu.accounts.ledger import ENTRY_VALUES, LATER_VALUES, PostReport, post_entries, read_entries, tenants_table
from shulu.errors import InputError
from shulu.sim.result import Result

#: Budget use at which a warning is raised [fraction of the budget].
WARN_AT_FRAC = 0.8
_MONTH = r"^\d{4}-(0[1-9]|1[0-2])$"


def check_month(month: str) -> str:
    """``YYYY-MM`` or an :class:`InputError`."""
    if not pd.Series([month]).str.match(_MONTH).iloc[0]:
        raise InputError(f"expected a month as YYYY-MM, got {month!r}", field="--month")
    return month


def entries_from_attribution(att: Attribution) -> list[dict[str, Any]]:
    """Ledger entries: one per job that holds any energy, one per site with an unallocated remainder."""
    j = att.jobs
    keep = (j["energy_kwh"].to_numpy() > 0) | (j["embodied_kg"].to_numpy() > 0)
    j = j.loc[keep]
    values = [k for k, _ in (*ENTRY_VALUES, *LATER_VALUES) if k in j.columns]
    frame = pd.DataFrame({"kind": "job", "tenant": j["tenant"].astype(str), "month": j["month"].astype(str),
                          "job_id": j["job_id"].astype(str), "site": j["site"].astype(str),
                          "origin": j["origin"].astype(str), "job_class": j["job_class"].astype(str),
                          "reference": ""})
    for k in values:
        frame[k] = j[k].to_numpy(np.float64)
    out: list[dict[str, Any]] = [{str(k): v for k, v in r.items()} for r in frame.to_dict("records")]
    month = str(att.jobs["month"].min()) if len(att.jobs) else ""
    for site, row in att.unallocated.iterrows():
        if float(row["energy_kwh"]) > 0 or float(row["embodied_idle_kg"]) > 0:
            out.append({"kind": "unallocated", "tenant": "_unallocated", "month": month, "site": str(site),
                        "energy_kwh": float(row["energy_kwh"]),
                        "emissions_location_kg": float(row["emissions_location_kg"]),
                        "emissions_market_kg": float(row["emissions_market_kg"]), "cost_cny": float(row["cost_cny"]),
                        "cfe_kwh": float(row["cfe_kwh"]), "grid_import_kwh": float(row["grid_import_kwh"]),
                        "embodied_kg": float(row["embodied_idle_kg"] + row["embodied_battery_kg"])})
    return out


def post_result(engine: Engine, result: Result | str | os.PathLike[str]) -> PostReport:
    """Attribute a result and post it; posting the same result again adds nothing. Budget warnings attached."""
    source = str(result) if not isinstance(result, Result) else str(result.provenance.get("scenario", ""))
    res = result if isinstance(result, Result) else Result.load(result)
    att = attribute(res)
    att.check()
    report = post_entries(engine, entries_from_attribution(att), source=source)
    if report.posted:
        for tenant in sorted(set(att.jobs["tenant"].astype(str))):
            report.warnings += budget_warnings(engine, tenant)
    return report


def set_tenant(engine: Engine, tenant: str, *, name: str = "", budget_location_kg_per_month: float | None = None,
               budget_market_kg_per_month: float | None = None) -> None:
    """Create or update a tenant and its monthly budgets [kgCO2] (None: no budget)."""
    for label, v in (("budget_location_kg_per_month", budget_location_kg_per_month),
                     ("budget_market_kg_per_month", budget_market_kg_per_month)):
        if v is not None and not v >= 0:
            raise InputError(f"{label} must be >= 0, got {v}", field=label)
    values = {"name": name, "budget_location_kg_per_month": budget_location_kg_per_month,
              "budget_market_kg_per_month": budget_market_kg_per_month}
    with engine.begin() as conn:
        if conn.execute(sa.select(tenants_table.c.id).where(tenants_table.c.id == tenant)).first():
            conn.execute(tenants_table.update().where(tenants_table.c.id == tenant).values(**values))
        else:
            conn.execute(tenants_table.insert().values(id=tenant, **values))


def add_purchase(engine: Engine, tenant: str, month: str, energy_kwh: float, *, instrument: str = "GEC",
                 reference: str = "") -> PostReport:
    """Record green-electricity certificates or PPA energy allocated to a tenant for a month [kWh]."""
    check_month(month)
    if not energy_kwh > 0:
        raise InputError(f"a purchase needs energy_kwh > 0, got {energy_kwh}", field="energy_kwh")
    ref = f"{instrument}:{reference}" if reference else instrument
    return post_entries(engine, [{"kind": "purchase", "tenant": tenant, "month": month, "reference": ref,
                                  "certificate_kwh": energy_kwh}], source=f"purchase {tenant} {month} {ref}")


def _summarise(e: pd.DataFrame) -> dict[str, float]:
    jobs = e[e["kind"] == "job"]
    gpu = jobs[jobs["gpu_hours"] > 0]
    energy = float(jobs["energy_kwh"].sum())
    cert = float(e.loc[e["kind"] == "purchase", "certificate_kwh"].sum())
    market = float(jobs["emissions_market_kg"].sum())
    covered = min(1.0, cert / energy) if energy > 0 else 0.0
    loc = float(jobs["emissions_location_kg"].sum())
    emb = float(jobs["embodied_kg"].sum())
    n = len(jobs)
    gpu_h = float(gpu["gpu_hours"].sum())
    served = jobs[jobs["requests"] > 0] if "requests" in jobs else jobs.iloc[0:0]
    n_req = float(served["requests"].sum()) if len(served) else 0.0
    return {
        "jobs": float(n), "energy_it_kwh": float(jobs["energy_it_kwh"].sum()), "energy_kwh": energy,
        "emissions_location_kg": loc, "emissions_market_site_kg": market,
        "certificate_kwh": cert, "emissions_market_kg": market * (1.0 - covered),
        "embodied_kg": emb, "embodied_net_kg": float(jobs["embodied_net_kg"].sum()),
        "transfer_emissions_kg": float(jobs["transfer_emissions_kg"].sum()),
        "cost_cny": float(jobs["cost_cny"].sum()), "cfe_frac": float(jobs["cfe_kwh"].sum()) / energy if energy else 0.0,
        "gpu_hours": gpu_h,
        "sci_kg_per_job": (loc + emb) / n if n else float("nan"),
        "sci_kg_per_gpu_hour": float(gpu["emissions_location_kg"].sum() + gpu["embodied_kg"].sum()) / gpu_h
        if gpu_h > 0 else float("nan"),
        "requests": n_req,
        "sci_kg_per_request": float(served["emissions_location_kg"].sum() + served["embodied_kg"].sum()) / n_req
        if n_req > 0 else float("nan"),
    }


def tenant_info(engine: Engine, tenant: str) -> dict[str, Any] | None:
    """The tenant's row (name, budgets), or None."""
    with engine.connect() as conn:
        row = conn.execute(sa.select(tenants_table).where(tenants_table.c.id == tenant)).mappings().first()
    return dict(row) if row else None


def balances(engine: Engine, tenant: str) -> pd.DataFrame:
    """One row per month: the tenant's figures (see the module docstring) and budget use."""
    e = read_entries(engine, tenant=tenant)
    if e.empty:
        raise InputError(f"no ledger entries for tenant {tenant!r}", field="tenant")
    info = tenant_info(engine, tenant) or {}
    rows = []
    for month, g in e.groupby("month", sort=True):
        r: dict[str, Any] = {"month": month, **_summarise(g)}
        for kind in ("location", "market"):
            budget = info.get(f"budget_{kind}_kg_per_month")
            r[f"budget_{kind}_kg"] = budget if budget is not None else float("nan")
            used = r[f"emissions_{kind}_kg"] / budget if budget else float("nan")
            r[f"budget_{kind}_used_frac"] = used
        rows.append(r)
    return pd.DataFrame(rows)


def budget_warnings(engine: Engine, tenant: str) -> list[str]:
    """A message for every month where the tenant has used >= 80% (warning) or > 100% (exceeded) of a budget."""
    try:
        b = balances(engine, tenant)
    except InputError:
        return []
    out = []
    for _, r in b.iterrows():
        for kind in ("location", "market"):
            used = r[f"budget_{kind}_used_frac"]
            if used == used and used >= WARN_AT_FRAC:
                level = "exceeded" if used > 1.0 else "warning"
                out.append(f"{level}: tenant {tenant} {r['month']} {kind}-based emissions "
                           f"{r[f'emissions_{kind}_kg']:,.1f} kg = {100 * used:.0f}% of its "
                           f"{r[f'budget_{kind}_kg']:,.1f} kg budget")
    return out


def statement(engine: Engine, tenant: str, month: str) -> dict[str, Any]:
    """A monthly statement: totals, per-site lines, budget status and the ledger head it was drawn from."""
    check_month(month)
    e = read_entries(engine, tenant=tenant, month=month)
    if e.empty:
        raise InputError(f"no ledger entries for tenant {tenant!r} in {month}", field="--month")
    jobs = e[e["kind"] == "job"]
    by_site = []
    for site, g in jobs.groupby("site", sort=True):
        by_site.append({"site": site, "jobs": len(g), "energy_kwh": float(g["energy_kwh"].sum()),
                        "emissions_location_kg": float(g["emissions_location_kg"].sum()),
                        "emissions_market_site_kg": float(g["emissions_market_kg"].sum()),
                        "embodied_kg": float(g["embodied_kg"].sum()), "cost_cny": float(g["cost_cny"].sum())})
    from shulu.accounts.ledger import verify

    v = verify(engine)
    bal = balances(engine, tenant)
    row = {str(k): v for k, v in bal[bal["month"] == month].iloc[0].to_dict().items()}
    return {"tenant": tenant, "month": month, "totals": _summarise(e), "sites": by_site,
            "budget": {k: row[k] for k in row if k.startswith("budget_")},
            "warnings": [w for w in budget_warnings(engine, tenant) if f" {month} " in w],
            "ledger": {"first_seq": int(e["seq"].min()), "last_seq": int(e["seq"].max()),
                       "head_seq": v.head_seq, "head_hash": v.head_hash, "verified": v.ok},
            "method": "GHG Protocol scope 2: location- and market-based shown side by side, never summed; "
                      "SCI per ISO/IEC 21031 (location-based, gross embodied; certificates do not lower it)."}


def write_statement(st: dict[str, Any], folder: str | os.PathLike[str]) -> tuple[Path, Path]:
    """Write ``statement-TENANT-YYYY-MM.json`` and ``.csv`` (per-site lines + a total row) atomically."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"statement-{st['tenant']}-{st['month']}"
    lines = pd.DataFrame(st["sites"])
    total = {"site": "TOTAL", "jobs": st["totals"]["jobs"], "energy_kwh": st["totals"]["energy_kwh"],
             "emissions_location_kg": st["totals"]["emissions_location_kg"],
             "emissions_market_site_kg": st["totals"]["emissions_market_site_kg"],
             "embodied_kg": st["totals"]["embodied_kg"], "cost_cny": st["totals"]["cost_cny"]}
    lines = pd.concat([lines, pd.DataFrame([total])], ignore_index=True)
    paths = []
    for suffix, text in ((".json", json.dumps(st, indent=2, default=float) + "\n"),
                         (".csv", lines.to_csv(index=False, float_format="%.6g"))):
        fd, tmp = tempfile.mkstemp(prefix=".stmt.", dir=folder)
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
        os.replace(tmp, folder / (stem + suffix))
        paths.append(folder / (stem + suffix))
    return paths[0], paths[1]
