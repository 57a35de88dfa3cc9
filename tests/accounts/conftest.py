"""Database fixtures: every ledger test runs on SQLite and, where a server is given, on PostgreSQL.

CI (``.ci/run``) starts a real PostgreSQL server and sets ``SHULU_TEST_POSTGRES_URL`` and ``SHULU_REQUIRE_POSTGRES=1``;
then a missing server fails the run instead of skipping.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from shulu.accounts.ledger import connect
from shulu.migrations import drop_all

PG_URL = os.environ.get("SHULU_TEST_POSTGRES_URL")
BACKENDS = ["sqlite", "postgresql"]


def _fresh(url: str) -> Engine:
    engine = sa.create_engine(url)
    drop_all(engine)
    engine.dispose()
    return connect(url)


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL of an empty ledger database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'ledger.db'}"
        return
    if not PG_URL:
        if os.environ.get("SHULU_REQUIRE_POSTGRES") == "1":
            pytest.fail("SHULU_REQUIRE_POSTGRES=1 but SHULU_TEST_POSTGRES_URL is not set")
        pytest.skip("no PostgreSQL server (set SHULU_TEST_POSTGRES_URL)")
    _fresh(PG_URL).dispose()
    yield PG_URL


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """An engine on an empty ledger database."""
    eng = connect(db_url)
    yield eng
    eng.dispose()
