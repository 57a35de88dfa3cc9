"""Google cluster trace v3 (2019): the ``instance_events`` table, as BigQuery exports it — newline-delimited JSON
(``.json``, ``.jsonl``, optionally ``.gz``; ``resource_request`` nested) — or as a CSV with a header
(``resource_request.cpus`` flattened, also accepted as ``resource_request_cpus`` or ``cpus``).

Each *run* of a task instance — from its ``SCHEDULE`` event to the ``EVICT``, ``FAIL``, ``FINISH``, ``KILL`` or
``LOST`` that ends it — becomes one shulu job:

=================  ======================================================================================
shulu              from
=================  ======================================================================================
``submit_time``    the instance's first ``SUBMIT`` before the run (else the ``SCHEDULE``) ``time`` [us] + time
                   zero; trace time 0 marks events before the trace window (which opens at 600 s)
``duration_s``     end event ``time`` - ``SCHEDULE`` ``time`` [us -> s]
``power_kw``       ``resource_request.cpus`` [NCU, the largest machine = 1] x ``google_w_per_ncu``
``device``         ``cpu``
``job_class``      by ``scheduling_class`` (``class_by_scheduling_class``: 0 cold, 1 warm, 2-3 realtime)
``tenant``         the format's ``tenant`` (instance events name no users)
=================  ======================================================================================

The events of each instance must appear in time order (export with ``ORDER BY time``); the importer keeps only
the instances that are open, so the file streams through in chunks. Alloc-set instances (reservations, not work),
runs still open at the end of the file and runs that end at the trace's end are skipped and counted.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd

from shulu import units
from shulu.errors import InputError
from shulu.ingest.assumptions import TraceAssumptions
from shulu.ingest.traces.common import RawChunk, empty_raw, first_line, open_text

NAME: Final[str] = "google2019"
#: Event type names of the trace format -> their numbers.
EVENT_TYPES: Final[dict[str, int]] = {"SUBMIT": 0, "QUEUE": 1, "ENABLE": 2, "SCHEDULE": 3, "EVICT": 4, "FAIL": 5,
                                      "FINISH": 6, "KILL": 7, "LOST": 8, "UPDATE_PENDING": 9, "UPDATE_RUNNING": 10}
SUBMIT, SCHEDULE = 0, 3
ENDS: Final[frozenset[int]] = frozenset({4, 5, 6, 7, 8})
UPDATES: Final[frozenset[int]] = frozenset({9, 10})
#: ``time`` of events after the end of the trace window (2^63 - 1).
AFTER_END_US: Final[int] = 2**63 - 1
REQUIRED: Final[tuple[str, ...]] = ("time", "type", "collection_id", "instance_index")
_CPU_KEYS = ("resource_request.cpus", "resource_request_cpus", "cpus")


def _records(path: Path, *, file: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """(row, record) pairs from JSON lines or a CSV with a header."""
    head = first_line(path, file).lstrip()
    with open_text(path) as fh:
        if head.startswith("{"):
            for i, line in enumerate(fh):
                if not line.strip():
                    continue
                try:
                    rec = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise InputError(f"malformed JSON line: column {exc.colno}: {exc.msg}", file=file,
                                     row=i) from None
                if not isinstance(rec, dict):
                    raise InputError(f"expected a JSON object per line, got {type(rec).__name__}", file=file, row=i)
                rr = rec.get("resource_request")
                if isinstance(rr, dict):
                    rec["cpus"] = rr.get("cpus")
                yield i, rec
        else:
            reader = csv.DictReader(fh)
            names = [n.strip() for n in (reader.fieldnames or [])]
            missing = [c for c in REQUIRED if c not in names]
            if missing:
                raise InputError(f"bad header: missing column(s) {missing}; expected instance_events columns "
                                 f"{list(REQUIRED)} and resource_request.cpus", file=file, field=missing[0], row=0)
            for i, raw in enumerate(reader):
                if None in raw:
                    raise InputError(f"expected {len(names)} columns, found more", file=file, field="(columns)",
                                     row=i)
                rec = {k.strip(): v for k, v in raw.items() if k is not None}
                rec["cpus"] = next((rec[k] for k in _CPU_KEYS if rec.get(k) not in (None, "")), None)
                yield i, rec


def _int(rec: dict[str, Any], key: str, *, file: str, row: int, required: bool = True) -> int | None:
    v = rec.get(key)
    if v is None or v == "":
        if required:
            raise InputError(f"missing {key!r}", file=file, field=key, row=row)
        return None
    if key == "type" and isinstance(v, str) and v.strip().upper() in EVENT_TYPES:
        return EVENT_TYPES[v.strip().upper()]
    try:
        f = float(v)
    except (TypeError, ValueError):
        raise InputError(f"expected an integer, got {v!r}", file=file, field=key, row=row) from None
    if not f.is_integer():
        raise InputError(f"expected an integer, got {v!r}", file=file, field=key, row=row)
    return int(v) if isinstance(v, int) or (isinstance(v, str) and v.strip().lstrip("-").isdigit()) else int(f)


def raw_chunks(path: Path, a: TraceAssumptions, *, file: str, chunk_rows: int) -> Iterator[RawChunk]:
    """Raw jobs, one chunk per ``chunk_rows`` input events."""
    by_class = {int(k): str(v) for k, v in a.fmt(NAME, "class_by_scheduling_class").items()}
    tenant = a.fmt(NAME, "tenant")
    w_ncu = a.google_w_per_ncu
    open_: dict[tuple[Any, Any], list[Any]] = {}  # key -> [submit_us, schedule_us, cpus, sched_class]
    out: dict[str, list[Any]] = {c: [] for c in ("submit_s", "duration_s", "power_kw", "job_class")}
    skipped: Counter[str] = Counter()
    rows = 0

    def flush() -> RawChunk:
        nonlocal out, skipped, rows
        n = len(out["submit_s"])
        jobs = empty_raw() if n == 0 else pd.DataFrame({
            "submit_s": np.asarray(out["submit_s"], dtype=np.float64),
            "duration_s": np.asarray(out["duration_s"], dtype=np.float64),
            "power_kw": np.asarray(out["power_kw"], dtype=np.float64),
            "device": np.full(n, "cpu", dtype=object),
            "job_class": np.asarray(out["job_class"], dtype=object),
            "tenant": np.full(n, tenant, dtype=object)})
        chunk = RawChunk(jobs, skipped, rows)
        out = {c: [] for c in out}
        skipped, rows = Counter(), 0
        return chunk

    for row, rec in _records(path, file=file):
        rows += 1
        t = _int(rec, "time", file=file, row=row)
        etype = _int(rec, "type", file=file, row=row)
        key = (_int(rec, "collection_id", file=file, row=row), _int(rec, "instance_index", file=file, row=row))
        ctype = _int(rec, "collection_type", file=file, row=row, required=False)
        sclass = _int(rec, "scheduling_class", file=file, row=row, required=False)
        assert t is not None and etype is not None
        if etype not in EVENT_TYPES.values():
            raise InputError(f"expected an event type 0..10, got {rec.get('type')!r}", file=file, field="type",
                             row=row)
        if sclass is not None and sclass not in by_class:
            raise InputError(f"expected a scheduling class in {sorted(by_class)}, got {sclass}", file=file,
                             field="scheduling_class", row=row)
        cpus_raw = rec.get("cpus")
        cpus: float | None = None
        if cpus_raw not in (None, ""):
            try:
                cpus = float(cpus_raw)
            except (TypeError, ValueError):
                raise InputError(f"expected a CPU request [NCU], got {cpus_raw!r}", file=file,
                                 field="resource_request.cpus", row=row) from None
            if not (np.isfinite(cpus) and cpus >= 0):
                raise InputError(f"expected a CPU request >= 0 [NCU], got {cpus_raw!r}", file=file,
                                 field="resource_request.cpus", row=row)
        if ctype == 1:
            skipped["alloc-set events"] += 1
        elif etype in (SUBMIT, SCHEDULE) or etype in UPDATES:
            st = open_.get(key)
            if st is None:
                st = open_[key] = [t, None, None, None]
            if etype == SCHEDULE and st[1] is None:
                st[1] = t
            if cpus is not None:
                st[2] = cpus
            if sclass is not None:
                st[3] = sclass
        elif etype in ENDS:
            st = open_.pop(key, None)
            if st is None or st[1] is None:
                skipped["runs that ended before they started"] += 1
            elif t >= AFTER_END_US:
                skipped["runs open at the trace's end"] += 1
            elif not st[2]:
                skipped["runs with no CPU request"] += 1
            elif t <= st[1]:
                skipped["runs with no run time"] += 1
            else:
                out["submit_s"].append(st[0] / units.US_PER_S)
                out["duration_s"].append((t - st[1]) / units.US_PER_S)
                out["power_kw"].append(st[2] * w_ncu / units.W_PER_KW)
                out["job_class"].append(by_class[st[3] if st[3] is not None else 0])
        if rows >= chunk_rows:
            yield flush()
    n_open = sum(1 for st in open_.values() if st[1] is not None)
    if n_open:
        skipped["runs with no end event in the file"] += n_open
    yield flush()
