"""The plan as a scenario the twin runs, and the twin's check of the plan's promises."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from shulu.errors import InputError
from shulu.io import load_scenario
from shulu.model import Scenario
from shulu.plan.output import grow_workload, write_plan
from shulu.plan.run import run_plan
from shulu.policies.planned import assign_sites
from shulu.runner import simulate
from shulu.sim.engine import make_context


@pytest.fixture(scope="module")
def planned_run(china_fortnight: Scenario):  # type: ignore[no-untyped-def]
    return run_plan(china_fortnight, demand_growth_frac=0.5, green_share_min_frac=0.6, days=None, lines="named",
                    pairs=False, twin_check=True)


def test_twin_meets_the_promises(planned_run) -> None:  # type: ignore[no-untyped-def]
    c = planned_run.check
    assert c["latency_ok"] and c["latency_violations"] == 0
    assert c["green_share_ok"], c["twin_green_share_by_site"]
    assert min(c["twin_green_share_by_site"].values()) >= 0.6 - c["tolerance_frac"]
    # the plan is greener per MWh of work than today's network under `local`
    assert c["planned"]["location_kg_per_mwh_jobs"] < c["today"]["location_kg_per_mwh_jobs"]


def test_planned_scenario_carries_the_plan(planned_run, china_fortnight: Scenario) -> None:  # type: ignore[no-untyped-def]
    scn = planned_run.scenario
    d = planned_run.plan.design
    for s in scn.network.sites:
        assert s.it_capacity_kw == pytest.approx(d.loc[s.id, "it_total_kw"])
        assert s.supply.solar_kw == pytest.approx(d.loc[s.id, "solar_total_kw"])
        assert s.pue_design <= (1.25 if s.role == "east" else 1.2) + 1e-12
    # demand grown by half: 1.5 x the jobs, the same mix
    assert len(scn.workload) == pytest.approx(1.5 * len(china_fortnight.workload), rel=0.1)
    alloc = pd.DataFrame(scn.settings["plan"]["allocation"])
    sums = alloc.groupby(["region", "cls"])["share_frac"].sum()
    np.testing.assert_allclose(sums.to_numpy(), 1.0, atol=1e-6)  # every (region, class) fully served
    lat = china_fortnight.network.latency_matrix_ms()
    limit = alloc["cls"].str.extract(r"-([0-9.]+)ms$")[0].astype(float)
    used = np.array([lat.loc[r, site] for r, site in zip(alloc["region"], alloc["site"], strict=True)])
    assert (used <= limit.to_numpy()).all()  # never beyond a class's latency limit


def test_plan_folder_round_trip(planned_run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = write_plan(tmp_path / "plan", planned_run.plan, planned_run.scenario, summary=planned_run.summary)
    for name in ("plan.csv", "allocation.csv", "lines.csv", "summary.json", "scenario/scenario.yaml"):
        assert (out / name).exists()
    summary = json.loads((out / "summary.json").read_text())
    assert summary["twin_check"]["green_share_ok"] is True
    assert {c["name"] for c in summary["constants"]} >= {"solar_capex_cny_per_kw"}
    back = load_scenario(out / "scenario")
    assert back.settings["plan"]["policy"] == "planned"
    res = simulate(back, "planned")
    assert res.summary["latency_violations"] == 0
    plan_csv = pd.read_csv(out / "plan.csv", index_col="site")
    assert (plan_csv["it_total_kw"] >= plan_csv["it_today_kw"] - 1e-9).all()


def test_assign_sites_follows_shares_by_energy(china_fortnight: Scenario) -> None:
    ctx = make_context(china_fortnight)
    f = china_fortnight.workload.frame
    region, cls = "shanghai", "cold-1000ms"
    alloc = [{"region": region, "cls": cls, "site": "zhongwei", "share_frac": 0.7},
             {"region": region, "cls": cls, "site": "guian", "share_frac": 0.3}]
    site = assign_sites(ctx, alloc, seed=0)
    mine = ((f["origin"] == region) & (f["job_class"].astype(str) == "cold")).to_numpy()
    e = (f["power_kw"] * f["duration_s"]).to_numpy()
    at = np.array(ctx.site_ids)[site[mine]]
    share = e[mine][at == "zhongwei"].sum() / e[mine].sum()
    assert share == pytest.approx(0.7, abs=0.15)  # one job's granularity
    assert (site[~mine] == -1).all()
    with pytest.raises(InputError, match="allocation"):
        assign_sites(ctx, [{"region": region, "cls": cls, "site": "atlantis", "share_frac": 1.0}], seed=0)


def test_grow_workload(china_fortnight: Scenario) -> None:
    wl = china_fortnight.workload
    assert len(grow_workload(wl, 2.0, seed=1)) == 2 * len(wl)
    g = grow_workload(wl, 1.5, seed=1)
    assert g.frame["job_id"].is_unique
    with pytest.raises(InputError, match="demand"):
        grow_workload(wl, 0.0, seed=1)
