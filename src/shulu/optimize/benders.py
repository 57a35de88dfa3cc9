"""Benders decomposition of a block-angular linear programme, solved with HiGHS.

The layout model over a full hourly year is one LP whose *linking* columns (investments, shares of work) touch
every hour, which makes interior point slow (see ``docs/planning.md``). Given the linking columns, though, the rest
falls apart into independent blocks (one per site). This module solves such an LP

    min  c_x x + sum_b c_b y_b
    s.t. M x (<=, =, >=) m                       master rows: linking columns only
         A_b x + B_b y_b (<=, =, >=) r_b         block b's rows
         bounds on x and y

by Benders' decomposition with one cut per block (multi-cut) and in-out stabilisation:

* the **master** holds x and one value variable theta_b >= 0 per block, and the cuts found so far;
* each **block** is an LP over y_b with the linking columns it uses as columns fixed by their bounds; at a point
  x^ it returns its value f_b(x^) and the reduced costs g_b of those fixed columns, a subgradient of f_b, which
  gives the optimality cut theta_b >= f_b(x^) + g_b (x - x^);
* if a block is infeasible at x^, its *elastic* rows (the ones that can become infeasible) get slack columns and
  the block minimises their sum v_b(x^) > 0 instead; the reduced costs h_b then give the feasibility cut
  v_b(x^) + h_b (x - x^) <= 0, which every feasible x satisfies;
* the master's optimum is a lower bound, every point where all blocks are feasible gives an upper bound; the loop
  stops when they are within ``gap_frac`` of each other (or at the time or iteration limit, reporting the gap).

Stabilisation (Ben-Ameur and Neto, 2007): blocks are evaluated at a point between the master's solution and the
best point found so far; if those cuts do not cut the master's solution off, the master's solution itself is
evaluated too, so the lower bound always moves and the method converges. A starting point (for the layout model:
the plan from representative days) gives good cuts from the first iteration.

Block values must be bounded below by 0 (every block column has a non-negative cost and lower bound 0), which
holds for operating costs. Blocks keep their HiGHS instance between iterations: only the fixed columns' bounds
change, so dual simplex restarts from the last basis.
"""

from __future__ import annotations

import time as _time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import highspy
import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
import xarray as xr

from shulu.errors import InputError

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

_INF = highspy.kHighsInf
#: Dual simplex iterations a block may take from its last basis before it is solved afresh by interior point.
SIMPLEX_ITERATIONS = 4000
#: Most rows of the valid-row pool added to the master per round.
POOL_ROWS_PER_ROUND = 500


@dataclass
class BendersResult:
    """The outcome of :func:`solve_blocks`.

    Attributes
    ----------
    x : numpy.ndarray
        Every column's value at the best point found (linking and block columns), aligned with the LP's columns.
    objective : float
        Objective at that point (the upper bound) [objective units].
    lower_bound : float
        The master's last optimum: no point has a lower objective.
    gap_frac : float
        (objective - lower_bound) / |objective|.
    status : str
        ``"optimal"`` (gap within the tolerance), ``"time_limit"`` or ``"iteration_limit"``.
    iterations : int
        Master solves.
    history : list of dict
        Per iteration: ``iteration``, ``lower``, ``upper``, ``elapsed_s``, ``cuts``.
    master_s, blocks_s : float
        Wall time in the master and in the blocks [s].
    penalised_slack : float
        Total violation of the penalised rows at the best point (0 when the penalty was exact).
    """

    x: FloatArray
    objective: float
    lower_bound: float
    gap_frac: float
    status: str
    iterations: int
    history: list[dict[str, float]] = field(default_factory=list)
    master_s: float = 0.0
    blocks_s: float = 0.0
    penalised_slack: float = 0.0


def _row_bounds(sense: npt.NDArray[Any], rhs: FloatArray) -> tuple[FloatArray, FloatArray]:
    lo = np.where(sense == "<", -_INF, rhs).astype(np.float64)
    hi = np.where(sense == ">", _INF, rhs).astype(np.float64)
    return lo, hi


def _highs(options: Mapping[str, Any]) -> highspy.Highs:
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    for k, v in options.items():
        h.setOptionValue(k, v)
    return h


def _pass_lp(h: highspy.Highs, cost: FloatArray, lb: FloatArray, ub: FloatArray, a: sp.csc_array,
             rlo: FloatArray, rhi: FloatArray) -> None:
    lp = highspy.HighsLp()
    lp.num_col_ = int(a.shape[1])
    lp.num_row_ = int(a.shape[0])
    lp.col_cost_ = cost
    lp.col_lower_ = lb
    lp.col_upper_ = ub
    lp.row_lower_ = rlo
    lp.row_upper_ = rhi
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = a.indptr.astype(np.int32)
    lp.a_matrix_.index_ = a.indices.astype(np.int32)
    lp.a_matrix_.value_ = a.data.astype(np.float64)
    h.passModel(lp)


class _Block:
    """One block's LP: its own columns, then copies of the linking columns it uses, then slack columns."""

    def __init__(self, c: FloatArray, a: sp.csr_array, rlo: FloatArray, rhi: FloatArray, lb: FloatArray,
                 ub: FloatArray, own: IntArray, link: IntArray, rows: IntArray, elastic: BoolArray,
                 penalty: FloatArray, options: Mapping[str, Any]) -> None:
        self.own = own
        self.link = link  # positions of the linking columns this block uses (in the whole LP)
        sub = a[rows]
        b_own = sub[:, own]
        b_link = sub[:, link]
        n_r = rows.size
        el = np.flatnonzero(elastic[rows] | (penalty[rows] > 0))
        # slack s >= 0 per elastic row: "<=" rows get -s, ">=" rows +s, "=" rows both
        lo_r, hi_r = rlo[rows], rhi[rows]
        cols_s: list[IntArray] = []
        vals_s: list[FloatArray] = []
        for sign, pick in ((-1.0, np.isfinite(hi_r[el])), (1.0, np.isfinite(lo_r[el]))):
            cols_s.append(el[pick])
            vals_s.append(np.full(int(pick.sum()), sign))
        s_rows = np.concatenate(cols_s)
        s_vals = np.concatenate(vals_s)
        n_s = s_rows.size
        slack = sp.csc_array((s_vals, (s_rows, np.arange(n_s))), shape=(n_r, n_s))
        mat = sp.hstack([b_own, b_link, slack], format="csc")
        self.n_own, self.n_link, self.n_slack = own.size, link.size, n_s
        pen = penalty[rows][s_rows]  # slacks of penalised rows stay available at that cost
        self.slack_ub = np.where(pen > 0, _INF, 0.0)
        self.penalised = pen > 0
        self.cost = np.concatenate([c[own], np.zeros(link.size), pen])
        self.phase1_cost = np.concatenate([np.zeros(own.size + link.size), np.ones(n_s)])
        lb_all = np.concatenate([lb[own], lb[link], np.zeros(n_s)])
        ub_all = np.concatenate([ub[own], ub[link], self.slack_ub])
        self.h = _highs(options)
        _pass_lp(self.h, self.cost, lb_all, ub_all, mat, lo_r, hi_r)
        self.link_idx = np.arange(own.size, own.size + link.size, dtype=np.int32)
        self.slack_idx = np.arange(own.size + link.size, own.size + link.size + n_s, dtype=np.int32)
        self.all_idx = np.arange(self.cost.size, dtype=np.int32)

    def _run(self) -> str:
        """Dual simplex from the last basis, up to :data:`SIMPLEX_ITERATIONS`; then interior point afresh.

        Small moves of the linking point re-solve in a few simplex iterations; a large move can take tens of
        thousands (30 s on a site-year), where interior point takes about 2 s regardless.
        """
        h = self.h
        h.setOptionValue("solver", "simplex")
        h.setOptionValue("simplex_iteration_limit", SIMPLEX_ITERATIONS)
        h.run()
        status = str(h.modelStatusToString(h.getModelStatus()))
        if status not in ("Optimal", "Infeasible"):  # iteration limit (or undecided): interior point afresh
            h.clearSolver()
            h.setOptionValue("solver", "ipm")
            h.setOptionValue("simplex_iteration_limit", 2**31 - 1)  # crossover runs simplex
            h.run()
            status = str(h.modelStatusToString(h.getModelStatus()))
        return status

    def scale_penalty(self, factor: float) -> None:
        """Multiply the cost of the penalised rows' slack by ``factor``."""
        idx = self.slack_idx[self.penalised]
        self.cost[idx] *= factor
        self.h.changeColsCost(idx.size, idx, self.cost[idx])

    def evaluate(self, x: FloatArray) -> tuple[bool, float, FloatArray, FloatArray | None, float]:
        """At the linking point x (whole-LP positions), the block's value, cut coefficients and own columns.

        Returns ``(feasible, value, grad, y, slack)``: for a feasible block the value and subgradient of its
        optimum, its columns' values and the total slack of its penalised rows; else the least total slack and its
        subgradient (y None).
        """
        xl = x[self.link]
        self.h.changeColsBounds(self.n_link, self.link_idx, xl, xl)
        status = self._run()
        if status == "Optimal":
            sol = self.h.getSolution()
            cd = np.asarray(sol.col_dual)
            val = np.asarray(sol.col_value)
            y = val[: self.n_own].copy()
            slack = float(val[self.slack_idx][self.penalised].sum())
            return True, float(self.h.getInfo().objective_function_value), cd[self.link_idx].copy(), y, slack
        if status not in ("Infeasible", "Primal infeasible or unbounded") or self.n_slack == 0:
            raise InputError(f"a block of the decomposition could not be solved: HiGHS reports {status}",
                             field="plan")
        # phase 1: least slack on the elastic rows
        n = self.cost.size
        self.h.changeColsCost(n, self.all_idx, self.phase1_cost)
        self.h.changeColsBounds(self.n_slack, self.slack_idx, np.zeros(self.n_slack), np.full(self.n_slack, _INF))
        status = self._run()
        if status != "Optimal":  # a warm start after the switch can mislead: solve afresh once
            self.h.clearSolver()
            self.h.run()
            status = str(self.h.modelStatusToString(self.h.getModelStatus()))
        try:
            if status != "Optimal":
                raise InputError(f"a block of the decomposition stays infeasible with its elastic rows relaxed "
                                 f"(HiGHS: {status}): some row that cannot be relaxed is infeasible",
                                 field="plan")
            sol = self.h.getSolution()
            cd = np.asarray(sol.col_dual)
            return False, float(self.h.getInfo().objective_function_value), cd[self.link_idx].copy(), None, 0.0
        finally:
            self.h.changeColsCost(n, self.all_idx, self.cost)
            self.h.changeColsBounds(self.n_slack, self.slack_idx, np.zeros(self.n_slack), self.slack_ub)


def solve_blocks(c: FloatArray, a: sp.csr_array | sp.csr_matrix, sense: npt.NDArray[Any], rhs: FloatArray,
                 lb: FloatArray, ub: FloatArray, col_block: IntArray, *, elastic: BoolArray | None = None,
                 penalty: FloatArray | None = None,
                 x0: FloatArray | None = None, valid_rows: tuple[sp.csr_array, FloatArray] | None = None,
                 gap_frac: float = 1e-3, time_limit_s: float = 3600.0,
                 max_iterations: int = 500, step_frac: float = 0.5,
                 block_options: Mapping[str, Any] | None = None, workers: int = 1,
                 slack_tol: float = 1e-6, penalty_growth: float = 10.0, max_penalty_raises: int = 3,
                 progress: Callable[[dict[str, float]], None] | None = None) -> BendersResult:
    """Solve a block-angular LP by Benders decomposition.

    Parameters
    ----------
    c, a, sense, rhs, lb, ub : arrays
        The LP ``min c x s.t. a x (sense) rhs, lb <= x <= ub``; ``sense`` holds ``"<"``, ``">"`` or ``"="`` per row.
    col_block : numpy.ndarray of int
        Per column: its block (0, 1, ...) or -1 for a linking column. Every row may hold columns of one block at
        most (and linking columns); rows with linking columns only go to the master.
    elastic : numpy.ndarray of bool, optional
        Per row: whether it may be relaxed to find a feasibility cut (default: every block row that holds a
        linking column). Rows not marked must be feasible for every linking point the master proposes.
    penalty : numpy.ndarray, optional
        Per row: a cost per unit of violation (0: none). Such rows may always be violated at that cost, so their
        blocks never need feasibility cuts (an exact penalty when it exceeds the row's dual value); the slack left
        at the best point is reported.
    x0 : numpy.ndarray, optional
        A starting point for the linking columns (whole-LP positions; other entries ignored).
    valid_rows : (scipy.sparse.csr_array, numpy.ndarray), optional
        A pool of inequalities ``V x <= v`` over the linking columns (whole-LP positions) that every feasible
        point satisfies, e.g. each hour's capacity with the work the shares send there. Rows the master's point
        violates are added to the master before the blocks are evaluated (lazily: most are never needed), which
        spares the blocks most infeasible points.
    gap_frac : float
        Stop when (upper - lower) <= gap_frac x |upper|.
    time_limit_s : float
        Wall-clock limit [s]; the best point found is returned with its gap.
    max_iterations : int
        Most master solves.
    step_frac : float
        In-out step: blocks are evaluated at ``core + step_frac x (master - core)``.
    block_options : mapping, optional
        Other HiGHS options for the blocks (each block runs dual simplex from its last basis, and interior point
        when that takes more than :data:`SIMPLEX_ITERATIONS` iterations).
    slack_tol, penalty_growth, max_penalty_raises
        If the best point still violates penalised rows by more than ``slack_tol`` in all when the bounds meet,
        the penalties grow by ``penalty_growth`` and the loop goes on (at most ``max_penalty_raises`` times), so
        a penalty set too low is corrected rather than reported as the optimum.
    workers : int
        Blocks solved at once (threads; HiGHS releases the GIL while it solves).
    progress : callable, optional
        Called with each iteration's history record.

    Returns
    -------
    BendersResult

    Raises
    ------
    InputError
        If a row couples two blocks, a block's value is not bounded below by 0, the master is infeasible or a
        block cannot be solved.

    Examples
    --------
    Two sites each buy capacity ``x_b`` [kW] at 1 per kW and serve 3 kW in the first hour and 1 kW in the
    second, from that capacity or from the grid at 0.8 and 0.5 per kWh. The first kW saves 0.8 + 0.5 = 1.3 > 1,
    the second and third save only 0.8, so each site buys 1 kW and pays 1 + 2 x 0.8 = 2.6, 5.2 in all.

    >>> import numpy as np, scipy.sparse as sp
    >>> # columns: x0 x1 | u00 g00 u01 g01 (block 0) | u10 g10 u11 g11 (block 1)
    >>> c = np.array([1, 1, 0, 0.8, 0, 0.5, 0, 0.8, 0, 0.5])
    >>> rows = [[0, 0, 1, 1, 0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 1, 1, 0, 0, 0, 0],   # serve the load
    ...         [0, 0, 0, 0, 0, 0, 1, 1, 0, 0], [0, 0, 0, 0, 0, 0, 0, 0, 1, 1],
    ...         [-1, 0, 1, 0, 0, 0, 0, 0, 0, 0], [-1, 0, 0, 0, 1, 0, 0, 0, 0, 0],  # u <= x
    ...         [0, -1, 0, 0, 0, 0, 1, 0, 0, 0], [0, -1, 0, 0, 0, 0, 0, 0, 1, 0]]
    >>> res = solve_blocks(c, sp.csr_array(np.array(rows, float)), np.array(["="] * 4 + ["<"] * 4),
    ...                    np.array([3, 1, 3, 1, 0, 0, 0, 0.0]), np.zeros(10), np.full(10, np.inf),
    ...                    np.array([-1, -1, 0, 0, 0, 0, 1, 1, 1, 1]))
    >>> round(res.objective, 6), res.status, np.round(res.x[:2], 6).tolist()
    (5.2, 'optimal', [1.0, 1.0])
    """
    t_start = _time.perf_counter()
    a = sp.csr_array(a)
    c = np.asarray(c, dtype=np.float64)
    lb = np.asarray(lb, dtype=np.float64)
    ub = np.asarray(ub, dtype=np.float64)
    col_block = np.asarray(col_block, dtype=np.int64)
    n_rows, n_cols = a.shape
    rlo, rhi = _row_bounds(np.asarray(sense), np.asarray(rhs, dtype=np.float64))
    link = np.flatnonzero(col_block < 0)
    n_blocks = int(col_block.max()) + 1 if n_cols else 0
    if n_blocks == 0:
        raise InputError("the decomposition has no blocks (every column links)", field="plan")
    # block of each row: the largest and smallest block among its columns must agree
    coo = a.tocoo()
    blk = col_block[coo.col]
    row_max = np.full(n_rows, -1, dtype=np.int64)
    np.maximum.at(row_max, coo.row, blk)
    row_min = np.full(n_rows, n_blocks, dtype=np.int64)
    np.minimum.at(row_min, coo.row, np.where(blk < 0, n_blocks, blk))
    coupled = (row_max >= 0) & (row_min != row_max)
    if coupled.any():
        raise InputError(f"{int(coupled.sum())} rows couple two or more blocks (e.g. row {int(np.argmax(coupled))}); "
                         "Benders needs rows within one block", field="plan")
    row_block = row_max
    has_link = np.zeros(n_rows, dtype=bool)
    has_link[coo.row[blk < 0]] = True
    if elastic is None:
        elastic = has_link & (row_block >= 0)
    pen = np.zeros(n_rows) if penalty is None else np.asarray(penalty, dtype=np.float64)
    own_cols = [np.flatnonzero(col_block == b) for b in range(n_blocks)]
    for b, own in enumerate(own_cols):
        if (c[own] < 0).any() or (lb[own] < 0).any():
            raise InputError(f"block {b} has a column with a negative cost or lower bound; its value must be "
                             "bounded below by 0", field="plan")
    opts: dict[str, Any] = {"simplex_strategy": 1}
    opts.update(block_options or {})
    blocks: list[_Block] = []
    a_link = a[:, link]  # once, not per block
    for b in range(n_blocks):
        rows = np.flatnonzero(row_block == b)
        used = np.unique(a_link[rows].tocoo().col) if rows.size else np.array([], dtype=np.int64)
        blocks.append(_Block(c, a, rlo, rhi, lb, ub, own_cols[b], link[used], rows, elastic, pen, opts))

    # master: linking columns, then theta per block
    m_rows = np.flatnonzero(row_block < 0)
    n_link = link.size
    master = _highs({"solver": "simplex"})
    m_a = sp.hstack([a[m_rows][:, link], sp.csr_array((m_rows.size, n_blocks))], format="csc")
    _pass_lp(master, np.concatenate([c[link], np.ones(n_blocks)]), np.concatenate([lb[link], np.zeros(n_blocks)]),
             np.concatenate([ub[link], np.full(n_blocks, _INF)]), m_a, rlo[m_rows], rhi[m_rows])
    pos_in_link = np.full(n_cols, -1, dtype=np.int64)
    pos_in_link[link] = np.arange(n_link)

    def add_cut(b: int, value: float, grad: FloatArray, at: FloatArray, feasible: bool) -> None:
        cols = pos_in_link[blocks[b].link].astype(np.int32)
        rhs_v = value - float(grad @ at[blocks[b].link])
        if feasible:  # theta_b - grad x >= value - grad x^
            idx = np.concatenate([cols, [n_link + b]]).astype(np.int32)
            val = np.concatenate([-grad, [1.0]])
            master.addRow(rhs_v, _INF, idx.size, idx, val)
        else:  # value + grad (x - x^) <= 0
            master.addRow(-_INF, -rhs_v, cols.size, cols, grad)

    best_x: FloatArray | None = None
    best_y: list[FloatArray] | None = None
    upper = np.inf
    lower = -np.inf
    history: list[dict[str, float]] = []
    master_s = blocks_s = 0.0
    n_cuts = 0
    last_slack = [0.0]
    best_slack = 0.0
    pool_ex = ThreadPoolExecutor(max_workers=workers) if workers > 1 else None
    raised = 0

    def evaluate(x_full: FloatArray) -> tuple[bool, float, list[tuple[bool, float, FloatArray]],
                                             list[FloatArray | None]]:
        nonlocal blocks_s
        t = _time.perf_counter()
        if pool_ex is None:
            outs = [blk_.evaluate(x_full) for blk_ in blocks]
        else:
            outs = list(pool_ex.map(lambda blk_: blk_.evaluate(x_full), blocks))
        blocks_s += _time.perf_counter() - t
        feasible = all(o[0] for o in outs)
        total = float(c[link] @ x_full[link]) + sum(o[1] for o in outs) if feasible else np.inf
        last_slack[0] = sum(o[4] for o in outs)
        return feasible, total, [(o[0], o[1], o[2]) for o in outs], [o[3] for o in outs]

    def use(x_full: FloatArray, incumbent: bool = True) -> list[tuple[bool, float, FloatArray]]:
        nonlocal upper, best_x, best_y, n_cuts, best_slack
        feasible, total, cuts, ys = evaluate(x_full)
        for b, (fe, val, g) in enumerate(cuts):
            add_cut(b, val, g, x_full, fe)
            n_cuts += 1
        if incumbent and feasible and total < upper:
            upper = total
            best_x = x_full.copy()
            best_y = [y for y in ys if y is not None]
            best_slack = last_slack[0]
        return cuts

    def record(it_: int, **extra: float) -> None:
        rec = {"iteration": it_, "lower": lower, "upper": upper, "elapsed_s": _time.perf_counter() - t_start,
               "cuts": n_cuts, **extra}
        history.append(rec)
        if progress is not None:
            progress(rec)

    pool: tuple[sp.csr_array, FloatArray] | None = None
    pool_used = np.zeros(0, dtype=bool)
    if valid_rows is not None:
        v_mat = sp.csr_array(valid_rows[0])[:, link]
        pool = (v_mat, np.asarray(valid_rows[1], dtype=np.float64))
        pool_used = np.zeros(v_mat.shape[0], dtype=bool)
    core: FloatArray | None = None
    if x0 is not None:
        x_start = np.zeros(n_cols)
        x_start[link] = np.clip(np.asarray(x0, dtype=np.float64)[link], lb[link], ub[link])
        act = a[m_rows] @ x_start
        tol = 1e-7 * np.maximum(1.0, np.abs(np.where(np.isfinite(rhi[m_rows]), rhi[m_rows], rlo[m_rows])))
        master_ok = bool(((act <= rhi[m_rows] + tol) & (act >= rlo[m_rows] - tol)).all())
        use(x_start, incumbent=master_ok)
        if np.isfinite(upper):
            core = x_start
    status = "iteration_limit"
    it = 0
    for it in range(1, max_iterations + 1):
        t = _time.perf_counter()
        master.run()
        master_s += _time.perf_counter() - t
        mstat = master.modelStatusToString(master.getModelStatus())
        if mstat != "Optimal":
            raise InputError(f"the decomposition's master problem is {mstat.lower()}: no linking point makes every "
                             "block feasible", field="plan")
        sol = np.asarray(master.getSolution().col_value)
        if pool is not None:  # add the pool's violated rows and solve the master again, until none is violated
            viol = pool[0] @ sol[:n_link] - pool[1]
            bad = np.flatnonzero((viol > 1e-6 * np.maximum(1.0, np.abs(pool[1]))) & ~pool_used)
            if bad.size:
                bad = bad[np.argsort(-viol[bad])[:POOL_ROWS_PER_ROUND]]
                pool_used[bad] = True
                for i in bad:
                    r = pool[0][[i]]
                    master.addRow(-_INF, float(pool[1][i]), r.indices.size, r.indices.astype(np.int32),
                                  r.data.astype(np.float64))
                continue
        lower = max(lower, float(master.getInfo().objective_function_value))
        x_m = np.zeros(n_cols)
        x_m[link] = np.clip(sol[:n_link], lb[link], ub[link])  # the master's tolerances may leave -1e-9
        theta = sol[n_link:]
        elapsed = _time.perf_counter() - t_start
        if np.isfinite(upper) and upper - lower <= gap_frac * abs(upper) and best_slack > slack_tol and \
                raised < max_penalty_raises and best_x is not None:
            # converged with some penalised row still violated: the penalty was too low to be exact. Raise it;
            # the cuts stay valid (every block's value only grows) but the upper bound must be found again.
            raised += 1
            for blk_ in blocks:
                blk_.scale_penalty(penalty_growth)
            upper = np.inf
            core, x_again = None, best_x
            best_x = None
            use(x_again)
            if np.isfinite(upper):
                core = best_x
            record(it, penalty_raised=float(raised))
            continue
        if np.isfinite(upper) and upper - lower <= gap_frac * abs(upper):
            status = "optimal"
            record(it)
            break
        if elapsed > time_limit_s:
            status = "time_limit"
            record(it)
            break
        x_sep = x_m if core is None else core + step_frac * (x_m - core)
        before = upper
        cuts = use(x_sep)
        if core is not None and x_sep is not x_m:
            # do the new cuts cut the master's point off? If not, evaluate there too (keeps convergence)
            cut_off = False
            for b, (fe, val, g) in enumerate(cuts):
                lk = blocks[b].link
                lin = val + float(g @ (x_m[lk] - x_sep[lk]))
                if (fe and lin > theta[b] + 1e-7 * max(1.0, abs(lin))) or (not fe and lin > 1e-9):
                    cut_off = True
                    break
            if not cut_off:
                use(x_m)
        if upper < before or (core is None and np.isfinite(upper)):
            core = best_x
        record(it)
    if pool_ex is not None:
        pool_ex.shutdown()
    if best_x is None or best_y is None:
        raise InputError("the decomposition found no point where every block is feasible within its limits",
                         field="plan")
    x = best_x.copy()
    for blk_, y in zip(blocks, best_y, strict=True):
        x[blk_.own] = y
    gap = (upper - lower) / abs(upper) if upper != 0 else 0.0
    return BendersResult(x=x, objective=upper, lower_bound=lower, gap_frac=max(gap, 0.0), status=status,
                         iterations=it, history=history, master_s=master_s, blocks_s=blocks_s,
                         penalised_slack=best_slack)


def linopy_blocks(model: Any, linking: Iterable[str], block_dim: str) -> dict[str, Any]:
    """The matrix form of a linopy model with each column's block (``-1`` for the ``linking`` variables).

    Non-linking variables must have the ``block_dim`` dimension; their block is their position along it.

    Returns
    -------
    dict
        ``c, a, sense, rhs, lb, ub, col_block`` for :func:`solve_blocks` and ``row_name`` (each row's constraint
        name), ``positions`` (per variable name, the column of each of its labels or -1 where masked).
    """
    mat = model.matrices
    if not (np.asarray(mat.var_scaling) == 1).all():
        raise InputError("scaled linopy variables are not supported by the decomposition", field="plan")
    label_to_pos = model.variables.label_index.label_to_pos
    n = len(mat.vlabels)
    col_block = np.full(n, -2, dtype=np.int64)
    linking = set(linking)
    positions: dict[str, xr.DataArray] = {}
    for name, var in model.variables.items():
        labels = np.asarray(var.labels.values)
        mask = labels != -1
        pos = np.full(labels.shape, -1, dtype=np.int64)
        pos[mask] = label_to_pos[labels[mask]]
        positions[name] = xr.DataArray(pos, coords=var.labels.coords, dims=var.dims)
        if name in linking:
            col_block[pos[mask]] = -1
            continue
        if block_dim not in var.dims:
            raise InputError(f"variable {name!r} has no {block_dim!r} dimension and is not linking", field="plan")
        axis = list(var.dims).index(block_dim)
        idx = np.indices(labels.shape)[axis]
        col_block[pos[mask]] = idx[mask]
    row_name = np.empty(len(mat.clabels), dtype=object)
    clabels = np.asarray(mat.clabels)
    order = np.argsort(clabels, kind="stable")
    for name, con in model.constraints.items():
        labels = np.asarray(con.labels.values).ravel()
        labels = labels[labels != -1]
        row_name[order[np.searchsorted(clabels[order], labels)]] = name
    return {"c": np.asarray(mat.c, dtype=np.float64), "a": sp.csr_array(mat.A), "sense": np.asarray(mat.sense),
            "rhs": np.asarray(mat.b, dtype=np.float64), "lb": np.asarray(mat.lb, dtype=np.float64),
            "ub": np.asarray(mat.ub, dtype=np.float64), "col_block": col_block, "row_name": row_name,
            "positions": positions}
