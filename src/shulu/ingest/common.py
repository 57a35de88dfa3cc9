"""Helpers every importer shares: reading JSON, parsing times with source row numbers, atomic output files."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from shulu.errors import InputError
from shulu.timeindex import series_to_utc

IntArray = npt.NDArray[np.int64]


def read_json(path: str | os.PathLike[str]) -> Any:
    """Parse a JSON file; a syntax error names the line and column.

    Raises
    ------
    InputError
        If the file is missing or is not valid JSON.
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError("file not found", file=str(p)) from None
    except UnicodeDecodeError as exc:
        raise InputError(f"expected UTF-8 text ({exc.reason} at byte {exc.start})", file=str(p)) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"malformed JSON: line {exc.lineno}, column {exc.colno}: {exc.msg}", file=str(p)) from None


def parse_times(values: Sequence[Any] | pd.Series, *, field: str, file: str | None,
                rows: IntArray | None = None, assume_utc: bool = False) -> pd.DatetimeIndex:
    """Parse a column of timestamps to UTC; naive ones are errors unless the source declares UTC.

    Parameters
    ----------
    values : sequence
        Timestamps (ISO 8601 strings or datetimes).
    field : str
        Column name for error messages.
    file : str, optional
        File name for error messages.
    rows : array of int, optional
        Source row number of each value (default 0, 1, ...), used in error messages.
    assume_utc : bool
        The source says its times are UTC (e.g. a column named ``Datetime (UTC)``): naive values are read as UTC.

    Returns
    -------
    pandas.DatetimeIndex
        tz = UTC.
    """
    ser = pd.Series(values, dtype=object) if not isinstance(values, pd.Series) else values.reset_index(drop=True)
    if assume_utc:
        parsed = pd.to_datetime(ser, errors="coerce", utc=True, format="ISO8601")
        bad = parsed.isna().to_numpy()
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise InputError(f"expected an ISO 8601 timestamp, got {ser.iloc[i]!r}", file=file, field=field,
                             row=int(rows[i]) if rows is not None else i)
        return pd.DatetimeIndex(parsed)
    try:
        return series_to_utc(ser, field=field, file=file)
    except InputError as exc:
        row = exc.row
        if row is not None and rows is not None:
            row = int(rows[row])
        raise InputError(exc.message, file=file, field=field, row=row) from None


def to_float(values: pd.Series, *, field: str, file: str | None, rows: IntArray | None = None,
             what: str = "a number", allow_missing: bool = False) -> npt.NDArray[np.float64]:
    """Parse a column as float64; the first bad (or missing, unless allowed) value is an error naming its row."""
    v = pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    raw_missing = values.isna().to_numpy() | (values.astype(str).str.strip() == "").to_numpy()
    bad = np.isnan(v) & ~(raw_missing & allow_missing)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        got = values.iloc[i]
        shown = "an empty value" if raw_missing[i] else repr(got)
        raise InputError(f"expected {what}, got {shown}", file=file, field=field,
                         row=int(rows[i]) if rows is not None else i)
    return v


def atomic_path(out: Path) -> Path:
    """A fresh temporary file beside ``out`` (same folder, so :func:`os.replace` is atomic)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    os.close(fd)
    return Path(tmp)


def write_table(df: pd.DataFrame, out: str | os.PathLike[str]) -> Path:
    """Write ``df`` to ``out`` (.parquet or .csv) through a temporary file renamed into place.

    Raises
    ------
    InputError
        If the extension is neither .parquet nor .csv.
    """
    path = Path(out)
    if path.suffix not in (".parquet", ".csv"):
        raise InputError(f"expected an output file ending in .parquet or .csv, got {path.name!r}", field="--out")
    tmp = atomic_path(path)
    try:
        if path.suffix == ".parquet":
            df.to_parquet(tmp, index=False)
        else:
            out_df = df.copy()
            for col in out_df.columns:
                if isinstance(out_df[col].dtype, pd.DatetimeTZDtype):
                    out_df[col] = out_df[col].map(lambda t: t.isoformat())
            out_df.to_csv(tmp, index=False, float_format="%.17g")
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


@contextmanager
def parquet_stream(out: str | os.PathLike[str], schema: pa.Schema) -> Iterator[pq.ParquetWriter]:
    """A Parquet writer on a temporary file that replaces ``out`` only if the block completes.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> schema = pa.schema([("x", pa.int64())])
    >>> with parquet_stream(d / "a.parquet", schema) as w:
    ...     w.write_table(pa.table({"x": [1, 2]}, schema=schema))
    >>> pq.read_table(d / "a.parquet").num_rows
    2
    """
    path = Path(out)
    if path.suffix != ".parquet":
        raise InputError(f"expected an output file ending in .parquet, got {path.name!r}", field="--out")
    tmp = atomic_path(path)
    writer = pq.ParquetWriter(tmp, schema)
    try:
        yield writer
        writer.close()
        os.replace(tmp, path)
    except BaseException:
        writer.close()
        tmp.unlink(missing_ok=True)
        raise
