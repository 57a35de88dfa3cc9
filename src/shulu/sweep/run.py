"""Running one sweep cell: a pure function from a :class:`~shulu.sweep.spec.Cell` to one result row.

:func:`run_cell` is what a Dask worker executes. It builds (or loads) the cell's scenario — cached per process,
so a worker running many cells of one scenario builds it once — simulates it and returns the row (the cell's
parameters, every summary field, the wall time) and the run's provenance. It writes nothing: the process that
submitted the cells stores them, so workers need no access to the output folder.
"""

from __future__ import annotations

import functools
import json
import os
import socket
import time
from dataclasses import dataclass
from typing import Any

import pandas as pd

from shulu import units
from shulu.errors import InputError
from shulu.model.scenario import Scenario
from shulu.model.workload import Workload
from shulu.runner import simulate
from shulu.sim.result import SUMMARY_FIELDS
from shulu.sweep.spec import CORE_AXES, Cell

#: Summary fields in a row, in :data:`shulu.sim.result.SUMMARY_FIELDS` order (``wall_s``: the simulation alone).
SUMMARY_COLUMNS: tuple[str, ...] = tuple(f[0] for f in SUMMARY_FIELDS)


@dataclass(frozen=True)
class CellOutput:
    """What one cell produced.

    Attributes
    ----------
    cell_id : str
        The cell's id.
    row : dict
        One result row: ``cell_id``, ``scenario``, ``scenario_hash``, the core axes, the parameter axes,
        ``policy_params`` (JSON), every summary field, ``cell_wall_s`` [s], ``worker``, ``finished_utc``.
    provenance : dict
        The simulation's provenance plus the cell, its id and the worker.
    """

    cell_id: str
    row: dict[str, Any]
    provenance: dict[str, Any]


def cut_horizon(scenario: Scenario, days: int) -> Scenario:
    """The first ``days`` of a scenario: the horizon cut and only the jobs submitted within it.

    Parameters
    ----------
    scenario : Scenario
        The full scenario.
    days : int
        New horizon [day].

    Raises
    ------
    InputError
        If the scenario is shorter, or the cut is not a whole number of steps (field ``scenario.days``).
    """
    length_s = int(days * units.SECONDS_PER_DAY)
    end = scenario.start + pd.Timedelta(seconds=length_s)
    if end > scenario.end:
        raise InputError(f"expected at most the scenario's {(scenario.end - scenario.start).days} days, got {days}",
                         field="scenario.days")
    if length_s % scenario.step_s:
        raise InputError(f"{days} days is not a whole number of {scenario.step_s} s steps", field="scenario.days")
    f = scenario.workload.frame
    keep = (f["submit_time"] < end).to_numpy()
    return scenario.replace(end=end, workload=Workload(f.loc[keep].reset_index(drop=True)),
                            description=f"{scenario.description} [first {days} days]".strip())


@functools.lru_cache(maxsize=2)
def _scenario(key_json: str, location: str | None) -> Scenario:
    key = json.loads(key_json)
    if "builtin" in key:
        from shulu.data.china import build_china_scenario

        scn = build_china_scenario(int(key["year"]), n_jobs=int(key["jobs"]), seed=int(key["seed"]),
                                   step_s=int(key["step_s"]))
    else:
        from shulu.io import load_scenario

        scn = load_scenario(location or key["path"])
    if key.get("days"):
        scn = cut_horizon(scn, int(key["days"]))
    return scn


def cell_scenario(cell: Cell) -> Scenario:
    """The scenario a cell runs on (built or loaded once per process and kept for the next cells)."""
    return _scenario(json.dumps(cell.scenario, sort_keys=True), cell.location)


def run_cell(cell: Cell) -> CellOutput:
    """Simulate one cell.

    Parameters
    ----------
    cell : Cell
        Scenario, policy and parameters, dispatch rule, seed.

    Returns
    -------
    CellOutput
        The row and the provenance; the same numbers as ``shulu.simulate`` on the same inputs.
    """
    started = time.perf_counter()
    scn = cell_scenario(cell)
    kwargs = cell.policy_kwargs()
    res = simulate(scn, cell.policy, dispatch=cell.dispatch, seed=cell.seed, **kwargs)
    ident = cell.id
    worker = f"{socket.gethostname()}:{os.getpid()}"
    row: dict[str, Any] = {"cell_id": ident, "scenario": scn.name, "scenario_hash": res.provenance["scenario_hash"]}
    row.update({k: getattr(cell, k) for k in CORE_AXES})
    row.update(cell.axes)
    row["policy_params"] = json.dumps(kwargs, sort_keys=True, default=str)
    row.update({k: res.summary[k] for k in SUMMARY_COLUMNS})
    wall = time.perf_counter() - started
    finished = pd.Timestamp.now(tz="UTC").isoformat()
    row.update({"cell_wall_s": wall, "worker": worker, "finished_utc": finished})
    prov = {**res.provenance, "cell_id": ident, "cell": cell.model_dump(mode="json"), "policy_kwargs": kwargs,
            "worker": worker, "cell_wall_s": wall, "finished_utc": finished}
    return CellOutput(cell_id=ident, row=row, provenance=prov)
