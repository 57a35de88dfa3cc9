"""A served network and a client for the placement service, on SQLite and (where a server is given) PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from factories import make_scenario
from shulu.accounts.ledger import connect
from shulu.migrations import drop_all
from shulu.model import Scenario
from shulu.service.app import create_app
from shulu.service.settings import Settings
from shulu.service.state import ServiceState
from tests_service_helpers import ADMIN

PG_URL = os.environ.get("SHULU_TEST_POSTGRES_URL")


@pytest.fixture
def served() -> Scenario:
    """Two sites, two regions, two days of hourly signals."""
    return make_scenario(n_sites=2, n_regions=2, hours=48, n_jobs=1)


@pytest.fixture(params=["sqlite", "postgresql"])
def service_db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database URL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'svc.db'}"
    if not PG_URL:
        if os.environ.get("SHULU_REQUIRE_POSTGRES") == "1":
            pytest.fail("SHULU_REQUIRE_POSTGRES=1 but SHULU_TEST_POSTGRES_URL is not set")
        pytest.skip("no PostgreSQL server (set SHULU_TEST_POSTGRES_URL)")
    raw = sa.create_engine(PG_URL)
    drop_all(raw)
    raw.dispose()
    return PG_URL


@pytest.fixture
def client(served: Scenario, service_db: str) -> Iterator[TestClient]:
    """A client of a fresh service (admin key :data:`ADMIN`)."""
    state = ServiceState(served, connect(service_db), policy="spatio-temporal")
    with TestClient(create_app(Settings(admin_key=ADMIN, rate_limit_per_s=1000, rate_burst=1000), state=state)) as c:
        yield c
    state.engine.dispose()
