"""Alibaba PAI GPU trace v2020: ``pai_task_table.csv`` (10 columns; its header is shipped separately, so the file
may or may not start with one).

One shulu job per task, from its launch to its completion:

=================  ======================================================================================
shulu              from
=================  ======================================================================================
``submit_time``    ``start_time`` [s] + time zero (a Thursday 00:00 UTC, like the Unix epoch, keeps the
                   trace's local time of day and weekday in UTC+8, as the trace's own note says)
``duration_s``     ``end_time - start_time`` [s]
``power_kw``       ``inst_num x (plan_cpu / 100 x cpu_w_per_core + plan_gpu / 100 x gpu_w[gpu_type])``
``device``         ``gpu`` if ``plan_gpu > 0`` else ``cpu``
``job_class``      by ``task_name`` (``class_by_task_name``; e.g. ``JupyterTask`` is interactive), else the
                   format's ``default_class`` (training)
``tenant``         the format's ``tenant`` (the task table names no users)
=================  ======================================================================================

An empty ``plan_cpu`` or ``plan_gpu`` counts as 0; a task that requests neither is skipped. Only ``Terminated``
tasks are kept (the trace's documentation: only those are successful).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Final

import numpy as np
import pandas as pd

from shulu import units
from shulu.ingest.assumptions import TraceAssumptions
from shulu.ingest.traces.common import RawChunk, csv_chunks, numbers, skip, sniff_columns

NAME: Final[str] = "pai2020"
TASK_COLUMNS: Final[tuple[str, ...]] = ("job_name", "task_name", "inst_num", "status", "start_time", "end_time",
                                        "plan_cpu", "plan_mem", "plan_gpu", "gpu_type")


def raw_chunks(path: Path, a: TraceAssumptions, *, file: str, chunk_rows: int) -> Iterator[RawChunk]:
    """Raw jobs, chunk by chunk."""
    cols, header = sniff_columns(path, {len(TASK_COLUMNS): TASK_COLUMNS}, file=file, what="PAI 2020 pai_task_table")
    statuses = set(a.fmt(NAME, "statuses"))
    by_task = dict(a.fmt(NAME, "class_by_task_name"))
    default_class = a.fmt(NAME, "default_class")
    for chunk, row0 in csv_chunks(path, cols, file=file, chunk_rows=chunk_rows, header=header,
                                  what="PAI 2020 pai_task_table"):
        skipped: Counter[str] = Counter()
        start = numbers(chunk, "start_time", file=file, row0=row0, what="a time [s]")
        end = numbers(chunk, "end_time", file=file, row0=row0, what="a time [s]")
        inst = numbers(chunk, "inst_num", file=file, row0=row0, what="a number of instances")
        cpu = np.nan_to_num(numbers(chunk, "plan_cpu", file=file, row0=row0, what="a CPU request [%]"))
        gpu = np.nan_to_num(numbers(chunk, "plan_gpu", file=file, row0=row0, what="a GPU request [%]"))
        gpu_type = chunk["gpu_type"].str.strip().to_numpy(dtype=object)
        gpu_w = np.array([a.gpu_watts(t) for t in gpu_type], dtype=np.float64)
        inst = np.where(np.isnan(inst), 1.0, inst)
        watts = inst * (cpu / units.PERCENT_PER_FRAC * a.cpu_w_per_core + gpu / units.PERCENT_PER_FRAC * gpu_w)
        keep = np.array(chunk["status"].str.strip().isin(statuses), dtype=bool)
        skip(skipped, ~keep, "status not finished")
        no_time = keep & ~(np.isfinite(start) & np.isfinite(end) & (end > start))
        skip(skipped, no_time, "no run time")
        keep &= ~no_time
        no_res = keep & ~(watts > 0)
        skip(skipped, no_res, "no CPU or GPU request")
        keep &= ~no_res
        task = chunk["task_name"].str.strip().to_numpy(dtype=object)[keep]
        n = int(keep.sum())
        jobs = pd.DataFrame({
            "submit_s": start[keep], "duration_s": (end - start)[keep],
            "power_kw": watts[keep] / units.W_PER_KW,
            "device": np.where(gpu[keep] > 0, "gpu", "cpu").astype(object),
            "job_class": np.array([by_task.get(t, default_class) for t in task], dtype=object),
            "tenant": np.full(n, a.fmt(NAME, "tenant"), dtype=object),
        })
        yield RawChunk(jobs, skipped, len(chunk))
