"""The command line as a user runs it: exit codes, clear errors, no tracebacks."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from shulu.cli import app
from shulu.io import save_scenario
from shulu.model import Scenario

runner = CliRunner()


def run(*args: str) -> tuple[int, str]:
    res = runner.invoke(app, list(args))
    return res.exit_code, res.output + (res.stderr if res.stderr_bytes is not None else "")


@pytest.fixture
def folder(tmp_path: Path, scenario_factory: Callable[..., Scenario]) -> Path:
    return save_scenario(scenario_factory(n_jobs=5), tmp_path / "scn")


def test_help_lists_commands() -> None:
    code, out = run("--help")
    assert code == 0
    for cmd in ("data", "trace", "validate", "info", "simulate"):
        assert cmd in out


def test_validate_ok(folder: Path) -> None:
    code, out = run("validate", str(folder))
    assert code == 0 and "ok" in out and "2 sites" in out


def test_validate_bad_input_exit_2_no_traceback(folder: Path) -> None:
    path = folder / "scenario.yaml"
    data = yaml.safe_load(path.read_text())
    data["sites"][0]["it_capacity_kw"] = -1
    path.write_text(yaml.safe_dump(data))
    code, out = run("validate", str(folder))
    assert code == 2
    assert "sites[0].it_capacity_kw" in out and "scenario.yaml" in out
    assert "Traceback" not in out


def test_validate_missing_folder(tmp_path: Path) -> None:
    code, out = run("validate", str(tmp_path / "nope"))
    assert code == 2 and "scenario.yaml" in out and "Traceback" not in out


def test_info_prints_sites_and_workload(folder: Path) -> None:
    code, out = run("info", str(folder))
    assert code == 0
    assert "s0" in out and "s1" in out and "Workload" in out


def test_simulate_writes_output_contract(folder: Path, tmp_path: Path) -> None:
    out_dir = tmp_path / "run"
    code, out = run("simulate", str(folder), "--policy", "local", "--out", str(out_dir))
    assert code == 0, out
    summary = json.loads((out_dir / "summary.json").read_text())
    for key in ("emissions_location_kg", "emissions_market_kg", "energy_it_kwh", "energy_facility_kwh",
                "grid_import_kwh", "renewable_used_kwh", "curtailed_kwh", "heat_recovered_kwh", "cost_cny",
                "jobs_total", "jobs_late", "latency_violations", "mean_wait_s", "p95_wait_s", "cfe_frac", "wall_s"):
        assert key in summary
    assert summary["jobs_total"] == 5
    prov = json.loads((out_dir / "provenance.json").read_text())
    for key in ("scenario_hash", "policy", "policy_params", "seed", "shulu_version", "wall_s"):
        assert key in prov
    assert len(pd.read_parquet(out_dir / "jobs.parquet")) == 5
    assert len(pd.read_parquet(out_dir / "sites.parquet")) == 24 * 2


def test_simulate_unknown_policy(folder: Path, tmp_path: Path) -> None:
    code, out = run("simulate", str(folder), "--policy", "teleport", "--out", str(tmp_path / "x"))
    assert code == 2 and "unknown policy 'teleport'" in out and "local" in out
    assert not (tmp_path / "x").exists()


def test_data_china_and_trace_synth(tmp_path: Path) -> None:
    out = tmp_path / "china"
    code, text = run("data", "china", "--jobs", "300", "--seed", "3", "--out", str(out))
    assert code == 0, text
    assert (out / "scenario.yaml").exists() and (out / "signals.parquet").exists()
    code, text = run("trace", "synth", "--scenario", str(out), "--jobs", "1234", "--seed", "9",
                     "--out", str(tmp_path / "jobs.csv"))
    assert code == 0, text
    jobs = pd.read_csv(tmp_path / "jobs.csv")
    assert len(jobs) == 1234 and set(jobs["origin"]) <= {"beijing", "shanghai", "guangzhou-shenzhen", "chengdu",
                                                        "chongqing-city", "hangzhou", "wuhan", "xian"}
    code, text = run("trace", "synth", "--scenario", str(out), "--jobs", "5", "--out", str(tmp_path / "jobs.txt"))
    assert code == 2 and ".parquet or .csv" in text
    assert not (tmp_path / "jobs.txt").exists()


def test_data_microgrid(tmp_path: Path) -> None:
    code, text = run("data", "microgrid", "--days", "2", "--out", str(tmp_path / "mg"))
    assert code == 0 and "576 steps" in text
    code, text = run("simulate", str(tmp_path / "mg"), "--out", str(tmp_path / "run"), "--dispatch", "carbon-aware")
    assert code == 0, text


def test_bad_year(tmp_path: Path) -> None:
    code, text = run("data", "china", "--year", "1850", "--out", str(tmp_path / "x"))
    assert code == 2 and "year" in text and not (tmp_path / "x").exists()
