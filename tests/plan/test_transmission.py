"""Move bits or move electrons: one row per (west, east) pair with consistent winners."""

from __future__ import annotations

from shulu.model import Scenario
from shulu.plan.costs import load_costs
from shulu.plan.inputs import inputs_from_scenario
from shulu.plan.reduce import representative_days
from shulu.plan.transmission import compare_pairs


def test_pairs_and_winners(scenario_factory) -> None:  # type: ignore[no-untyped-def]
    scn: Scenario = scenario_factory(n_sites=2, hours=48, n_jobs=40)
    costs = load_costs()
    inp, _ = representative_days(inputs_from_scenario(scn, costs), 1)
    df = compare_pairs(scn, inp, costs, green_share_min_frac=0.5, load_kw=100.0)
    assert len(df) == 1  # one west site (s1) x one east site (s0)
    row = df.iloc[0]
    assert (row["west_site"], row["east_site"]) == ("s1", "s0")
    assert row["winner_cost"] == ("bits" if row["bits_cny_per_year"] <= row["electrons_cny_per_year"]
                                  else "electrons")
    assert row["winner_carbon"] == ("bits" if row["bits_kg_per_year"] <= row["electrons_kg_per_year"]
                                    else "electrons")
    assert row["cost_saving_cny_per_year"] == abs(row["bits_cny_per_year"] - row["electrons_cny_per_year"])
    assert 0 < row["line_loss_frac"] < 0.05
