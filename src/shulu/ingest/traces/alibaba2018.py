"""Alibaba cluster trace v2018: ``batch_task.csv`` (9 columns) or ``batch_instance.csv`` (14 columns), no header.

One shulu job per task (or per instance), from its start to its end time:

=================  ======================================================================================
shulu              from
=================  ======================================================================================
``submit_time``    ``start_time`` [s since the trace's start] + time zero (the trace has no submit time)
``duration_s``     ``end_time - start_time`` [s]; rows with no run time are skipped
``power_kw``       task: ``instance_num x plan_cpu / 100`` cores; instance: ``cpu_max / 100`` cores
                   (``cpu_avg`` if missing) — times ``cpu_w_per_core``
``device``         ``cpu``
``job_class``      the format's ``default_class`` (every row is a batch task)
``tenant``         the format's ``tenant`` (the trace names no users)
=================  ======================================================================================

Only rows whose ``status`` is in the format's ``statuses`` (``Terminated``) are kept.
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

NAME: Final[str] = "alibaba2018"
TASK_COLUMNS: Final[tuple[str, ...]] = ("task_name", "instance_num", "job_name", "task_type", "status",
                                        "start_time", "end_time", "plan_cpu", "plan_mem")
INSTANCE_COLUMNS: Final[tuple[str, ...]] = ("instance_name", "task_name", "job_name", "task_type", "status",
                                            "start_time", "end_time", "machine_id", "seq_no", "total_seq_no",
                                            "cpu_avg", "cpu_max", "mem_avg", "mem_max")


def raw_chunks(path: Path, a: TraceAssumptions, *, file: str, chunk_rows: int) -> Iterator[RawChunk]:
    """Raw jobs, chunk by chunk."""
    cols, header = sniff_columns(path, {len(TASK_COLUMNS): TASK_COLUMNS, len(INSTANCE_COLUMNS): INSTANCE_COLUMNS},
                                 file=file, what="Alibaba 2018 batch_task or batch_instance")
    is_task = len(cols) == len(TASK_COLUMNS)
    statuses = set(a.fmt(NAME, "statuses"))
    w_core = a.cpu_w_per_core
    for chunk, row0 in csv_chunks(path, cols, file=file, chunk_rows=chunk_rows, header=header,
                                  what="Alibaba 2018 " + ("batch_task" if is_task else "batch_instance")):
        skipped: Counter[str] = Counter()
        start = numbers(chunk, "start_time", file=file, row0=row0, what="a time [s]")
        end = numbers(chunk, "end_time", file=file, row0=row0, what="a time [s]")
        if is_task:
            inst = numbers(chunk, "instance_num", file=file, row0=row0, what="a number of instances")
            cpu = numbers(chunk, "plan_cpu", file=file, row0=row0, what="a CPU request [100 = 1 core]")
            cores = inst * cpu / units.PERCENT_PER_FRAC
        else:
            cmax = numbers(chunk, "cpu_max", file=file, row0=row0, what="a CPU use [100 = 1 core]")
            cavg = numbers(chunk, "cpu_avg", file=file, row0=row0, what="a CPU use [100 = 1 core]")
            cores = np.where(np.isnan(cmax), cavg, cmax) / units.PERCENT_PER_FRAC
        status_ok = chunk["status"].str.strip().isin(statuses).to_numpy()
        keep = status_ok.copy()
        skip(skipped, ~keep, "status not finished")
        no_time = keep & ~(np.isfinite(start) & np.isfinite(end) & (end > start))
        skip(skipped, no_time, "no run time")
        keep &= ~no_time
        no_cpu = keep & ~(np.isfinite(cores) & (cores > 0))
        skip(skipped, no_cpu, "no CPU figure")
        keep &= ~no_cpu
        n = int(keep.sum())
        jobs = pd.DataFrame({
            "submit_s": start[keep], "duration_s": (end - start)[keep],
            "power_kw": cores[keep] * w_core / units.W_PER_KW,
            "device": np.full(n, "cpu", dtype=object),
            "job_class": np.full(n, a.fmt(NAME, "default_class"), dtype=object),
            "tenant": np.full(n, a.fmt(NAME, "tenant"), dtype=object),
        })
        yield RawChunk(jobs, skipped, len(chunk))
