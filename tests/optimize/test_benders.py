"""Benders decomposition: the same optimum as the whole LP, valid bounds, and clear errors."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from shulu.errors import InputError
from shulu.optimize.benders import solve_blocks


def capacity_lp(seed: int, n_sites: int, n_hours: int, *, target: float | None = None) -> dict[str, Any]:
    """A random capacity-expansion LP in block form.

    Linking columns: capacity ``x_s`` [kW] at cost k_s per kW, and shares ``a_s`` of one load profile d_t
    (sum a_s = 1). Block s, per hour: served from capacity ``u_st <= x_s``, from the grid ``g_st`` at price
    p_st, with ``u_st + g_st = a_s d_t``; with ``target``, a green row ``sum g <= (1 - target) sum a_s d_t``
    (only capacity counts as green), which some capacity choices make infeasible.
    """
    rng = np.random.default_rng(seed)
    d = rng.uniform(1.0, 5.0, n_hours)
    price = rng.uniform(0.1, 2.0, (n_sites, n_hours))
    k = rng.uniform(0.5, 3.0, n_sites)
    n_link = 2 * n_sites
    per = 2 * n_hours
    n = n_link + n_sites * per
    c = np.zeros(n)
    c[:n_sites] = k
    col_block = np.full(n, -1)
    lb = np.zeros(n)
    ub = np.full(n, np.inf)
    ub[n_sites:n_link] = 1.0
    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []
    sense: list[str] = []
    rhs: list[float] = []
    names: list[str] = []

    def row(entries: list[tuple[int, float]], s: str, b: float, name: str) -> None:
        r = len(rhs)
        for j, v in entries:
            rows.append(r)
            cols.append(j)
            vals.append(v)
        sense.append(s)
        rhs.append(b)
        names.append(name)

    row([(n_sites + s, 1.0) for s in range(n_sites)], "=", 1.0, "serve")
    for s in range(n_sites):
        base = n_link + s * per
        col_block[base:base + per] = s
        for t in range(n_hours):
            u, g = base + 2 * t, base + 2 * t + 1
            c[g] = price[s, t]
            row([(u, 1.0), (g, 1.0), (n_sites + s, -d[t])], "=", 0.0, "balance")
            row([(u, 1.0), (s, -1.0)], "<", 0.0, "capacity")
        if target is not None:
            row([(base + 2 * t + 1, 1.0) for t in range(n_hours)] + [(n_sites + s, -(1 - target) * d.sum())],
                "<", 0.0, "green")
    a = sp.csr_array((vals, (rows, cols)), shape=(len(rhs), n))
    return {"c": c, "a": a, "sense": np.array(sense), "rhs": np.array(rhs, float), "lb": lb, "ub": ub,
            "col_block": col_block, "names": np.array(names)}


def whole_lp(p: dict[str, Any]) -> float:
    a = sp.csr_array(p["a"])
    sense = np.asarray(p["sense"])
    rhs = np.asarray(p["rhs"])
    le, ge, eq = sense == "<", sense == ">", sense == "="
    a_ub = sp.vstack([a[le], -a[ge]])
    b_ub = np.r_[rhs[le], -rhs[ge]]
    res = linprog(p["c"], A_ub=a_ub, b_ub=b_ub, A_eq=a[eq], b_eq=rhs[eq],
                  bounds=list(zip(p["lb"], p["ub"], strict=True)), method="highs")
    assert res.status == 0
    return float(res.fun)


def run(p: dict[str, Any], **kw: Any) -> Any:
    return solve_blocks(p["c"], p["a"], p["sense"], p["rhs"], p["lb"], p["ub"], p["col_block"],
                        **kw)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), n_sites=st.integers(1, 4), n_hours=st.integers(1, 12))
def test_same_optimum_as_the_whole_lp(seed: int, n_sites: int, n_hours: int) -> None:
    p = capacity_lp(seed, n_sites, n_hours)
    best = whole_lp(p)
    res = run(p, gap_frac=1e-7)
    assert res.status == "optimal"
    assert res.lower_bound <= best + 1e-6 * max(1.0, abs(best))
    assert res.objective == pytest.approx(best, rel=1e-5, abs=1e-6)
    # the returned point is feasible for the whole LP and its cost is the reported objective
    x = res.x
    a = sp.csr_array(p["a"])
    act = a @ x
    sense, rhs = np.asarray(p["sense"]), np.asarray(p["rhs"])
    assert np.all(act[sense == "<"] <= rhs[sense == "<"] + 1e-6)
    assert np.allclose(act[sense == "="], rhs[sense == "="], atol=1e-6)
    assert np.all(x >= -1e-9)
    assert float(np.asarray(p["c"]) @ x) == pytest.approx(res.objective, rel=1e-9, abs=1e-9)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), n_sites=st.integers(1, 3), n_hours=st.integers(2, 8),
       target=st.floats(0.1, 0.9))
def test_feasibility_cuts_and_the_penalty_reach_the_same_optimum(seed: int, n_sites: int, n_hours: int,
                                                                  target: float) -> None:
    """A green row makes small capacities infeasible: two-phase feasibility cuts and an exact penalty agree."""
    p = capacity_lp(seed, n_sites, n_hours, target=target)
    best = whole_lp(p)
    two_phase = run(p, gap_frac=1e-7, elastic=np.asarray(p["names"]) == "green")
    assert two_phase.objective == pytest.approx(best, rel=1e-5, abs=1e-6)
    # a kWh of green shortfall costs 100 > any price: exact
    pen = run(p, gap_frac=1e-7, penalty=np.where(np.asarray(p["names"]) == "green", 100.0, 0.0))
    assert pen.objective == pytest.approx(best, rel=1e-5, abs=1e-6)
    assert pen.penalised_slack == pytest.approx(0.0, abs=1e-6)
    # a penalty far too low (0.05 < the capacity a kWh of shortfall saves) is raised until it is exact
    low = run(p, gap_frac=1e-7, penalty=np.where(np.asarray(p["names"]) == "green", 0.05, 0.0))
    assert low.objective == pytest.approx(best, rel=1e-5, abs=1e-6)
    assert low.penalised_slack == pytest.approx(0.0, abs=1e-6)


def test_a_start_point_and_a_valid_row_pool_do_not_change_the_optimum() -> None:
    p = capacity_lp(7, 3, 10)
    best = whole_lp(p)
    x0 = np.zeros(len(np.asarray(p["c"])))
    x0[:3] = 5.0  # capacities
    x0[3:6] = 1 / 3  # equal shares
    # pool: capacity can never need to exceed the largest load 5 kW -> x_s <= 5 is not valid in general, but
    # "a_s <= 1" is; use it as a harmless pool
    pool = (sp.csr_array((np.ones(3), (np.arange(3), np.arange(3, 6))), shape=(3, x0.size)), np.ones(3))
    res = run(p, gap_frac=1e-7, x0=x0, valid_rows=pool)
    assert res.objective == pytest.approx(best, rel=1e-5)
    assert res.history[0]["upper"] < np.inf  # the start was feasible: an upper bound from the first iteration


def test_by_hand_two_sites() -> None:
    """Capacity at 1 per kW; load 3 kW then 1 kW; grid 0.8 then 0.5: buy 1 kW (saves 1.3), not the 2nd."""
    c = np.array([1, 1, 0, 0.8, 0, 0.5, 0, 0.8, 0, 0.5])
    rows = [[0, 0, 1, 1, 0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 1, 1, 0, 0, 0, 0],
            [0, 0, 0, 0, 0, 0, 1, 1, 0, 0], [0, 0, 0, 0, 0, 0, 0, 0, 1, 1],
            [-1, 0, 1, 0, 0, 0, 0, 0, 0, 0], [-1, 0, 0, 0, 1, 0, 0, 0, 0, 0],
            [0, -1, 0, 0, 0, 0, 1, 0, 0, 0], [0, -1, 0, 0, 0, 0, 0, 0, 1, 0]]
    res = solve_blocks(c, sp.csr_array(np.array(rows, float)), np.array(["="] * 4 + ["<"] * 4),
                       np.array([3, 1, 3, 1, 0, 0, 0, 0.0]), np.zeros(10), np.full(10, np.inf),
                       np.array([-1, -1, 0, 0, 0, 0, 1, 1, 1, 1]), gap_frac=1e-9)
    assert res.objective == pytest.approx(2 * (1 + 2 * 0.8))
    assert res.x[:2] == pytest.approx([1.0, 1.0])
    assert res.x[2:6] == pytest.approx([1.0, 2.0, 1.0, 0.0])  # hour 1: 1 kW own + 2 kW grid; hour 2: own


def test_rows_coupling_blocks_are_refused() -> None:
    a = sp.csr_array(np.array([[1.0, 1.0]]))
    with pytest.raises(InputError, match="couple two or more blocks"):
        solve_blocks(np.ones(2), a, np.array([">"]), np.array([1.0]), np.zeros(2), np.full(2, np.inf),
                     np.array([0, 1]))


def test_negative_block_costs_are_refused() -> None:
    a = sp.csr_array(np.array([[1.0, 1.0]]))
    with pytest.raises(InputError, match="bounded below by 0"):
        solve_blocks(np.array([1.0, -1.0]), a, np.array(["<"]), np.array([1.0]), np.zeros(2),
                     np.full(2, np.inf), np.array([-1, 0]))


def test_an_impossible_master_says_so() -> None:
    """Demand 3 kW served only from capacity at most 2 kW: no linking point makes the block feasible."""
    # columns: x (link, <= 2) | u (block 0); rows: u = 3, u <= x
    a = sp.csr_array(np.array([[0.0, 1.0], [-1.0, 1.0]]))
    with pytest.raises(InputError):
        solve_blocks(np.array([1.0, 0.0]), a, np.array(["=", "<"]), np.array([3.0, 0.0]), np.zeros(2),
                     np.array([2.0, np.inf]), np.array([-1, 0]), max_iterations=50)


def test_a_penalty_too_low_is_raised_until_exact() -> None:
    """Seed 6 at 95% green: with penalty 0.05 and no raise the blocks buy their way out of the green row (a
    cost below the optimum and a shortfall); raised (twice here), the optimum of the whole LP comes back."""
    p = capacity_lp(6, 2, 6, target=0.95)
    best = whole_lp(p)
    pen = np.where(np.asarray(p["names"]) == "green", 0.05, 0.0)
    stuck = run(p, gap_frac=1e-7, penalty=pen, max_penalty_raises=0)
    assert stuck.penalised_slack > 0.1 and stuck.objective < best - 0.1
    res = run(p, gap_frac=1e-7, penalty=pen)
    assert any("penalty_raised" in h for h in res.history)
    assert res.objective == pytest.approx(best, rel=1e-6)
    assert res.penalised_slack == pytest.approx(0.0, abs=1e-6)
