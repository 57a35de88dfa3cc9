"""Run several policies on one scenario and tabulate them side by side (``shulu compare``)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from shulu.errors import InputError
from shulu.model.scenario import Scenario
from shulu.policies import POLICIES, get_policy
from shulu.sim.engine import simulate
from shulu.sim.result import Result

#: comparison.csv columns, in order.
COLUMNS: tuple[str, ...] = (
    "policy", "emissions_location_kg", "emissions_market_kg", "reduction_vs_local_frac", "gap_to_oracle_frac",
    "cost_cny", "mean_wait_s", "p95_wait_s", "latency_violations", "jobs_late", "renewable_used_kwh",
    "curtailed_kwh", "wall_s")


def parse_policies(text: str) -> list[str]:
    """``"a,b,c"`` -> ``["a", "b", "c"]``, each a known policy."""
    names = [p.strip() for p in text.split(",") if p.strip()]
    if not names:
        raise InputError("expected at least one policy", field="--policies")
    unknown = [p for p in names if p not in POLICIES]
    if unknown:
        raise InputError(f"unknown policy {unknown[0]!r}; expected some of {sorted(POLICIES)}", field="--policies")
    if len(set(names)) != len(names):
        raise InputError("each policy once, please", field="--policies")
    return names


def compare(scenario: Scenario, policies: Sequence[str], *, params: dict[str, dict[str, Any]] | None = None,
            dispatch: str = "self-consumption",
            on_result: Callable[[str, Result], None] | None = None) -> pd.DataFrame:
    """Simulate each policy on the same scenario; one row per policy (see :data:`COLUMNS`).

    ``reduction_vs_local_frac`` is ``1 - E / E_local`` (location-based; needs ``local`` among the policies, else
    NaN). ``gap_to_oracle_frac`` is ``E / E_bound - 1`` against the oracle's lower bound on location-based
    emissions (needs ``oracle``, else NaN).
    """
    params = params or {}
    rows = []
    bound: float | None = None
    for name in policies:
        pol = get_policy(name, **params.get(name, {}))
        res = simulate(scenario, pol, dispatch=dispatch)
        if on_result is not None:
            on_result(name, res)
        s = res.summary
        row: dict[str, Any] = {k: s[k] for k in COLUMNS if k in s}
        row["policy"] = name
        rows.append(row)
        if name == "oracle":
            bound = float(res.provenance["policy_params"].get("bound_emissions_location_kg", np.nan))
    df = pd.DataFrame(rows)
    local = df.loc[df["policy"] == "local", "emissions_location_kg"]
    base = float(local.iloc[0]) if len(local) else np.nan
    df["reduction_vs_local_frac"] = 1.0 - df["emissions_location_kg"] / base if base and base > 0 else np.nan
    df["gap_to_oracle_frac"] = df["emissions_location_kg"] / bound - 1.0 if bound else np.nan
    return df[list(COLUMNS)]


def write_comparison(df: pd.DataFrame, folder: str | os.PathLike[str]) -> Path:
    """Write ``comparison.csv`` into ``folder`` atomically."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".comparison.", dir=folder)
    os.close(fd)
    try:
        df.to_csv(tmp, index=False, float_format="%.6g")
        os.replace(tmp, folder / "comparison.csv")
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return folder / "comparison.csv"
