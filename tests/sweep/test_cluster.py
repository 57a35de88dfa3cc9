"""Sweeps on a real Dask LocalCluster with 2 worker processes: same numbers as serial runs, resume, the CLI."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

import shulu
from factories import make_scenario
from shulu.cli import app
from shulu.io import load_scenario, save_scenario
from shulu.sweep import CellOutput, SweepSpec, done_cells, expand, local_cluster, parse_spec, run_sweep
from shulu.sweep.run import SUMMARY_COLUMNS

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    from distributed import Client

    with local_cluster(2) as cluster, Client(cluster) as c:
        c.wait_for_workers(2, timeout=60)
        yield c


@pytest.fixture(scope="module")
def scenario_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_scenario(make_scenario(n_jobs=40, hours=48, seed=3), tmp_path_factory.mktemp("sweep") / "tiny")


def spec_for(folder: Path, **grid: Any) -> SweepSpec:
    g = {"policy": ["local", "greenest-now", "spatio-temporal", "wait-awhile"], "forecast": ["perfect", "noisy"],
         "mape": [0.1, 0.3], "seed": [1, 2], **grid}
    return parse_spec({"name": "t", "scenario": str(folder), "grid": g, "retries": 1})


def serial_summary(scn: shulu.Scenario, row: pd.Series) -> dict[str, Any]:
    """The same cell, run in this process with shulu.simulate and the parameters as the row states them."""
    kw: dict[str, Any] = {}
    if isinstance(row["forecast"], str):
        kw["forecast"] = row["forecast"]
    if row["forecast"] == "noisy":
        kw.update(mape=float(row["mape"]), forecast_seed=int(row["seed"]))
    return shulu.simulate(scn, str(row["policy"]), dispatch=str(row["dispatch"]), seed=int(row["seed"]),
                          **kw).summary


def test_two_workers_match_serial_runs_exactly(client: Any, scenario_dir: Path, tmp_path: Path) -> None:
    spec = spec_for(scenario_dir)
    cells = expand(spec)
    assert len(cells) == 2 + 3 * 3 * 2
    rep = run_sweep(spec, tmp_path / "out", client=client)
    assert (rep.ran, rep.skipped, rep.failed, rep.workers) == (len(cells), 0, {}, 2)
    df = pd.read_parquet(rep.results)
    assert df["cell_id"].tolist() == [c.id for c in cells]  # one row per cell, grid order
    assert df["worker"].nunique() == 2  # both workers did some
    scn = load_scenario(scenario_dir)
    for _, row in df.iterrows():
        ref = serial_summary(scn, row)
        for k in SUMMARY_COLUMNS:
            if k != "wall_s":
                assert row[k] == ref[k], (row["cell_id"], k)
    # every column the docs promise, and a provenance file per cell naming its parameters
    for col in ("cell_id", "scenario", "scenario_hash", "policy", "forecast", "mape", "seed", "dispatch",
                "policy_params", *SUMMARY_COLUMNS, "cell_wall_s", "worker", "finished_utc"):
        assert col in df.columns, col
    for c in cells:
        prov = json.loads((tmp_path / "out" / "provenance" / f"{c.id}.json").read_text())
        assert prov["cell_id"] == c.id and prov["policy"] == c.policy and prov["sweep"] == "t"
        assert prov["scenario_hash"] == df["scenario_hash"].iloc[0]
    manifest = json.loads((tmp_path / "out" / "sweep.json").read_text())
    assert set(manifest["cells"]) == {c.id for c in cells}


class StopError(Exception):
    """Stands for a Ctrl-C or a crash of the submitting process."""


def test_resume_recomputes_nothing_and_duplicates_nothing(client: Any, scenario_dir: Path, tmp_path: Path) -> None:
    spec = spec_for(scenario_dir, policy=["local", "greenest-now"])
    cells = expand(spec)
    n = len(cells)
    out = tmp_path / "out"
    seen: list[str] = []

    def stop_halfway(o: CellOutput) -> None:
        seen.append(o.cell_id)
        if len(seen) == n // 2:
            raise StopError

    with pytest.raises(StopError):
        run_sweep(spec, out, client=client, on_result=stop_halfway)
    first = done_cells(out)
    assert first == set(seen) and len(first) == n // 2
    before = {cid: (out / "provenance" / f"{cid}.json").read_text() for cid in first}
    before_rows = {cid: (out / "cells" / f"{cid}.parquet").read_bytes() for cid in first}

    rep = run_sweep(spec, out, client=client)
    assert (rep.skipped, rep.ran, rep.failed) == (n // 2, n - n // 2, {})
    # the cells done before were not run again: their provenance (with its finish time and worker) and rows are
    # byte for byte what the first run wrote
    for cid in first:
        assert (out / "provenance" / f"{cid}.json").read_text() == before[cid]
        assert (out / "cells" / f"{cid}.parquet").read_bytes() == before_rows[cid]
    df = pd.read_parquet(rep.results)
    assert len(df) == n and df["cell_id"].is_unique and set(df["cell_id"]) == {c.id for c in cells}

    again = run_sweep(spec, out, client=client)
    assert (again.skipped, again.ran, again.workers) == (n, 0, 0)
    assert pd.read_parquet(again.results).equals(df)

    # extending the grid runs only the new cells; results.parquet holds the current grid
    wider = spec_for(scenario_dir, policy=["local", "greenest-now"], seed=[1, 2, 3])
    rep3 = run_sweep(wider, out, client=client)
    assert (rep3.skipped, rep3.ran) == (n, len(expand(wider)) - n)
    assert len(pd.read_parquet(rep3.results)) == len(expand(wider))


def test_cli_sweep_on_a_local_cluster(scenario_dir: Path, tmp_path: Path) -> None:
    import yaml

    (tmp_path / "s.yaml").write_text(yaml.safe_dump({"name": "cli", "scenario": str(scenario_dir),
                                                     "grid": {"policy": ["local", "greenest-now"]}}))
    args = ["sweep", str(tmp_path / "s.yaml"), "--out", str(tmp_path / "o"), "--workers", "2"]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    assert "2 run now on 2 workers" in res.output.replace("\n", " ")
    assert len(pd.read_parquet(tmp_path / "o" / "results.parquet")) == 2
    res2 = CliRunner().invoke(app, args)
    assert res2.exit_code == 0 and "0 run now" in res2.output and "2 done before" in res2.output
    # an output folder that holds something else is refused
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "x.txt").write_text("mine")
    res3 = CliRunner().invoke(app, ["sweep", str(tmp_path / "s.yaml"), "--out", str(tmp_path / "other")])
    assert res3.exit_code == 2 and "not a shulu sweep" in res3.output + (res3.stderr or "")


def test_cli_sweep_on_an_existing_cluster(client: Any, scenario_dir: Path, tmp_path: Path) -> None:
    import yaml

    (tmp_path / "s.yaml").write_text(yaml.safe_dump({"name": "remote", "scenario": str(scenario_dir),
                                                     "grid": {"policy": ["local", "cost"], "seed": [1, 2]}}))
    address = client.scheduler.address
    res = CliRunner().invoke(app, ["sweep", str(tmp_path / "s.yaml"), "--out", str(tmp_path / "o"),
                                   "--scheduler", address])
    assert res.exit_code == 0, res.output
    assert "4 run now on 2 workers" in res.output.replace("\n", " ")
    df = pd.read_parquet(tmp_path / "o" / "results.parquet")
    assert len(df) == 4 and df["cell_id"].is_unique
    # the cluster is still there for others (the sweep only disconnected)
    assert len(client.scheduler_info()["workers"]) == 2
    res2 = CliRunner().invoke(app, ["sweep", str(tmp_path / "s.yaml"), "--out", str(tmp_path / "o2"),
                                    "--scheduler", "no-port-here"])
    assert res2.exit_code == 2 and "--scheduler" in res2.output + (res2.stderr or "")
