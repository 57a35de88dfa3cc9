"""Run a sweep's cells on Dask distributed, resumably, and gather them into one tidy table.

``OUT/`` holds

* ``sweep.json`` — the spec, its cells by id, the shulu version;
* ``cells/<cell_id>.parquet`` — one finished cell's row, written atomically (temporary file + ``os.replace``)
  by the process that submitted the sweep, after its provenance; its presence is what "done" means;
* ``provenance/<cell_id>.json`` — that run's provenance (scenario hash, policy and parameters, seed, versions,
  worker, wall time);
* ``errors/<cell_id>.txt`` — why a cell failed (removed once it succeeds);
* ``results.parquet`` — every finished cell of the current grid, one row per cell id, in grid order.

Resume: a rerun skips every cell whose file exists. Fault tolerance: a cell whose worker dies is rerun by the
Dask scheduler on another worker; a cell that raises is retried ``retries`` times. Either way the result reaches
the submitting process once per cell id (its future's key) and is stored under that id, so reruns cannot add
rows.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
import time
import traceback
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from shulu.errors import InputError
from shulu.sweep.run import SUMMARY_COLUMNS, CellOutput, run_cell
from shulu.sweep.spec import ROW_META, ROW_TAIL, Cell, SweepSpec, expand

CELLS_DIR = "cells"
PROVENANCE_DIR = "provenance"
ERRORS_DIR = "errors"
RESULTS_FILE = "results.parquet"
MANIFEST_FILE = "sweep.json"


@dataclass
class SweepReport:
    """What a sweep run did.

    Attributes
    ----------
    out : Path
        The output folder.
    n_cells : int
        Cells in the grid.
    skipped : int
        Cells already done before this run (not recomputed).
    ran : int
        Cells computed in this run.
    failed : dict
        Cell id -> error, for cells that failed even after their retries (rerun the sweep to try them again).
    results : Path
        ``results.parquet``.
    workers : int
        Dask workers when the sweep started (0 when nothing had to run).
    wall_s : float
        Wall time of this run [s].
    """

    out: Path
    n_cells: int
    skipped: int = 0
    ran: int = 0
    failed: dict[str, str] = field(default_factory=dict)
    results: Path = Path(RESULTS_FILE)
    workers: int = 0
    wall_s: float = 0.0


def _write_atomic(path: Path, write: Callable[[str], None]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _write_text(path: Path, text: str) -> None:
    def write(tmp: str) -> None:
        Path(tmp).write_text(text, encoding="utf-8")

    _write_atomic(path, write)


def done_cells(out: str | os.PathLike[str]) -> set[str]:
    """Ids of the cells whose result file exists in ``out``."""
    folder = Path(out) / CELLS_DIR
    if not folder.is_dir():
        return set()
    return {p.stem for p in folder.glob("*.parquet") if not p.name.startswith(".")}


def store_cell(out: str | os.PathLike[str], output: CellOutput, *, sweep: str = "") -> Path:
    """Store one finished cell: provenance first, then the row (the row's file marks the cell done).

    Both are written atomically and named by the cell id, so storing a cell twice leaves one copy.
    """
    out = Path(out)
    prov = {**output.provenance, "sweep": sweep}
    _write_text(out / PROVENANCE_DIR / f"{output.cell_id}.json", json.dumps(prov, indent=2, default=str) + "\n")
    path = out / CELLS_DIR / f"{output.cell_id}.parquet"
    _write_atomic(path, lambda tmp: pd.DataFrame([output.row]).to_parquet(tmp, index=False))
    (out / ERRORS_DIR / f"{output.cell_id}.txt").unlink(missing_ok=True)
    return path


def consolidate(out: str | os.PathLike[str], cells: list[Cell]) -> pd.DataFrame:
    """Gather the finished cells of ``cells`` into ``out/results.parquet`` (one row per cell id, grid order)."""
    out = Path(out)
    frames = [pd.read_parquet(p) for c in cells if (p := out / CELLS_DIR / f"{c.id}.parquet").exists()]
    if frames:
        df = pd.concat(frames, ignore_index=True).drop_duplicates("cell_id", keep="last").reset_index(drop=True)
    else:
        df = pd.DataFrame(columns=[*ROW_META, *SUMMARY_COLUMNS, *ROW_TAIL])
    df = df.infer_objects()
    df["mape"] = pd.to_numeric(df["mape"]).astype("float64")
    _write_atomic(out / RESULTS_FILE, lambda tmp: df.to_parquet(tmp, index=False))
    return df


def _check_out(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise InputError("expected a folder for the sweep's output, found a file", file=str(out))
    if out.is_dir() and any(out.iterdir()) and not (out / MANIFEST_FILE).exists():
        raise InputError("refusing to write into a non-empty folder that is not a shulu sweep", file=str(out))


def _manifest(spec: SweepSpec, cells: list[Cell]) -> str:
    from shulu import __version__

    return json.dumps({"name": spec.name, "spec": spec.model_dump(mode="json"), "base_dir": str(spec.base_dir),
                       "cells": {c.id: c.model_dump(mode="json") for c in cells}, "shulu_version": __version__,
                       "updated_utc": pd.Timestamp.now(tz="UTC").isoformat()}, indent=2, default=str) + "\n"


def local_cluster(n_workers: int) -> Any:
    """A Dask ``LocalCluster`` of ``n_workers`` processes with one thread each, no dashboard, quiet logs.

    Its scheduler's HTTP endpoint takes a free port, so several clusters can run side by side.
    """
    from distributed import LocalCluster

    return LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True, dashboard_address=None,
                        scheduler_kwargs={"dashboard_address": ":0"}, silence_logs=logging.ERROR)


@contextlib.contextmanager
def dask_client(*, scheduler: str | None = None, workers: int | None = None) -> Iterator[Any]:
    """A Dask client: connected to ``scheduler`` if given, else on a new local cluster, closed on exit.

    Parameters
    ----------
    scheduler : str, optional
        Address of a running Dask scheduler (``tcp://HOST:PORT``).
    workers : int, optional
        Worker processes of the local cluster (one thread each); default the CPU count.

    Raises
    ------
    InputError
        If the scheduler cannot be reached (field ``--scheduler``) or ``workers`` < 1.
    """
    from distributed import Client

    if scheduler is not None:
        try:
            client = Client(scheduler, timeout="15s")
        except (OSError, TimeoutError, ValueError) as exc:
            raise InputError(f"could not reach a Dask scheduler at {scheduler!r}: {exc}", field="--scheduler") from None
        try:
            yield client
        finally:
            client.close()
        return
    n = workers if workers is not None else (os.cpu_count() or 1)
    if n < 1:
        raise InputError(f"expected at least 1 worker, got {n}", field="--workers")
    cluster = local_cluster(n)
    client = Client(cluster)
    try:
        yield client
    finally:
        client.close()
        cluster.close()


def run_sweep(spec: SweepSpec, out: str | os.PathLike[str], *, client: Any = None, scheduler: str | None = None,
              workers: int | None = None, console: Any = None,
              on_result: Callable[[CellOutput], None] | None = None,
              cell_fn: Callable[[Cell], CellOutput] = run_cell) -> SweepReport:
    """Run every cell of a sweep not yet done in ``out``, on Dask, and write ``out/results.parquet``.

    Parameters
    ----------
    spec : SweepSpec
        The sweep (see :func:`shulu.sweep.read_spec`).
    out : path
        Output folder (created; a folder of an earlier run of the same or another grid is resumed).
    client : distributed.Client, optional
        Use this client (left open). Otherwise one is made from ``scheduler`` or a local cluster of ``workers``
        processes (one thread each; default: the CPU count, at most one per cell to run) and closed at the end.
    scheduler : str, optional
        Address of an existing Dask scheduler; its workers must have shulu installed and see a folder scenario's
        path.
    workers : int, optional
        Local cluster size.
    console : rich.console.Console, optional
        Show progress on it.
    on_result : callable, optional
        Called with each cell's output once it is stored.
    cell_fn : callable
        What runs a cell on a worker (default :func:`shulu.sweep.run.run_cell`).

    Returns
    -------
    SweepReport
    """
    started = time.perf_counter()
    out = Path(out)
    if workers is not None and workers < 1:
        raise InputError(f"expected at least 1 worker, got {workers}", field="--workers")
    cells = expand(spec)
    _check_out(out)
    out.mkdir(parents=True, exist_ok=True)
    _write_text(out / MANIFEST_FILE, _manifest(spec, cells))
    done = done_cells(out)
    todo = [c for c in cells if c.id not in done]
    report = SweepReport(out=out, n_cells=len(cells), skipped=len(cells) - len(todo), results=out / RESULTS_FILE)
    if todo:
        if client is not None:
            _run_on(client, spec, out, todo, report, console, on_result, cell_fn)
        else:
            n = workers if workers is not None else min(os.cpu_count() or 1, len(todo))
            with dask_client(scheduler=scheduler, workers=n) as own:
                _run_on(own, spec, out, todo, report, console, on_result, cell_fn)
    consolidate(out, cells)
    report.wall_s = time.perf_counter() - started
    return report


def _worker_shulu() -> str:
    """Runs on each worker: import what a cell needs and say which shulu is there."""
    import shulu.sweep.run  # noqa: F401
    from shulu import __version__

    return __version__


def check_workers(client: Any) -> int:
    """Check that every worker can run cells (shulu importable there); return the number of workers.

    Raises
    ------
    InputError
        If there are no workers, or a worker cannot import shulu (field ``--scheduler``).
    """
    from shulu import __version__

    try:
        client.wait_for_workers(1, timeout=60)
        versions: dict[str, Any] = client.run(_worker_shulu)
    except Exception as exc:  # a worker without shulu, or none at all
        raise InputError(f"the Dask workers cannot run shulu cells ({type(exc).__name__}: {exc}); install shulu "
                         f"{__version__} on every worker", field="--scheduler") from None
    other = {addr: v for addr, v in versions.items() if v != __version__}
    if other:
        addr, v = next(iter(other.items()))
        raise InputError(f"worker {addr} has shulu {v}, this is {__version__}; use the same version everywhere",
                         field="--scheduler")
    return len(versions)


def _run_on(client: Any, spec: SweepSpec, out: Path, todo: list[Cell], report: SweepReport, console: Any,
            on_result: Callable[[CellOutput], None] | None, cell_fn: Callable[[Cell], CellOutput]) -> None:
    from distributed import as_completed

    report.workers = check_workers(client)
    token = uuid.uuid4().hex[:8]  # fresh keys per run, so a resumed run never meets a cancelled key of the last
    futures = [client.submit(cell_fn, c, key=f"cell-{c.id}-{token}", retries=spec.retries, pure=False)
               for c in todo]
    by_key = {f.key: c for f, c in zip(futures, todo, strict=True)}
    progress = None
    if console is not None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        progress = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                            TextColumn("{task.fields[failed]}"), TimeElapsedColumn(), TimeRemainingColumn(),
                            console=console)
        progress.start()
        task = progress.add_task(f"{spec.name} on {report.workers} workers", total=len(todo), failed="")
    try:
        for fut in as_completed(futures):
            cell = by_key[fut.key]
            if fut.status == "finished":
                output = fut.result()
                store_cell(out, output, sweep=spec.name)
                report.ran += 1
                if on_result is not None:
                    on_result(output)
            else:
                try:
                    exc = fut.exception()
                    tb = "".join(traceback.format_exception(type(exc), exc, fut.traceback()))
                except Exception as err:  # cancelled futures have no exception to fetch
                    exc, tb = err, repr(err)
                report.failed[cell.id] = f"{type(exc).__name__}: {exc}"
                _write_text(out / ERRORS_DIR / f"{cell.id}.txt",
                            json.dumps(cell.model_dump(mode="json"), default=str) + "\n" + tb)
            fut.release()
            if progress is not None:
                failed = f"[red]{len(report.failed)} failed[/]" if report.failed else ""
                progress.update(task, advance=1, failed=failed)
    finally:
        pending = [f for f in futures if not f.done()]
        if pending:
            client.cancel(pending)
        if progress is not None:
            progress.stop()
