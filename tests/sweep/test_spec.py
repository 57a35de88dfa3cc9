"""SWEEP.yaml: expansion into cells (count, stable ids, collapsing of axes that do not apply) and clear errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from factories import make_scenario
from shulu.cli import app
from shulu.errors import InputError
from shulu.io import save_scenario
from shulu.sweep import Cell, cell_id, cut_horizon, expand, parse_spec, read_spec
from shulu.sweep.dask_runner import consolidate, done_cells, store_cell
from shulu.sweep.run import run_cell

GRID: dict[str, Any] = {"policy": ["local", "spatio-temporal", "weighted"], "forecast": ["perfect", "noisy"],
                        "mape": [0.0, 0.1, 0.2], "seed": [1, 2, 3]}


def spec_of(**over: Any) -> Any:
    data: dict[str, Any] = {"name": "t", "scenario": {"builtin": "china", "jobs": 100}, "grid": dict(GRID)}
    data.update(over)
    return parse_spec(data)


def test_expansion_count_and_collapse() -> None:
    cells = expand(spec_of())
    # local: no forecast -> 3 seeds; each planning policy: (perfect + noisy x 3 mape) x 3 seeds = 12
    assert len(cells) == 3 + 12 + 12
    assert len({c.id for c in cells}) == len(cells)
    local = [c for c in cells if c.policy == "local"]
    assert all(c.forecast is None and c.mape is None for c in local)
    perfect = [c for c in cells if c.forecast == "perfect"]
    assert all(c.mape is None for c in perfect)
    noisy = [c for c in cells if c.forecast == "noisy"]
    assert {c.mape for c in noisy} == {0.0, 0.1, 0.2}
    assert all(c.policy_kwargs()["forecast_seed"] == c.seed for c in noisy)
    # the builtin scenario's seed is each cell's seed unless fixed
    assert {c.scenario["seed"] for c in cells} == {1, 2, 3}
    fixed = expand(spec_of(scenario={"builtin": "china", "jobs": 100, "seed": 7}))
    assert {c.scenario["seed"] for c in fixed} == {7}


def test_ids_are_stable_and_order_independent() -> None:
    a = expand(spec_of())
    b = expand(spec_of())
    assert [c.id for c in a] == [c.id for c in b]
    shuffled = expand(spec_of(grid={**GRID, "seed": [3, 1, 2], "mape": [0.2, 0.0, 0.1]}))
    assert {c.id for c in shuffled} == {c.id for c in a}
    # a known value: changing how ids are computed breaks every saved sweep's resume, so it must be deliberate
    cell = Cell(scenario={"path": "scn", "days": None}, policy="local", seed=1)
    assert cell_id(cell) == "936c95d1077d2a10"
    assert cell_id(cell) != cell_id(cell.model_copy(update={"seed": 2}))
    # extending an axis keeps the ids of the cells already there
    more = expand(spec_of(grid={**GRID, "seed": [1, 2, 3, 4]}))
    assert {c.id for c in a} < {c.id for c in more}


def test_parameter_axes_apply_only_where_taken() -> None:
    cells = expand(spec_of(grid={"policy": ["local", "weighted"], "carbon_price_cny_per_t": [50, 200]},
                           params={"weighted": {"latency_weight_cny_per_ms": 0.5}}))
    assert len(cells) == 1 + 2
    w = [c for c in cells if c.policy == "weighted"]
    assert {c.params["carbon_price_cny_per_t"] for c in w} == {50, 200}
    assert all(c.params["latency_weight_cny_per_ms"] == 0.5 for c in w)
    assert [c.axes for c in cells if c.policy == "local"] == [{"carbon_price_cny_per_t": None}]


def test_scalars_and_mpc_default_forecast() -> None:
    cells = expand(parse_spec({"scenario": "x", "grid": {"policy": "mpc", "seed": 5}}))
    assert len(cells) == 1
    assert cells[0].forecast == "noisy" and cells[0].mape == 0.1 and cells[0].seed == 5


@pytest.mark.parametrize(("over", "field", "words"), [
    ({"grid": {"policy": ["local", "nope"]}}, "grid.policy[1]", "unknown policy 'nope'"),
    ({"grid": {"policy": ["greenest-now"], "forecast": ["crystal-ball"]}}, "grid.forecast[0]", "unknown forecast"),
    ({"grid": {"policy": ["local"], "dispatch": ["yolo"]}}, "grid.dispatch[0]", "unknown dispatch rule"),
    ({"grid": {"policy": ["local"], "mape": [0.1]}}, "grid.mape", "noisy"),
    ({"grid": {"policy": ["greenest-now"], "forecast": ["noisy"], "mape": [1.5]}}, "grid.mape", "[0, 1)"),
    ({"grid": {"policy": ["local"], "seed": ["abc"]}}, "grid.seed[0]", "integer"),
    ({"grid": {"policy": []}}, "grid.policy", "at least 1"),
    ({"grid": {"policy": ["local", "local"]}}, "grid.policy", "each value once"),
    ({"grid": {"policy": ["weighted"], "carbon_price_cny_per_t": []}}, "grid", "at least one value"),
    ({"grid": {"policy": ["local"], "carbon_price_cny_per_t": [1]}}, "grid.carbon_price_cny_per_t",
     "no policy in grid.policy takes"),
    ({"grid": {"policy": ["greenest-now"], "wall_s": [1]}}, "grid.wall_s", "cannot be a parameter axis"),
    ({"grid": {"policy": ["local"]}, "params": {"weighted": {"carbon_price_cny_per_t": 1}}}, "params.weighted",
     "not in grid.policy"),
    ({"grid": {"policy": ["weighted"]}, "params": {"weighted": {"carbon_prize": 1}}},
     "params.weighted.carbon_prize", "takes no parameter"),
    ({"grid": {"policy": ["greenest-now"]}, "params": {"greenest-now": {"flex_cap_frac": 2.0}}},
     "params.greenest-now.flex_cap_frac", "flex_cap_frac in (0, 1]"),
    ({"grid": {"policy": ["local"]}, "scenario": {"builtin": "mars"}}, "scenario", "china"),
    ({"grid": {"policy": ["local"]}, "scenario": {"builtin": "china", "jobs": -1}}, "scenario", "jobs"),
    ({"grid": {"policy": ["local"]}, "retries": -1}, "retries", "greater than or equal to 0"),
    ({"grid": {"policy": ["local"]}, "extra": 1}, "extra", "Extra inputs are not permitted"),
])
def test_bad_specs_name_the_field(over: dict[str, Any], field: str, words: str) -> None:
    with pytest.raises(InputError) as err:
        expand(spec_of(**over))
    assert field in str(err.value)
    assert words in str(err.value)


def test_read_spec_files(tmp_path: Path) -> None:
    save_scenario(make_scenario(), tmp_path / "scn")
    (tmp_path / "ok.yaml").write_text(yaml.safe_dump({"scenario": "scn", "grid": {"policy": ["local"]}}))
    spec = read_spec(tmp_path / "ok.yaml")
    assert expand(spec)[0].location == str(tmp_path / "scn")
    (tmp_path / "bad.yaml").write_text("grid: [unclosed\n")
    with pytest.raises(InputError, match=r"bad.yaml: malformed YAML: line 2"):
        read_spec(tmp_path / "bad.yaml")
    (tmp_path / "gone.yaml").write_text(yaml.safe_dump({"scenario": "nope", "grid": {"policy": ["local"]}}))
    with pytest.raises(InputError, match=r"gone.yaml: scenario.path: no scenario folder"):
        read_spec(tmp_path / "gone.yaml")
    (tmp_path / "list.yaml").write_text("- 1\n")
    with pytest.raises(InputError, match="expected a mapping"):
        read_spec(tmp_path / "list.yaml")
    with pytest.raises(InputError, match="no such sweep file"):
        read_spec(tmp_path / "missing.yaml")


def test_cli_bad_spec_exits_2_without_traceback(tmp_path: Path) -> None:
    (tmp_path / "s.yaml").write_text(yaml.safe_dump({"scenario": {"builtin": "china"},
                                                     "grid": {"policy": ["local", "fastest"]}}))
    res = CliRunner().invoke(app, ["sweep", str(tmp_path / "s.yaml"), "--out", str(tmp_path / "o")])
    out = res.output + (res.stderr if res.stderr_bytes is not None else "")
    assert res.exit_code == 2
    assert "s.yaml: grid.policy[1]: unknown policy 'fastest'" in out.replace("\n", "")
    assert "Traceback" not in out
    assert not (tmp_path / "o").exists()


def test_run_cell_matches_simulate_and_store_is_idempotent(tmp_path: Path) -> None:
    import shulu

    scn = make_scenario(n_jobs=12, hours=24)
    save_scenario(scn, tmp_path / "scn")
    spec = parse_spec({"scenario": str(tmp_path / "scn"), "grid": {"policy": ["greenest-now"],
                                                                    "forecast": ["noisy"], "mape": [0.2]}})
    (cell,) = expand(spec)
    out = run_cell(cell)
    ref = shulu.simulate(scn, "greenest-now", forecast="noisy", mape=0.2, forecast_seed=0, seed=0)
    for k, v in ref.summary.items():
        if k != "wall_s":
            assert out.row[k] == v, k
    assert out.provenance["cell_id"] == cell.id == out.row["cell_id"]
    store_cell(tmp_path / "o", out)
    store_cell(tmp_path / "o", out)
    assert done_cells(tmp_path / "o") == {cell.id}
    df = consolidate(tmp_path / "o", [cell])
    assert len(df) == 1 and df["mape"].dtype == "float64"
    assert pd.read_parquet(tmp_path / "o" / "results.parquet")["cell_id"].tolist() == [cell.id]
    assert not list((tmp_path / "o").rglob("*.tmp"))


def test_cut_horizon() -> None:
    scn = make_scenario(n_jobs=60, hours=72)
    short = cut_horizon(scn, 1)
    assert short.n_steps == 24
    assert (short.workload.frame["submit_time"] < short.end).all()
    assert 0 < len(short.workload) < len(scn.workload)
    with pytest.raises(InputError, match=r"scenario\.days"):
        cut_horizon(scn, 4)


def test_cli_bad_options_exit_2(tmp_path: Path) -> None:
    save_scenario(make_scenario(), tmp_path / "scn")
    (tmp_path / "s.yaml").write_text(yaml.safe_dump({"scenario": "scn", "grid": {"policy": ["local"]}}))
    for extra, words in ((["--workers", "0"], "--workers: expected at least 1 worker"),
                         (["--workers", "2", "--scheduler", "tcp://127.0.0.1:8786"], "--workers")):
        res = CliRunner().invoke(app, ["sweep", str(tmp_path / "s.yaml"), "--out", str(tmp_path / "o"), *extra])
        out = res.output + (res.stderr if res.stderr_bytes is not None else "")
        assert res.exit_code == 2 and words in out and "Traceback" not in out


def test_the_documented_and_example_sweeps_are_valid() -> None:
    import re

    root = Path(__file__).resolve().parents[2]
    block = re.search(r"```yaml\n(.*?)```", (root / "docs" / "sweeps.md").read_text(), re.S)
    assert block is not None
    cells = expand(parse_spec(yaml.safe_load(block.group(1))))
    assert len(cells) == 51  # as the doc says
    example = expand(read_spec(root / "examples" / "sweep-china.yaml"))
    assert len(example) == 4 and {c.policy for c in example} == {"local", "spatio-temporal"}
