"""What every trace importer shares: options, chunked CSV reading, mapping raw jobs to the workload table.

A format module turns each chunk of its file into *raw jobs*: a frame with ``submit_s`` (seconds since the trace's
time zero), ``duration_s``, ``power_kw``, ``device``, ``job_class`` and ``tenant``, plus a count of the rows it
skipped and why. :func:`to_workload` then places them in time, draws each job's demand region, fills slack,
latency limit, pausability and data from the class assumptions, numbers the jobs, and validates the chunk with
:meth:`shulu.model.workload.Workload.from_frame`. Only one chunk is in memory at a time (Google's event stream also
keeps the instances that are open), so a multi-GB trace streams through.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from shulu import units
from shulu.errors import InputError
from shulu.ingest.assumptions import TraceAssumptions, load_assumptions
from shulu.model.workload import COLUMN_NAMES, Workload
from shulu.timeindex import to_utc

FloatArray = npt.NDArray[np.float64]
#: Rows per chunk by default.
CHUNK_ROWS = 200_000
RAW_COLUMNS = ("submit_s", "duration_s", "power_kw", "device", "job_class", "tenant")


@dataclass(frozen=True)
class TraceOptions:
    """How a trace is placed into a scenario.

    Parameters
    ----------
    time_zero : timestamp, optional
        The instant trace second 0 maps to (timezone-aware); default the format's (see the assumptions file).
    origins : sequence of str
        Demand regions the jobs come from; each job draws one (traces carry no geography).
    weights : sequence of float, optional
        Relative share of each origin (default equal).
    seed : int
        Seed of the origin draw.
    start, end : timestamp, optional
        Keep only jobs submitted in ``[start, end)`` (a scenario's horizon).
    limit : int, optional
        Stop after this many jobs.
    chunk_rows : int
        Input rows read at a time.
    assumptions : TraceAssumptions, optional
        Default: the built-in file.
    """

    time_zero: Any = None
    origins: Sequence[str] = ("trace",)
    weights: Sequence[float] | None = None
    seed: int = 0
    start: Any = None
    end: Any = None
    limit: int | None = None
    chunk_rows: int = CHUNK_ROWS
    assumptions: TraceAssumptions | None = None


@dataclass
class ImportReport:
    """What an import read, kept and skipped (with reasons)."""

    rows: int = 0
    jobs: int = 0
    skipped: Counter[str] = field(default_factory=Counter)

    def summary(self) -> str:
        """One line: rows read, jobs written, skips by reason."""
        skips = ", ".join(f"{n:,} {why}" for why, n in sorted(self.skipped.items())) or "none"
        return f"{self.rows:,} rows read, {self.jobs:,} jobs kept; skipped: {skips}"


@dataclass
class RawChunk:
    """Raw jobs of one chunk and the rows skipped in it."""

    jobs: pd.DataFrame
    skipped: Counter[str]
    rows: int


def open_text(path: Path) -> IO[str]:
    """Open a text file, gzip-compressed if it ends in .gz."""
    if path.suffix == ".gz":
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8")
    return open(path, encoding="utf-8", newline="")


def first_line(path: Path, file: str) -> str:
    """The first line of a file (an error if it is missing or empty)."""
    try:
        with open_text(path) as fh:
            line = fh.readline()
    except FileNotFoundError:
        raise InputError("file not found", file=file) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"could not read: {exc}", file=file) from None
    if not line.strip():
        raise InputError("the file is empty", file=file, row=0)
    return line


_LINE_RE = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")


def csv_chunks(path: Path, columns: Sequence[str], *, file: str, chunk_rows: int, header: bool,
               what: str) -> Iterator[tuple[pd.DataFrame, int]]:
    """Read a CSV in chunks of strings with the given column names; yields (chunk, first data row number).

    Parameters
    ----------
    header : bool
        The file starts with a header row (skipped; data row numbers start after it).
    what : str
        The format, for error messages.
    """
    try:
        reader = pd.read_csv(path, header=None, names=list(columns), dtype=str, keep_default_na=False,
                             chunksize=chunk_rows, skiprows=1 if header else 0, compression="infer",
                             skip_blank_lines=True)
    except FileNotFoundError:
        raise InputError("file not found", file=file) from None
    row0 = 0
    try:
        for chunk in reader:
            yield chunk.reset_index(drop=True), row0
            row0 += len(chunk)
    except pd.errors.ParserError as exc:
        m = _LINE_RE.search(str(exc))
        if m is None:
            raise InputError(f"malformed CSV: {exc}", file=file) from None
        _, line, saw = (int(g) for g in m.groups())
        raise InputError(f"expected {len(columns)} columns ({', '.join(columns)}) of {what}, found {saw}",
                         file=file, field="(columns)", row=line - 1 - (1 if header else 0)) from None
    except UnicodeDecodeError as exc:
        raise InputError(f"expected UTF-8 text: {exc}", file=file, row=row0) from None


def sniff_columns(path: Path, layouts: dict[int, Sequence[str]], *, file: str, what: str
                  ) -> tuple[Sequence[str], bool]:
    """Pick a column layout by the first line's field count; a first line equal to the names is a header.

    Returns
    -------
    (columns, has_header)
    """
    line = first_line(path, file)
    fields = next(csv.reader([line]))
    cols = layouts.get(len(fields))
    if cols is None:
        options = "; ".join(f"{n} columns: {', '.join(c)}" for n, c in layouts.items())
        raise InputError(f"bad header or row: expected a {what} file with {options} — found {len(fields)} fields "
                         f"in line 1", file=file, field="(columns)", row=0)
    norm = [f.strip().lower() for f in fields]
    if norm == [c.lower() for c in cols]:
        return cols, True
    looks_like_header = all(not _numberish(f) for f in fields) and any(f.strip() for f in fields)
    if looks_like_header:
        raise InputError(f"bad header: expected the columns {', '.join(cols)} (or no header), found "
                         f"{', '.join(f.strip() for f in fields)}", file=file, field="(header)", row=0)
    return cols, False


def _numberish(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def numbers(chunk: pd.DataFrame, col: str, *, file: str, row0: int, what: str) -> FloatArray:
    """A column as float64: empty -> NaN; other text that is not a number is an error naming row and column."""
    s = chunk[col]
    v = pd.to_numeric(s, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    empty = (s.astype(str).str.strip() == "").to_numpy()
    bad = np.isnan(v) & ~empty
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(f"expected {what}, got {s.iloc[i]!r}", file=file, field=col, row=row0 + i)
    return v


def skip(counter: Counter[str], mask: npt.NDArray[np.bool_], reason: str) -> None:
    """Count the rows of ``mask`` as skipped for ``reason``."""
    n = int(mask.sum())
    if n:
        counter[reason] += n


class WorkloadBuilder:
    """Turns raw-job chunks into validated workload chunks, with state carried across chunks.

    Parameters
    ----------
    fmt : str
        Format name (for its default time zero).
    options : TraceOptions
    file : str
        For error messages.
    """

    def __init__(self, fmt: str, options: TraceOptions, *, file: str) -> None:
        self.file = file
        self.a = options.assumptions or load_assumptions()
        tz0 = options.time_zero if options.time_zero is not None else self.a.fmt(fmt, "time_zero")
        self.time_zero = to_utc(tz0, field="time_zero")
        origins = [str(o) for o in options.origins]
        if not origins:
            raise InputError("expected at least one origin (demand region)", field="origins")
        w = np.ones(len(origins)) if options.weights is None else np.asarray(options.weights, dtype=np.float64)
        if w.shape != (len(origins),) or not np.all(np.isfinite(w)) or (w < 0).any() or w.sum() <= 0:
            raise InputError(f"expected one weight >= 0 per origin (not all 0), got {list(w)}", field="weights")
        self.origins = np.array(origins, dtype=object)
        self.cdf = np.cumsum(w) / w.sum()
        self.rng = np.random.default_rng(options.seed)
        self.start = to_utc(options.start, field="start") if options.start is not None else None
        self.end = to_utc(options.end, field="end") if options.end is not None else None
        self.limit = options.limit
        self.next_id = 0
        self.report = ImportReport()

    @property
    def done(self) -> bool:
        """The job limit is reached."""
        return self.limit is not None and self.next_id >= self.limit

    def build(self, raw: RawChunk) -> pd.DataFrame:
        """Validated workload rows (:data:`shulu.model.workload.JOB_COLUMNS`) of one raw chunk."""
        self.report.rows += raw.rows
        self.report.skipped.update(raw.skipped)
        jobs = raw.jobs
        submit_ns = self.time_zero.value + np.round(jobs["submit_s"].to_numpy(dtype=np.float64)
                                                    * units.NS_PER_S).astype(np.int64)
        keep = np.ones(len(jobs), dtype=bool)
        if self.start is not None:
            before = submit_ns < self.start.value
            skip(self.report.skipped, before, "before the horizon")
            keep &= ~before
        if self.end is not None:
            after = submit_ns >= self.end.value
            skip(self.report.skipped, after & keep, "after the horizon")
            keep &= ~after
        if self.limit is not None:
            room = max(0, self.limit - self.next_id)
            idx = np.flatnonzero(keep)
            if idx.size > room:
                over = np.zeros(len(jobs), dtype=bool)
                over[idx[room:]] = True
                skip(self.report.skipped, over, "over the job limit")
                keep &= ~over
        jobs = jobs[keep].reset_index(drop=True)
        submit_ns = submit_ns[keep]
        n = len(jobs)
        if n == 0:
            return pd.DataFrame(columns=list(COLUMN_NAMES))
        cls = jobs["job_class"].to_numpy(dtype=object)
        defaults = self.a.classes

        def per_class(attr: str) -> npt.NDArray[Any]:
            return np.array([getattr(defaults[c], attr) for c in cls]) if n else np.array([])

        u = self.rng.random(n)
        origin = self.origins[np.minimum(np.searchsorted(self.cdf, u, side="right"), len(self.origins) - 1)]
        frame = pd.DataFrame({
            "job_id": np.arange(self.next_id, self.next_id + n, dtype=np.int64),
            "tenant": jobs["tenant"].astype(str).to_numpy(dtype=object),
            "origin": origin,
            "submit_time": pd.DatetimeIndex(submit_ns, tz="UTC") if n else pd.DatetimeIndex([], tz="UTC"),
            "duration_s": jobs["duration_s"].to_numpy(dtype=np.float64),
            "power_kw": jobs["power_kw"].to_numpy(dtype=np.float64),
            "device": jobs["device"].to_numpy(dtype=object),
            "slack_s": per_class("slack_s").astype(np.float64),
            "max_latency_ms": per_class("max_latency_ms").astype(np.float64),
            "data_gb": per_class("data_gb").astype(np.float64),
            "interruptible": per_class("interruptible").astype(bool),
            "job_class": cls,
        }, columns=list(COLUMN_NAMES))
        self.next_id += n
        self.report.jobs += n
        return Workload.from_frame(frame, file=self.file).frame


def empty_raw() -> pd.DataFrame:
    """A raw-jobs frame with no rows."""
    return pd.DataFrame({c: pd.Series([], dtype=object if c in ("device", "job_class", "tenant") else np.float64)
                         for c in RAW_COLUMNS})
