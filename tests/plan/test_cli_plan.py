"""`shulu plan` and `shulu cfe` from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from factories import make_scenario
from shulu.cli import app
from shulu.io import save_scenario

runner = CliRunner()


def test_plan_command(tmp_path: Path) -> None:
    scn_dir = save_scenario(make_scenario(hours=48, n_jobs=40), tmp_path / "scn")
    out = tmp_path / "plan"
    r = runner.invoke(app, ["plan", str(scn_dir), "--out", str(out), "--demand-growth", "0.5",
                            "--green-share-min", "0.6", "--carbon-price", "150", "--days", "1",
                            "--rescale", "medoids"])
    assert r.exit_code == 0, r.output
    assert "Twin check" in r.output
    r = runner.invoke(app, ["plan", str(scn_dir), "--out", str(tmp_path / "bad"), "--days", "1", "--rescale", "peaks"])
    assert r.exit_code == 2 and "rescale" in r.output and "Traceback" not in r.output
    assert not (tmp_path / "bad" / "plan.csv").exists()
    for name in ("plan.csv", "transmission.csv", "summary.json", "scenario/scenario.yaml"):
        assert (out / name).exists()
    summary = json.loads((out / "summary.json").read_text())
    assert summary["options"]["carbon_price_cny_per_t"] == 150
    assert summary["options"]["rescale"] == "medoids"
    assert summary["twin_check"]["latency_ok"] is True
    assert len(pd.read_csv(out / "transmission.csv")) == 1
    r = runner.invoke(app, ["simulate", str(out / "scenario"), "--policy", "planned", "--out", str(tmp_path / "run")])
    assert r.exit_code == 0, r.output


def test_plan_bad_input_exits_2(tmp_path: Path) -> None:
    scn_dir = save_scenario(make_scenario(hours=24, n_jobs=10), tmp_path / "scn")
    for args, msg in ((["--green-share-min", "1.5"], "between 0 and 1"), (["--green-scope", "moon"], "network"),
                      (["--demand-growth", "-2"], "demand growth"), (["--carbon-price", "-1"], "carbon price"),
                      (["--method", "simplex"], "method"), (["--gap", "0"], "gap"),
                      (["--method", "benders", "--green-scope", "network"], "green share per site")):
        r = runner.invoke(app, ["plan", str(scn_dir), "--out", str(tmp_path / "p"), "--no-check", "--no-pairs",
                                "--full-year", *args])
        assert r.exit_code == 2, r.output
        assert msg in r.output and "Traceback" not in r.output


def test_plan_full_year_by_benders(tmp_path: Path) -> None:
    """--method benders gives the LP's plan (same annual cost within the gap) and records the decomposition."""
    scn_dir = save_scenario(make_scenario(hours=48, n_jobs=40), tmp_path / "scn")
    costs = {}
    for method in ("lp", "benders"):
        out = tmp_path / method
        r = runner.invoke(app, ["plan", str(scn_dir), "--out", str(out), "--demand-growth", "0.5", "--full-year",
                                "--green-share-min", "0.6", "--no-check", "--no-pairs", "--method", method,
                                "--gap", "1e-5"])
        assert r.exit_code == 0, r.output
        summary = json.loads((out / "summary.json").read_text())
        assert summary["options"]["method"] == method
        costs[method] = summary["totals"]["objective_cny_per_year"]
    bd = json.loads((tmp_path / "benders" / "summary.json").read_text())["model"]["benders"]
    assert bd["status"] == "optimal" and bd["gap_frac"] <= 1e-5 and bd["lower_bound"] <= costs["lp"] * (1 + 1e-9)
    assert costs["lp"] <= costs["benders"] * (1 + 1e-9) <= costs["lp"] * (1 + 1e-5) + 1e-6


def test_cfe_command(tmp_path: Path) -> None:
    scn_dir = save_scenario(make_scenario(hours=48, n_jobs=20), tmp_path / "scn")
    out = tmp_path / "cfe.csv"
    r = runner.invoke(app, ["cfe", str(scn_dir), "--site", "s1", "--out", str(out), "--targets", "0,0.5,0.9",
                            "--days", "0"])
    assert r.exit_code == 0, r.output
    df = pd.read_csv(out)
    assert list(df["target_frac"]) == [0.0, 0.5, 0.9]
    r = runner.invoke(app, ["cfe", str(scn_dir), "--site", "nope", "--out", str(out)])
    assert r.exit_code == 2 and "unknown site" in r.output
    r = runner.invoke(app, ["cfe", str(scn_dir), "--site", "s1", "--out", str(out), "--targets", "2"])
    assert r.exit_code == 2
