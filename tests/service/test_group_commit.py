"""Group commit: concurrent placements share transactions, each is stored before its answer, and one bad row fails
only its own request; the body limit also holds for streamed bodies that declare no length."""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from shulu.accounts.ledger import connect
from shulu.model import Scenario
from shulu.service import tables
from shulu.service.app import create_app
from shulu.service.settings import Settings
from shulu.service.state import ConflictError, ServiceState
from shulu.service.writer import GroupWriter
from tests_service_helpers import ADMIN, tenant_key


def req(i: int, power_kw: float = 10.0) -> dict[str, object]:
    return {"origin": f"r{i % 2}", "duration_s": 3600.0, "power_kw": power_kw, "slack_s": 7200.0,
            "max_latency_ms": 100.0, "job_class": "warm", "interruptible": False, "data_gb": 0.0,
            "submit_time": "2025-01-01T03:00:00Z"}


def stored(state: ServiceState) -> list[dict[str, object]]:
    with state.engine.connect() as conn:
        return [dict(r) for r in conn.execute(sa.select(tables.jobs)).mappings()]


def test_concurrent_placements_are_each_stored_once(served: Scenario, service_db: str) -> None:
    state = ServiceState(served, connect(service_db))

    async def main() -> list[object]:
        # 40 distinct jobs, plus a retry of job 0 (same key, same body) and a reuse of key 1 with another body,
        # all in flight together, so they land in the same batches
        calls = [state.place_async("t", f"k{i}", req(i)) for i in range(40)]
        calls.append(state.place_async("t", "k0", req(0)))
        calls.append(state.place_async("t", "k1", req(1, power_kw=20.0)))
        return await asyncio.gather(*calls, return_exceptions=True)

    out = asyncio.run(main())
    rows = stored(state)
    assert len(rows) == 40 and len({r["idempotency_key"] for r in rows}) == 40
    assert state.writer.batches < 40  # rows shared transactions (one-row commits would make 40 or more)
    first = out[:40]
    assert all(not isinstance(o, BaseException) for o in first)
    retry = out[40]
    assert not isinstance(retry, BaseException) and retry.row["id"] == first[0].row["id"]  # type: ignore[union-attr]
    assert isinstance(out[41], ConflictError)
    # the plan holds exactly what is stored: the refused duplicates were taken back out
    again = ServiceState(served, connect(service_db))
    np.testing.assert_allclose(state.policy.planned_kw, again.policy.planned_kw, atol=1e-9)
    # 40 jobs x 10 kW, one hour each, are somewhere in the plan: 400 kWh of IT energy
    assert state.policy.planned_kw.sum() * served.step_s / 3600 == pytest.approx(400.0)


def test_writer_fails_only_the_bad_row(tmp_path: Path) -> None:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'w.db'}")
    meta = sa.MetaData()
    t = sa.Table("t", meta, sa.Column("k", sa.Integer, primary_key=True), sa.Column("v", sa.Integer, nullable=False))
    meta.create_all(engine)
    writer = GroupWriter(engine, t)

    async def main() -> list[BaseException | None]:
        rows = [{"k": 1, "v": 1}, {"k": 2, "v": None}, {"k": 3, "v": 3}, {"k": 1, "v": 4}]
        return await asyncio.gather(*(writer.write(r) for r in rows))

    res = asyncio.run(main())
    assert res[0] is None and res[2] is None
    assert isinstance(res[1], sa.exc.IntegrityError) and isinstance(res[3], sa.exc.IntegrityError)
    with engine.connect() as conn:
        assert conn.execute(sa.select(t.c.k, t.c.v).order_by(t.c.k)).all() == [(1, 1), (3, 3)]
    assert writer.batches == 1 and writer.rows == 4  # one shared try, then the row-by-row fallback


def test_streamed_body_over_the_limit_is_413(served: Scenario, tmp_path: Path) -> None:
    state = ServiceState(served, connect(f"sqlite:///{tmp_path / 's.db'}"))
    with TestClient(create_app(Settings(admin_key=ADMIN, max_body_bytes=2048), state=state)) as c:
        h = tenant_key(c, "acme")

        def chunks() -> object:
            yield b'{"origin": "r0", "pad": "'
            for _ in range(10):
                yield b"x" * 1000
            yield b'"}'

        r = c.post("/v1/jobs", content=chunks(), headers={**h, "Idempotency-Key": "s",  # type: ignore[arg-type]
                                                          "Content-Type": "application/json"})
        assert r.status_code == 413 and "2048" in r.text
        assert stored(state) == []
