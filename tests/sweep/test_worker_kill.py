"""Fault tolerance: a Dask worker process killed with SIGKILL mid-sweep loses nothing and duplicates nothing.

Each cell notes on disk which process started it, then takes a moment. Once a cell is under way on one of the two
workers, that worker's process is killed. The scheduler reruns its task elsewhere (the nanny restarts the
worker), and at the end every cell's result is present exactly once — including the interrupted one, which
provably started on the killed process and finished on another.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from factories import make_scenario
from shulu.io import save_scenario
from shulu.sweep import Cell, CellOutput, done_cells, expand, local_cluster, parse_spec, run_cell, run_sweep

pytestmark = pytest.mark.slow

CELL_S = 0.6


def slow_cell_fn(marks: Path) -> Callable[[Cell], CellOutput]:
    """``run_cell``, after leaving a mark ``<cell id>.<pid>`` and pausing a little.

    A closure, so that it travels to the workers by value (this test module is not importable there).
    """
    where = str(marks)

    def slow_cell(cell: Cell) -> CellOutput:
        Path(where, f"{cell.id}.{os.getpid()}").touch()
        time.sleep(CELL_S)
        return run_cell(cell)

    return slow_cell


@pytest.fixture
def client() -> Iterator[Any]:
    from distributed import Client

    with local_cluster(2) as cluster, Client(cluster) as c:
        c.wait_for_workers(2, timeout=60)
        yield c


def started_on(marks: Path) -> dict[str, set[int]]:
    out: dict[str, set[int]] = {}
    for p in marks.iterdir():
        cid, pid = p.name.split(".")
        out.setdefault(cid, set()).add(int(pid))
    return out


def test_killing_a_worker_mid_sweep_loses_and_duplicates_nothing(client: Any, tmp_path: Path) -> None:
    folder = save_scenario(make_scenario(n_jobs=10, hours=24), tmp_path / "scn")
    spec = parse_spec({"name": "kill", "scenario": str(folder),
                       "grid": {"policy": ["local", "greenest-now"], "seed": list(range(6))}, "retries": 0})
    cells = expand(spec)
    n = len(cells)
    marks = tmp_path / "marks"
    marks.mkdir()
    killed: list[int] = []
    received: list[str] = []

    def kill_once(o: CellOutput) -> None:
        received.append(o.cell_id)
        if killed:
            return
        # wait until some worker is in the middle of a cell whose result has not come back, then kill it
        pids = set(client.run(os.getpid).values())
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            busy = [(cid, pid) for cid, ps in started_on(marks).items() for pid in ps
                    if pid in pids and cid not in received]
            if busy:
                os.kill(busy[0][1], signal.SIGKILL)
                killed.append(busy[0][1])
                return
            time.sleep(0.02)
        raise AssertionError("no cell under way to interrupt")

    rep = run_sweep(spec, tmp_path / "out", client=client, on_result=kill_once,
                    cell_fn=slow_cell_fn(marks))

    assert killed, "no worker was killed"
    assert rep.failed == {} and rep.ran == n
    df = pd.read_parquet(rep.results)
    assert len(df) == n and df["cell_id"].is_unique
    assert set(df["cell_id"]) == {c.id for c in cells} == done_cells(tmp_path / "out")
    assert len(received) == n and len(set(received)) == n  # each result reached the sweep once
    # at least one cell was under way on the killed process and was finished by another
    starts = started_on(marks)
    rerun = [cid for cid, pids in starts.items() if killed[0] in pids and len(pids) > 1]
    assert rerun
    finished_by = dict(zip(df["cell_id"], df["worker"].str.rsplit(":", n=1).str[1].astype(int), strict=True))
    assert all(finished_by[cid] != killed[0] for cid in rerun)
    # the worker came back (its nanny restarted it) and the cluster is whole again
    client.wait_for_workers(2, timeout=30)
    assert killed[0] not in set(client.run(os.getpid).values())
    assert len(list((tmp_path / "out" / "provenance").iterdir())) == n
