"""Scenario folders: save -> load identity, and a clear error for each kind of bad input."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from factories import make_scenario
from shulu.errors import InputError
from shulu.io import load_scenario, save_scenario
from shulu.model import Scenario


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(n_sites=st.integers(1, 4), n_regions=st.integers(1, 3), hours=st.integers(1, 48),
       step_s=st.sampled_from([300, 900, 3600]), n_jobs=st.integers(0, 30), seed=st.integers(0, 2**31),
       fmt=st.sampled_from(["parquet", "csv"]))
def test_save_load_roundtrip(tmp_path_factory: pytest.TempPathFactory, n_sites: int, n_regions: int, hours: int,
                             step_s: int, n_jobs: int, seed: int, fmt: str) -> None:
    n_jobs = min(n_jobs, hours * 3600 // (37 * 60) + 1)
    scn = make_scenario(n_sites, n_regions, hours, step_s, n_jobs, seed)
    folder = tmp_path_factory.mktemp("scn") / "s"
    save_scenario(scn, folder, table_format=fmt)
    back = load_scenario(folder)
    assert back.equals(scn)
    assert back.content_hash() == scn.content_hash()


@pytest.fixture
def folder(tmp_path: Path, scenario_factory: Callable[..., Scenario]) -> Path:
    return save_scenario(scenario_factory(), tmp_path / "scn", table_format="csv")


def edit_yaml(folder: Path, fn: Callable[[dict], None]) -> None:  # type: ignore[type-arg]
    path = folder / "scenario.yaml"
    data = yaml.safe_load(path.read_text())
    fn(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def load_error(folder: Path) -> InputError:
    with pytest.raises(InputError) as exc:
        load_scenario(folder)
    return exc.value


def test_naive_start(folder: Path) -> None:
    edit_yaml(folder, lambda d: d.update(start="2025-01-01T00:00:00"))
    err = load_error(folder)
    assert err.file and err.file.endswith("scenario.yaml") and err.field == "start" and "naive" in str(err)


def test_negative_capacity(folder: Path) -> None:
    edit_yaml(folder, lambda d: d["sites"][1].update(it_capacity_kw=-10))
    err = load_error(folder)
    assert "sites[1].it_capacity_kw" in str(err) and "greater than 0" in str(err)
    assert "scenario.yaml" in str(err)


def test_unknown_site_in_link(folder: Path) -> None:
    edit_yaml(folder, lambda d: d["links"][0].update(b="atlantis"))
    err = load_error(folder)
    assert "links[0].b" in str(err) and "atlantis" in str(err) and "scenario.yaml" in str(err)


def test_wrong_unit_name(folder: Path) -> None:
    def fn(d: dict) -> None:  # type: ignore[type-arg]
        d["sites"][0]["it_capacity_mw"] = d["sites"][0].pop("it_capacity_kw") / 1000
    edit_yaml(folder, fn)
    err = load_error(folder)
    assert "sites[0]" in str(err) and "'it_capacity_mw'" in str(err) and "'it_capacity_kw' [kW]" in str(err)


def test_malformed_yaml(folder: Path) -> None:
    (folder / "scenario.yaml").write_text("name: x\nsites: [\n  - id: a\n  bad: : :\n")
    err = load_error(folder)
    assert "malformed YAML" in str(err) and "line" in str(err) and err.file and err.file.endswith("scenario.yaml")


def test_missing_column_in_workload(folder: Path) -> None:
    path = folder / "workload.csv"
    pd.read_csv(path).drop(columns=["max_latency_ms"]).to_csv(path, index=False)
    err = load_error(folder)
    assert err.file and err.file.endswith("workload.csv") and err.field == "max_latency_ms"


def test_naive_time_in_signals(folder: Path) -> None:
    path = folder / "signals.csv"
    df = pd.read_csv(path)
    df.loc[3, "time"] = "2025-01-01 01:00:00"
    df.to_csv(path, index=False)
    err = load_error(folder)
    assert err.file and err.file.endswith("signals.csv") and err.row == 3 and "naive" in str(err)


def test_missing_signal_column(folder: Path) -> None:
    path = folder / "signals.csv"
    pd.read_csv(path).drop(columns=["price_cny_per_kwh"]).to_csv(path, index=False)
    err = load_error(folder)
    assert err.field == "price_cny_per_kwh" and "missing" in str(err)


def test_duplicate_signal_row(folder: Path) -> None:
    path = folder / "signals.csv"
    df = pd.read_csv(path)
    pd.concat([df, df.iloc[[0]]]).to_csv(path, index=False)
    err = load_error(folder)
    assert "duplicate" in str(err) and err.row is not None


def test_signal_out_of_bounds(folder: Path) -> None:
    path = folder / "signals.csv"
    df = pd.read_csv(path)
    df.loc[5, "solar_cf"] = 1.7
    df.to_csv(path, index=False)
    err = load_error(folder)
    assert err.field == "solar_cf" and "1.7" in str(err)


def test_missing_yaml(tmp_path: Path) -> None:
    err = load_error(tmp_path)
    assert "scenario.yaml" in str(err)


def test_save_is_atomic_on_failure(tmp_path: Path, scenario_factory: Callable[..., Scenario],
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    scn = scenario_factory()
    target = save_scenario(scn, tmp_path / "scn")
    before = sorted(p.name for p in target.iterdir())

    def boom(*a: object, **k: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(pd.DataFrame, "to_parquet", boom)
    with pytest.raises(OSError):
        save_scenario(scn, target)
    assert sorted(p.name for p in target.iterdir()) == before
    assert load_scenario(target).equals(scn)
    assert [p.name for p in tmp_path.iterdir()] == ["scn"]  # no temporary folder left behind


def test_refuses_to_replace_foreign_folder(tmp_path: Path, scenario_factory: Callable[..., Scenario]) -> None:
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "precious.txt").write_text("keep")
    with pytest.raises(InputError, match="not a scenario"):
        save_scenario(scenario_factory(), tmp_path / "x")
