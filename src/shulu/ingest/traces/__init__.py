"""Public workload traces -> shulu's workload table, streamed chunk by chunk.

Formats (``shulu trace import --format``):

===============  ===================================================================================
``alibaba2018``  Alibaba cluster trace v2018, ``batch_task.csv`` or ``batch_instance.csv``
``pai2020``      Alibaba PAI GPU trace v2020, ``pai_task_table.csv``
``google2019``   Google cluster trace v3 (2019), ``instance_events`` (BigQuery JSON lines or CSV)
``azure``        Azure public dataset (2017/2019), ``vmtable.csv``
===============  ===================================================================================

Traces say when work ran and how big it was, not where its users are, how long it may wait or how much data it
carries: those come from :class:`TraceOptions` (demand regions and their weights) and the assumptions file
(:mod:`shulu.ingest.assumptions`). Each module's docstring has its mapping table.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd
import pyarrow as pa

from shulu.errors import InputError
from shulu.ingest.assumptions import TraceAssumptions, load_assumptions
from shulu.ingest.common import parquet_stream, write_table
from shulu.ingest.traces import alibaba2018, azure, google2019, pai2020
from shulu.ingest.traces.common import ImportReport, RawChunk, TraceOptions, WorkloadBuilder
from shulu.model.workload import COLUMN_NAMES, Workload

RawReader = Callable[..., Iterator[RawChunk]]
#: Format name -> (reader of raw chunks, one-line description).
TRACE_FORMATS: dict[str, tuple[RawReader, str]] = {
    "alibaba2018": (alibaba2018.raw_chunks, "Alibaba cluster trace 2018: batch_task.csv or batch_instance.csv"),
    "pai2020": (pai2020.raw_chunks, "Alibaba PAI GPU trace 2020: pai_task_table.csv"),
    "google2019": (google2019.raw_chunks, "Google cluster trace 2019: instance_events (JSON lines or CSV)"),
    "azure": (azure.raw_chunks, "Azure public dataset: vmtable.csv"),
}

#: Arrow schema of the workload Parquet file written by :func:`import_trace`.
WORKLOAD_SCHEMA = pa.schema([
    ("job_id", pa.int64()), ("tenant", pa.string()), ("origin", pa.string()),
    ("submit_time", pa.timestamp("ns", tz="UTC")), ("duration_s", pa.float64()), ("power_kw", pa.float64()),
    ("device", pa.string()), ("slack_s", pa.float64()), ("max_latency_ms", pa.float64()),
    ("data_gb", pa.float64()), ("interruptible", pa.bool_()), ("job_class", pa.string()),
])


def iter_workload(fmt: str, path: str | os.PathLike[str], options: TraceOptions | None = None
                  ) -> tuple[Iterator[pd.DataFrame], WorkloadBuilder]:
    """Validated workload chunks of a trace, and the builder whose ``report`` counts what was kept and skipped.

    Parameters
    ----------
    fmt : str
        One of :data:`TRACE_FORMATS`.
    path : path
        The trace file.
    options : TraceOptions, optional
        Placement in time and space, chunk size, limit.
    """
    if fmt not in TRACE_FORMATS:
        raise InputError(f"unknown trace format {fmt!r}; expected one of {list(TRACE_FORMATS)}", field="--format")
    opts = options or TraceOptions()
    if opts.chunk_rows < 1:
        raise InputError(f"expected chunk_rows >= 1, got {opts.chunk_rows}", field="chunk_rows")
    a: TraceAssumptions = opts.assumptions or load_assumptions()
    p = Path(path)
    file = str(p)
    builder = WorkloadBuilder(fmt, TraceOptions(**{**opts.__dict__, "assumptions": a}), file=file)
    reader = TRACE_FORMATS[fmt][0]

    def gen() -> Iterator[pd.DataFrame]:
        for raw in reader(p, a, file=file, chunk_rows=opts.chunk_rows):
            frame = builder.build(raw)
            if len(frame):
                yield frame
            if builder.done:
                return

    return gen(), builder


def read_trace(fmt: str, path: str | os.PathLike[str], options: TraceOptions | None = None
               ) -> tuple[Workload, ImportReport]:
    """A whole trace as a :class:`~shulu.model.workload.Workload` (for traces that fit in memory)."""
    chunks, builder = iter_workload(fmt, path, options)
    frames = list(chunks)
    if not frames:
        return Workload.empty(), builder.report
    df = pd.concat(frames, ignore_index=True)
    return Workload.from_frame(df, file=str(path)), builder.report


def _arrow(frame: pd.DataFrame) -> pa.Table:
    out = frame.copy()
    for col in ("device", "job_class", "tenant", "origin"):
        out[col] = out[col].astype(str)
    return pa.Table.from_pandas(out[list(COLUMN_NAMES)], schema=WORKLOAD_SCHEMA, preserve_index=False)


def import_trace(fmt: str, path: str | os.PathLike[str], out: str | os.PathLike[str],
                 options: TraceOptions | None = None) -> ImportReport:
    """Stream a trace into a workload table at ``out`` (.parquet streamed chunk by chunk; .csv held in memory).

    The output is written to a temporary file and renamed into place only when the whole trace has been read
    without error: a bad row leaves no output behind.

    Returns
    -------
    ImportReport
        Rows read, jobs written, rows skipped by reason.
    """
    outp = Path(out)
    chunks, builder = iter_workload(fmt, path, options)
    if outp.suffix == ".parquet":
        with parquet_stream(outp, WORKLOAD_SCHEMA) as writer:
            wrote = False
            for frame in chunks:
                writer.write_table(_arrow(frame))
                wrote = True
            if not wrote:
                writer.write_table(WORKLOAD_SCHEMA.empty_table())
    elif outp.suffix == ".csv":
        frames = list(chunks)
        df = pd.concat(frames, ignore_index=True) if frames else Workload.empty().frame
        write_table(df, outp)
    else:
        raise InputError(f"expected an output file ending in .parquet or .csv, got {outp.name!r}", field="--out")
    return builder.report


__all__ = ["TRACE_FORMATS", "WORKLOAD_SCHEMA", "ImportReport", "TraceOptions", "import_trace", "iter_workload",
           "read_trace"]
