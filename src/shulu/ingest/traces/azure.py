"""Azure public dataset (V1 2017, V2 2019): ``vmtable.csv`` (11 columns, no header).

One shulu job per VM, from its creation to its deletion:

=================  ======================================================================================
shulu              from
=================  ======================================================================================
``submit_time``    ``vmcreated`` [s from the trace's start] + time zero
``duration_s``     ``vmdeleted - vmcreated`` [s] (VMs alive at the trace's end end with it)
``power_kw``       cores of ``vmcorecountbucket`` (``cores_by_bucket``) x ``cpu_w_per_core``
``device``         ``cpu``
``job_class``      by ``vmcategory`` (``class_by_vm_category``: Interactive -> realtime, Delay-insensitive ->
                   cold, Unknown -> warm)
``tenant``         ``subscriptionid``
=================  ======================================================================================

An unknown VM category or core bucket is an error naming its row.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Final

import numpy as np
import pandas as pd

from shulu import units
from shulu.errors import InputError
from shulu.ingest.assumptions import TraceAssumptions
from shulu.ingest.traces.common import RawChunk, csv_chunks, numbers, skip, sniff_columns

NAME: Final[str] = "azure"
VM_COLUMNS: Final[tuple[str, ...]] = ("vmid", "subscriptionid", "deploymentid", "vmcreated", "vmdeleted", "maxcpu",
                                      "avgcpu", "p95maxcpu", "vmcategory", "vmcorecountbucket", "vmmemorybucket")


def _lookup(values: np.ndarray, table: dict[str, object], *, col: str, file: str, row0: int) -> np.ndarray:
    bad = ~np.isin(values, list(table))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(f"expected one of {list(table)}, got {values[i]!r}", file=file, field=col, row=row0 + i)
    return np.array([table[v] for v in values], dtype=object)


def raw_chunks(path: Path, a: TraceAssumptions, *, file: str, chunk_rows: int) -> Iterator[RawChunk]:
    """Raw jobs, chunk by chunk."""
    cols, header = sniff_columns(path, {len(VM_COLUMNS): VM_COLUMNS}, file=file, what="Azure vmtable")
    by_cat = {str(k): v for k, v in a.fmt(NAME, "class_by_vm_category").items()}
    cores_by = {str(k): float(v) for k, v in a.fmt(NAME, "cores_by_bucket").items()}
    for chunk, row0 in csv_chunks(path, cols, file=file, chunk_rows=chunk_rows, header=header,
                                  what="Azure vmtable"):
        skipped: Counter[str] = Counter()
        created = numbers(chunk, "vmcreated", file=file, row0=row0, what="a time [s]")
        deleted = numbers(chunk, "vmdeleted", file=file, row0=row0, what="a time [s]")
        cat = chunk["vmcategory"].str.strip().to_numpy(dtype=object)
        cls = _lookup(cat, dict(by_cat), col="vmcategory", file=file, row0=row0)
        bucket = chunk["vmcorecountbucket"].str.strip().to_numpy(dtype=object)
        cores = _lookup(bucket, dict(cores_by), col="vmcorecountbucket", file=file, row0=row0).astype(np.float64)
        keep = np.isfinite(created) & np.isfinite(deleted) & (deleted > created)
        skip(skipped, ~keep, "no lifetime")
        jobs = pd.DataFrame({
            "submit_s": created[keep], "duration_s": (deleted - created)[keep],
            "power_kw": cores[keep] * a.cpu_w_per_core / units.W_PER_KW,
            "device": np.full(int(keep.sum()), "cpu", dtype=object),
            "job_class": cls[keep],
            "tenant": chunk["subscriptionid"].str.strip().to_numpy(dtype=object)[keep],
        })
        yield RawChunk(jobs, skipped, len(chunk))
