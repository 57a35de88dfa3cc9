"""Imported data plugs into scenarios: intensity onto the signal index, traces through workload validation; and
the commands as a user runs them (exit 2, clear message, nothing written on bad input)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from samples import CARBON, TRACES
from shulu.cli import app
from shulu.errors import InputError
from shulu.ingest.carbon import read_carbon
from shulu.ingest.carbon.scenario import apply_intensity, zone_on_index
from shulu.io import load_scenario, save_scenario
from shulu.model import Scenario

runner = CliRunner()


def run(*args: str) -> tuple[int, str]:
    res = runner.invoke(app, list(args))
    return res.exit_code, res.output + (res.stderr if res.stderr_bytes is not None else "")


def hourly_table(zone: str, start: str, values: list[float]) -> pd.DataFrame:
    return pd.DataFrame({"time": pd.date_range(start, periods=len(values), freq="h", tz="UTC"), "zone": zone,
                         "intensity_g_per_kwh": values})


def test_apply_intensity_replaces_only_named_sites(scenario_factory: Callable[..., Scenario]) -> None:
    scn = scenario_factory(hours=24)
    table = hourly_table("CN-NW", "2025-01-01T00:00Z", [float(100 + i) for i in range(24)])
    sig = apply_intensity(scn.signals, table, {"s1": "CN-NW"})
    assert sig["intensity_g_per_kwh"]["s1"].tolist() == [float(100 + i) for i in range(24)]
    assert sig["intensity_g_per_kwh"]["s0"].equals(scn.signals["intensity_g_per_kwh"]["s0"])
    assert sig["price_cny_per_kwh"].equals(scn.signals["price_cny_per_kwh"])
    scn.replace(signals=sig)  # still a valid scenario


def test_hourly_series_is_held_on_a_finer_step(scenario_factory: Callable[..., Scenario]) -> None:
    scn = scenario_factory(hours=2, step_s=900)
    table = hourly_table("z", "2025-01-01T00:00Z", [10.0, 20.0])
    got = zone_on_index(table, "z", scn.signals.index, 900)
    assert got.tolist() == [10.0] * 4 + [20.0] * 4


def test_five_minute_series_is_averaged_on_a_coarser_step() -> None:
    wt = read_carbon("watttime-json", CARBON / "wt_historical_CAISO_NORTH.json")  # 30 min only
    with pytest.raises(InputError, match="covers"):
        zone_on_index(wt, "CAISO_NORTH", pd.DatetimeIndex([pd.Timestamp("2025-06-01T00:00Z")]), 3600)
    half = zone_on_index(wt, "CAISO_NORTH", pd.DatetimeIndex([pd.Timestamp("2025-06-01T00:00Z")]), 1800)
    lbs = [900.0, 880.0, 1000.0, 500.0, 0.0, 750.5]
    assert half[0] == pytest.approx(np.mean(lbs) * 0.45359237)  # mean of the six 5-minute values


def test_align_year_uses_calendar_position(scenario_factory: Callable[..., Scenario]) -> None:
    scn = scenario_factory(hours=24)  # 2025-01-01
    table = hourly_table("z", "2023-01-01T00:00Z", [float(i) for i in range(48)])
    with pytest.raises(InputError, match="align"):
        apply_intensity(scn.signals, table, {"s0": "z"})
    sig = apply_intensity(scn.signals, table, {"s0": "z"}, align="year")
    assert sig["intensity_g_per_kwh"]["s0"].tolist() == [float(i) for i in range(24)]


def test_trace_plugs_into_a_scenario(tmp_path: Path, scenario_factory: Callable[..., Scenario]) -> None:
    folder = save_scenario(scenario_factory(hours=24, n_jobs=3), tmp_path / "scn")
    out = tmp_path / "jobs.parquet"
    code, text = run("trace", "import", str(TRACES / "azure_vmtable.csv"), "--format", "azure", "--scenario",
                     str(folder), "--out", str(out))
    assert code == 0, text
    assert "4 jobs" in text
    shutil.copy(out, folder / "workload.parquet")  # the recipe: the trace becomes the scenario's workload
    scn = load_scenario(folder)
    assert len(scn.workload) == 4 and set(scn.workload.frame["origin"]) <= {"r0", "r1"}
    assert scn.workload.frame["submit_time"].min() == scn.start


def test_data_import_and_use_intensity_commands(tmp_path: Path, scenario_factory: Callable[..., Scenario]) -> None:
    out = tmp_path / "de.parquet"
    code, text = run("data", "import", str(CARBON / "em_older_DE_hourly.csv"), "--format", "electricitymaps-csv",
                     "--out", str(out))
    assert code == 0, text
    assert "6 values" in text and "3600 s" in text
    assert pd.read_parquet(out)["intensity_g_per_kwh"].iloc[0] == 301.5
    folder = save_scenario(scenario_factory(hours=6), tmp_path / "scn")
    code, text = run("data", "use-intensity", str(folder), str(out), "--site", "s0=DE", "--align", "year",
                     "--out", str(tmp_path / "scn2"))
    assert code == 0, text
    scn2 = load_scenario(tmp_path / "scn2")
    assert scn2.signals["intensity_g_per_kwh"]["s0"].tolist() == [301.5, 298.0, 310.25, 322.0, 330.5, 318.75]


def test_generic_csv_command_with_mapping(tmp_path: Path) -> None:
    out = tmp_path / "g.csv"
    code, text = run("data", "import", str(CARBON / "generic_kg_per_kwh.csv"), "--format", "csv", "--time-col",
                     "timestamp", "--value-col", "ci_kg_per_kwh", "--zone-col", "region", "--out", str(out))
    assert code == 0, text
    df = pd.read_csv(out)
    assert df["time"].iloc[0] == "2025-01-01T00:00:00+00:00" and df["intensity_g_per_kwh"].iloc[0] == 584.9


def test_bad_input_exits_2_and_writes_nothing(tmp_path: Path) -> None:
    lines = (CARBON / "em_older_DE_hourly.csv").read_text(encoding="utf-8").splitlines()
    del lines[3]
    bad = tmp_path / "gap.csv"
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "out" / "x.parquet"
    code, text = run("data", "import", str(bad), "--format", "electricitymaps-csv", "--out", str(out))
    assert code == 2 and "row 2, Datetime (UTC)" in text and "Traceback" not in text
    assert not out.exists()
    trace = tmp_path / "t.csv"
    trace.write_text((TRACES / "azure_vmtable.csv").read_text().replace("Unknown", "Mystery", 1))
    code, text = run("trace", "import", str(trace), "--format", "azure", "--out", str(out))
    assert code == 2 and "row 2, vmcategory" in text and not out.exists()
    assert not list(out.parent.glob("*")) if out.parent.exists() else True


def test_data_fetch_with_a_file_provider(tmp_path: Path) -> None:
    cfg = tmp_path / "providers.yaml"
    cfg.write_text(yaml.safe_dump({"cache_dir": "cache", "providers": [
        {"name": "electricitymaps", "api_key_env": "SHULU_TEST_UNSET_KEY"},
        {"name": "file", "format": "electricitymaps-csv", "path": str(CARBON / "em_older_DE_hourly.csv")}]}))
    out = tmp_path / "de.parquet"
    code, text = run("data", "fetch", "DE", "--config", str(cfg), "--start", "2022-01-01T00:00Z", "--end",
                     "2022-01-01T03:00Z", "--out", str(out))
    assert code == 0, text
    assert "from file" in text and len(pd.read_parquet(out)) == 3
    code, text = run("data", "fetch", "DE", "--config", str(cfg), "--start", "2022-01-01T00:00Z", "--end",
                     "2022-01-09T00:00Z", "--out", str(out))
    assert code == 2 and "SHULU_TEST_UNSET_KEY" in text and "covers" in text


def test_forecast_backtest_command(tmp_path: Path, scenario_factory: Callable[..., Scenario]) -> None:
    folder = save_scenario(scenario_factory(hours=24 * 6), tmp_path / "scn")
    code, text = run("forecast", "backtest", str(folder), "--models", "persistence,seasonal-naive,linear",
                     "--start-h", "24", "--every-h", "6", "--horizon-h", "6", "--out", str(tmp_path / "bt"))
    assert code == 0, text
    df = pd.read_csv(tmp_path / "bt" / "backtest.csv")
    assert set(df["model"]) == {"persistence", "seasonal-naive", "linear"} and set(df["site"]) == {"s0", "s1", "all"}
    code, text = run("forecast", "backtest", str(folder), "--var", "wind_cf", "--out", str(tmp_path / "bt"))
    assert code == 2 and "wind_cf" in text
