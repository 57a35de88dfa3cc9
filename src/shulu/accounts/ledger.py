"""The carbon ledger: append-only, hash-chained entries stored through SQLAlchemy (SQLite or PostgreSQL).

Every entry carries ``entry_hash = sha256(prev_hash + canonical(entry))`` where ``canonical`` is a fixed-order JSON
of its sequence number and every field; the chain head (last sequence number and hash) is kept in its own table and
moved in the same transaction. :func:`verify` recomputes the chain and reports the first entry that was changed,
reordered or deleted (a deleted last entry shows as a head that points past the chain). Keep the printed head hash
somewhere else (a statement, a log) to detect a rewrite of the whole chain.

Posting is idempotent: a result's entries are identified by a hash of their content, and posting the same content
twice adds nothing. Sequence numbers are handed out under a row lock on the head (``SELECT ... FOR UPDATE`` on
PostgreSQL; SQLite serialises writers), so concurrent posters cannot fork the chain.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from shulu.errors import InputError

#: Environment variable naming the database (a SQLAlchemy URL).
DATABASE_URL_ENV = "SHULU_DATABASE_URL"
SCHEMA_VERSION = 1  # the Alembic revision is the schema version that matters
GENESIS_HASH = "0" * 64

#: Ledger entry fields after the identity columns, in hash order: (name, unit).
ENTRY_VALUES: tuple[tuple[str, str], ...] = (
    ("energy_it_kwh", "kWh"), ("energy_kwh", "kWh"), ("emissions_location_kg", "kgCO2"),
    ("emissions_market_kg", "kgCO2"), ("cost_cny", "CNY"), ("cfe_kwh", "kWh"), ("grid_import_kwh", "kWh"),
    ("embodied_kg", "kgCO2e"), ("embodied_net_kg", "kgCO2e"), ("transfer_energy_kwh", "kWh"),
    ("transfer_emissions_kg", "kgCO2"), ("gpu_hours", "h"), ("hours_reserved", "h"), ("certificate_kwh", "kWh"),
)
#: Values added after the first schema: they enter an entry's hash only when non-zero, so chains written before
#: they existed still verify.
LATER_VALUES: tuple[tuple[str, str], ...] = (("requests", "-"),)
ENTRY_KEYS: tuple[str, ...] = ("kind", "tenant", "month", "job_id", "site", "origin", "job_class", "reference")
#: Entry kinds: a job's attributed footprint, a site's unallocated remainder, a green purchase.
KINDS = ("job", "unallocated", "purchase")

metadata = sa.MetaData()
meta_table = sa.Table("shulu_meta", metadata, sa.Column("key", sa.String(64), primary_key=True),
                      sa.Column("value", sa.String(256), nullable=False))
head_table = sa.Table("ledger_head", metadata, sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
                      sa.Column("last_seq", sa.BigInteger, nullable=False),
                      sa.Column("last_hash", sa.String(64), nullable=False))
postings_table = sa.Table(
    "ledger_postings", metadata, sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("content_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("source", sa.String(512), nullable=False), sa.Column("posted_at", sa.String(40), nullable=False),
    sa.Column("first_seq", sa.BigInteger, nullable=False), sa.Column("last_seq", sa.BigInteger, nullable=False),
    sa.Column("n_entries", sa.Integer, nullable=False))
entries_table = sa.Table(
    "ledger_entries", metadata, sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("posting_id", sa.Integer, nullable=False),
    sa.Column("kind", sa.String(16), nullable=False), sa.Column("tenant", sa.String(128), nullable=False),
    sa.Column("month", sa.String(7), nullable=False), sa.Column("job_id", sa.String(128), nullable=False),
    sa.Column("site", sa.String(128), nullable=False), sa.Column("origin", sa.String(128), nullable=False),
    sa.Column("job_class", sa.String(32), nullable=False), sa.Column("reference", sa.String(256), nullable=False),
    *(sa.Column(name, sa.Float(precision=53), nullable=False) for name, _ in ENTRY_VALUES),
    *(sa.Column(name, sa.Float(precision=53), nullable=False, server_default="0") for name, _ in LATER_VALUES),
    sa.Column("prev_hash", sa.String(64), nullable=False), sa.Column("entry_hash", sa.String(64), nullable=False),
    sa.Index("ix_ledger_entries_tenant_month", "tenant", "month"))
tenants_table = sa.Table(
    "tenants", metadata, sa.Column("id", sa.String(128), primary_key=True),
    sa.Column("name", sa.String(256), nullable=False, default=""),
    sa.Column("budget_location_kg_per_month", sa.Float(precision=53), nullable=True),
    sa.Column("budget_market_kg_per_month", sa.Float(precision=53), nullable=True))


def default_database_url() -> str:
    """``$SHULU_DATABASE_URL``, else a SQLite file in the user's data folder."""
    url = os.environ.get(DATABASE_URL_ENV)
    if url:
        return url
    import platformdirs

    folder = Path(platformdirs.user_data_dir("shulu", appauthor=False))
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / 'shulu.db'}"


def connect(url: str | None = None) -> Engine:
    """An engine for ``url`` (default :func:`default_database_url`) with the tables created or migrated.

    Raises
    ------
    InputError
        For a URL SQLAlchemy cannot parse or a database it cannot reach, or a newer schema than this shulu knows.
    """
    url = url or default_database_url()
    try:
        engine = sa.create_engine(url, future=True, pool_pre_ping=True)
        if engine.dialect.name == "sqlite":
            sa.event.listen(engine, "connect", _sqlite_pragmas)
        from shulu.migrations import upgrade

        upgrade(engine)
        with engine.begin() as conn:
            row = conn.execute(sa.select(meta_table.c.value).where(meta_table.c.key == "schema_version")).first()
            if row is None:
                conn.execute(meta_table.insert().values(key="schema_version", value=str(SCHEMA_VERSION)))
            elif int(row[0]) > SCHEMA_VERSION:
                raise InputError(f"database schema version {row[0]} is newer than this shulu ({SCHEMA_VERSION})",
                                 field="--db")
            if conn.execute(sa.select(head_table.c.id)).first() is None:
                conn.execute(head_table.insert().values(id=1, last_seq=0, last_hash=GENESIS_HASH))
    except sa.exc.ArgumentError as exc:
        raise InputError(f"not a database URL: {url!r} ({exc})", field="--db") from None
    except sa.exc.NoSuchModuleError as exc:
        raise InputError(f"no database driver for {url!r} ({exc})", field="--db") from None
    except (sa.exc.OperationalError, sa.exc.InterfaceError) as exc:
        raise InputError(f"cannot open the database {_safe(url)}: {exc.orig}", field="--db") from None
    except sa.exc.IntegrityError:  # two processes creating the head row at once: the other one won
        pass
    return engine


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # WAL: readers do not block the writer; synchronous=NORMAL: a commit survives the process being killed
    # (the fault test kills the server mid-load) though not a power cut — use PostgreSQL where that matters
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA busy_timeout = 30000")
    cur.execute("PRAGMA journal_mode = WAL")
    cur.execute("PRAGMA synchronous = NORMAL")
    cur.close()


def _safe(url: str) -> str:
    try:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return "<bad url>"


def canonical(seq: int, entry: dict[str, Any]) -> str:
    """The fixed-order JSON an entry's hash covers (floats as their shortest round-trip repr).

    Examples
    --------
    >>> canonical(1, {"kind": "job", "tenant": "t", "energy_kwh": 0.1})[:40]
    '[1,"job","t","","","","","","",0.0,0.1,0'
    """
    vals: list[Any] = [seq, *(str(entry.get(k, "")) for k in ENTRY_KEYS)]
    vals += [float(entry.get(k, 0.0)) for k, _ in ENTRY_VALUES]
    vals += [[k, float(entry[k])] for k, _ in LATER_VALUES if float(entry.get(k, 0.0) or 0.0) != 0.0]
    return json.dumps(vals, separators=(",", ":"), allow_nan=False)


def chain_hash(prev_hash: str, seq: int, entry: dict[str, Any]) -> str:
    """``sha256(prev_hash + canonical(seq, entry))`` as hex."""
    return hashlib.sha256((prev_hash + canonical(seq, entry)).encode("utf-8")).hexdigest()


@dataclass
class PostReport:
    """What a posting did."""

    posted: bool  #: False when the same content was already in the ledger
    n_entries: int
    first_seq: int
    last_seq: int
    head_hash: str
    content_hash: str
    warnings: list[str] = field(default_factory=list)


@contextmanager
def _locked_head(engine: Engine) -> Iterator[tuple[Connection, int, str]]:
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.exec_driver_sql("UPDATE ledger_head SET last_seq = last_seq WHERE id = 1")  # take the write lock
            row = conn.execute(sa.select(head_table.c.last_seq, head_table.c.last_hash)).one()
        else:
            row = conn.execute(sa.select(head_table.c.last_seq, head_table.c.last_hash)
                               .where(head_table.c.id == 1).with_for_update()).one()
        yield conn, int(row[0]), str(row[1])


def _clean(entry: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {k: str(entry.get(k, "") if entry.get(k) is not None else "") for k in ENTRY_KEYS}
    if out["kind"] not in KINDS:
        raise InputError(f"unknown ledger entry kind {out['kind']!r}; expected one of {KINDS}", field="kind")
    if not out["tenant"]:
        raise InputError("a ledger entry needs a tenant", field="tenant")
    for k, _ in (*ENTRY_VALUES, *LATER_VALUES):
        v = float(entry.get(k, 0.0) or 0.0)
        if v != v or v in (float("inf"), float("-inf")):
            raise InputError(f"ledger value {k} must be finite, got {v}", field=k)
        out[k] = v
    return out


def post_entries(engine: Engine, entries: Sequence[dict[str, Any]], *, source: str) -> PostReport:
    """Append entries as one posting (all or nothing); a repeat of the same content adds nothing."""
    clean = [_clean(e) for e in entries]
    content = hashlib.sha256("\n".join(canonical(0, e) for e in clean).encode("utf-8")).hexdigest()
    with _locked_head(engine) as (conn, last_seq, last_hash):
        prior = conn.execute(sa.select(postings_table.c.first_seq, postings_table.c.last_seq)
                             .where(postings_table.c.content_hash == content)).first()
        if prior is not None:
            return PostReport(False, 0, int(prior[0]), int(prior[1]), last_hash, content)
        now = pd.Timestamp.now(tz="UTC").isoformat()
        pid = conn.execute(postings_table.insert().values(
            content_hash=content, source=source[:512], posted_at=now, first_seq=last_seq + 1,
            last_seq=last_seq + len(clean), n_entries=len(clean))).inserted_primary_key
        assert pid is not None
        rows = []
        h = last_hash
        for i, e in enumerate(clean):
            seq = last_seq + 1 + i
            nh = chain_hash(h, seq, e)
            rows.append({**e, "seq": seq, "posting_id": int(pid[0]), "prev_hash": h, "entry_hash": nh})
            h = nh
        for lo in range(0, len(rows), 20_000):
            conn.execute(entries_table.insert(), rows[lo:lo + 20_000])
        conn.execute(head_table.update().where(head_table.c.id == 1).values(last_seq=last_seq + len(clean),
                                                                            last_hash=h))
        return PostReport(True, len(clean), last_seq + 1, last_seq + len(clean), h, content)


@dataclass
class VerifyReport:
    """The outcome of :func:`verify`."""

    ok: bool
    n_entries: int
    head_seq: int
    head_hash: str
    problems: list[str]


def verify(engine: Engine, *, max_problems: int = 20) -> VerifyReport:
    """Recompute the chain; list every changed, reordered or missing entry (up to ``max_problems``)."""
    problems: list[str] = []
    cols = [entries_table.c.seq, *(entries_table.c[k] for k in ENTRY_KEYS),
            *(entries_table.c[k] for k, _ in (*ENTRY_VALUES, *LATER_VALUES)), entries_table.c.prev_hash,
            entries_table.c.entry_hash]
    with engine.connect() as conn:
        head = conn.execute(sa.select(head_table.c.last_seq, head_table.c.last_hash)).one()
        result = conn.execution_options(stream_results=True, yield_per=10_000).execute(
            sa.select(*cols).order_by(entries_table.c.seq))
        expect_seq, h, n = 1, GENESIS_HASH, 0
        for row in result:
            n += 1
            m = row._mapping
            seq = int(m["seq"])
            if seq != expect_seq:
                problems.append(f"entry {expect_seq}" + (f"..{seq - 1}" if seq - 1 > expect_seq else "")
                                + " missing (deleted)")
            if m["prev_hash"] != h:
                problems.append(f"entry {seq}: prev_hash does not match the entry before it (reordered or deleted)")
            entry = {k: m[k] for k in ENTRY_KEYS} | {k: m[k] for k, _ in (*ENTRY_VALUES, *LATER_VALUES)}
            if chain_hash(m["prev_hash"], seq, entry) != m["entry_hash"]:
                problems.append(f"entry {seq}: contents changed (hash mismatch)")
            h = m["entry_hash"]
            expect_seq = seq + 1
            if len(problems) >= max_problems:
                break
    if not problems:
        if int(head[0]) != expect_seq - 1:
            problems.append(f"the head says {head[0]} entries but the chain ends at {expect_seq - 1} "
                            "(entries deleted at the end)")
        elif head[1] != h:
            problems.append("the head hash does not match the last entry")
    return VerifyReport(ok=not problems, n_entries=n, head_seq=int(head[0]), head_hash=str(head[1]),
                        problems=problems)


def read_entries(engine: Engine, *, tenant: str | None = None, month: str | None = None,
                 kinds: Sequence[str] | None = None) -> pd.DataFrame:
    """Ledger entries as a frame, optionally for one tenant, month and kinds."""
    q = sa.select(entries_table)
    if tenant is not None:
        q = q.where(entries_table.c.tenant == tenant)
    if month is not None:
        q = q.where(entries_table.c.month == month)
    if kinds is not None:
        q = q.where(entries_table.c.kind.in_(list(kinds)))
    with engine.connect() as conn:
        return pd.DataFrame(conn.execute(q.order_by(entries_table.c.seq)).mappings().all(),
                            columns=[c.name for c in entries_table.columns])
