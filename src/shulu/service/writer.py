"""Group commit: rows written by concurrent requests share one transaction, and each request waits for it.

A request hands its row to :meth:`GroupWriter.write` and awaits; the writer takes every row waiting at that moment,
inserts them in one transaction on a worker thread (so the event loop keeps taking requests meanwhile), and only
then wakes the requests. Durability is unchanged — nobody is answered before their row is committed — but the
cost of a commit (and of a round trip to PostgreSQL) is shared by everyone who arrived during the previous one.
If the batch fails (say one row repeats an idempotency key), its rows are retried one transaction each, so one bad
row fails only its own request.
"""

from __future__ import annotations

import asyncio
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

#: Most rows in one transaction.
MAX_BATCH_ROWS = 512


class GroupWriter:
    """Insert rows into ``table`` in shared transactions.

    Parameters
    ----------
    engine
        The database.
    table
        The table the rows go to.

    Examples
    --------
    >>> import asyncio, sqlalchemy as sa
    >>> engine = sa.create_engine("sqlite://", poolclass=sa.pool.StaticPool,  # one in-memory database for all threads
    ...                           connect_args={"check_same_thread": False})
    >>> meta = sa.MetaData()
    >>> t = sa.Table("t", meta, sa.Column("k", sa.Integer, primary_key=True))
    >>> meta.create_all(engine)
    >>> async def main():
    ...     w = GroupWriter(engine, t)
    ...     return await asyncio.gather(w.write({"k": 1}), w.write({"k": 2}), w.write({"k": 1}))
    >>> [type(e).__name__ for e in asyncio.run(main())]
    ['NoneType', 'NoneType', 'IntegrityError']
    """

    def __init__(self, engine: Engine, table: sa.Table) -> None:
        self.engine = engine
        self.table = table
        self._pending: list[tuple[dict[str, Any], asyncio.Future[BaseException | None]]] = []
        self._task: asyncio.Task[None] | None = None
        self.batches = 0
        self.rows = 0

    async def write(self, row: dict[str, Any]) -> BaseException | None:
        """Store ``row``; returns once it is committed (None) or refused (the database's exception)."""
        fut: asyncio.Future[BaseException | None] = asyncio.get_running_loop().create_future()
        self._pending.append((row, fut))
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._drain())
        return await fut

    async def _drain(self) -> None:
        while self._pending:
            batch, self._pending = self._pending[:MAX_BATCH_ROWS], self._pending[MAX_BATCH_ROWS:]
            try:
                results = await asyncio.to_thread(self._insert, [row for row, _ in batch])
            except BaseException as exc:  # the thread itself failed (e.g. cancelled): fail the whole batch
                results = [exc] * len(batch)
            for (_, fut), res in zip(batch, results, strict=True):
                if not fut.done():
                    fut.set_result(res)

    def _insert(self, rows: list[dict[str, Any]]) -> list[BaseException | None]:
        self.batches += 1
        self.rows += len(rows)
        try:
            with self.engine.begin() as conn:
                conn.execute(self.table.insert(), rows)
            return [None] * len(rows)
        except Exception as exc:
            if len(rows) == 1:
                return [exc]
        return [self._one(row) for row in rows]

    def _one(self, row: dict[str, Any]) -> BaseException | None:
        try:
            with self.engine.begin() as conn:
                conn.execute(self.table.insert(), row)
        except Exception as exc:
            return exc
        return None
