"""``shulu accounts ...`` and ``shulu scorecard`` as a user runs them, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from factories import hand_accounts_scenario
from shulu.accounts.scorecard import DEFAULT_WEIGHTS, parse_weights
from shulu.cli import app
from shulu.policies import get_policy
from shulu.sim.engine import simulate

runner = CliRunner()


def run(*args: str) -> tuple[int, str]:
    res = runner.invoke(app, list(args))
    return res.exit_code, res.output + (res.stderr if res.stderr_bytes is not None else "")


@pytest.fixture
def result_dir(tmp_path: Path) -> Path:
    res = simulate(hand_accounts_scenario(green_purchase_frac=0.5), get_policy("local"))
    return res.save(tmp_path / "run")


def test_accounts_workflow(result_dir: Path, db_url: str, tmp_path: Path) -> None:
    code, out = run("accounts", "post", str(result_dir), "--db", db_url)
    assert code == 0 and "posted 2 entries" in out
    code, out = run("accounts", "post", str(result_dir), "--db", db_url)
    assert code == 0 and "nothing added" in out
    code, out = run("accounts", "tenant", "x", "--budget-location-kg", "2.0", "--db", db_url)
    assert code == 0
    code, out = run("accounts", "show", "x", "--db", db_url)
    assert code == 0 and "2025-03" in out and "exceeded" in out  # 3.04 kg against a 2 kg budget
    code, out = run("accounts", "purchase", "x", "--month", "2025-03", "--energy-kwh", "6.1875", "--db", db_url)
    assert code == 0
    code, out = run("accounts", "statement", "x", "--month", "2025-03", "--out", str(tmp_path / "st"), "--db", db_url)
    assert code == 0
    st = json.loads((tmp_path / "st" / "statement-x-2025-03.json").read_text())
    # A used 12.375 kWh; 6.1875 kWh of certificates cover half: market-based 3.0375 x 0.5 (site) x 0.5 (tenant)
    assert st["totals"]["emissions_market_kg"] == pytest.approx(3.0375 * 0.25)
    assert st["totals"]["emissions_location_kg"] == pytest.approx(3.0375)
    code, out = run("accounts", "verify", "--db", db_url)
    assert code == 0 and "ledger OK: 3 entries" in out


def test_accounts_user_errors(result_dir: Path, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'l.db'}"
    code, out = run("accounts", "statement", "x", "--month", "March", "--db", db)
    assert code == 2 and "YYYY-MM" in out and "Traceback" not in out
    code, out = run("accounts", "show", "nobody", "--db", db)
    assert code == 2 and "no ledger entries" in out
    code, out = run("accounts", "post", str(tmp_path / "missing"), "--db", db)
    assert code == 2 and "summary.json" in out
    code, out = run("accounts", "verify", "--db", "nonsense://")
    assert code == 2 and "Traceback" not in out


def test_verify_exit_code_on_tampering(result_dir: Path, tmp_path: Path) -> None:
    import sqlite3

    db = tmp_path / "l.db"
    assert run("accounts", "post", str(result_dir), "--db", f"sqlite:///{db}")[0] == 0
    with sqlite3.connect(db) as con:
        con.execute("UPDATE ledger_entries SET emissions_location_kg = 0 WHERE seq = 1")
    code, out = run("accounts", "verify", "--db", f"sqlite:///{db}")
    assert code == 1 and "entry 1: contents changed" in out


def test_database_from_the_environment(result_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHULU_DATABASE_URL", f"sqlite:///{tmp_path / 'env.db'}")
    assert run("accounts", "post", str(result_dir))[0] == 0
    assert (tmp_path / "env.db").exists()


def test_scorecard(result_dir: Path, tmp_path: Path) -> None:
    code, out = run("scorecard", str(result_dir), "--out", str(tmp_path / "sc"))
    assert code == 0, out
    hubs = pd.read_csv(tmp_path / "sc" / "scorecard-hubs.csv")
    # one site: PUE 1.5 exactly; CUE = 3.0375 + 1.0125 kg over 4 + 6 + 1 (idle hour 0) + 4 (idle hour 1) = 15 kWh IT
    assert hubs.loc[0, "pue"] == pytest.approx(1.5)
    assert hubs.loc[0, "cue_kg_per_kwh"] == pytest.approx(4.05 / 15.0)
    assert hubs.loc[0, "rack_fill_frac"] == pytest.approx((8 + 2) / 20)
    sites = pd.read_csv(tmp_path / "sc" / "sites.csv")
    assert sites.loc[0, "scope2_location_kg"] == pytest.approx(4.05)
    assert sites.loc[0, "scope2_market_kg"] == pytest.approx(2.025)
    code, out = run("scorecard", str(result_dir), "--weights", "pue=abc")
    assert code == 2 and "number" in out


def test_scorecard_index_ranks_by_hand() -> None:
    from shulu.accounts.scorecard import _index

    t = pd.DataFrame({"pue": [1.2, 1.5], "cue_kg_per_kwh": [0.2, 0.6], "green_share_frac": [0.8, 0.2],
                      "heat_reuse_frac": [0.0, 0.0], "rack_fill_frac": [0.5, 0.5], "carbon_per_compute": [1.0, 3.0]},
                     index=["west", "east"])
    out = _index(t, DEFAULT_WEIGHTS)
    # west is best on every metric that differs and ties the rest (ties score 1): index 100; east scores only the
    # ties: 100 x (0.05 + 0.1) = 15
    assert out.loc["west", "index"] == pytest.approx(100.0)
    assert out.loc["east", "index"] == pytest.approx(15.0)
    assert list(out.index) == ["west", "east"]
    w = parse_weights("pue=1,cue_kg_per_kwh=0,green_share_frac=0,heat_reuse_frac=0,rack_fill_frac=0,"
                      "carbon_per_compute=0")
    assert _index(t, w).loc["east", "index"] == pytest.approx(0.0)
