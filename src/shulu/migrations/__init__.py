"""Database schema migrations (Alembic), shared by the carbon accounts and the placement service.

:func:`upgrade` brings any database to the newest schema; every ``connect`` calls it, so tables are created or
migrated on first use. Databases made before migrations existed (tables present, no ``alembic_version``) are
stamped at the first revision and upgraded from there.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

HERE = Path(__file__).resolve().parent


def _config(connection: sa.Connection) -> object:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(HERE))
    cfg.attributes["connection"] = connection
    return cfg


def upgrade(engine: Engine) -> None:
    """Upgrade the database to the newest revision (idempotent; safe to call at every start)."""
    from alembic import command

    with engine.begin() as conn:
        names = set(sa.inspect(conn).get_table_names())
        cfg = _config(conn)
        if "alembic_version" not in names and "ledger_entries" in names:
            command.stamp(cfg, "0001")  # type: ignore[arg-type]
        command.upgrade(cfg, "head")  # type: ignore[arg-type]


def current(engine: Engine) -> str | None:
    """The database's revision, or None."""
    with engine.connect() as conn:
        if "alembic_version" not in sa.inspect(conn).get_table_names():
            return None
        row = conn.execute(sa.text("SELECT version_num FROM alembic_version")).first()
        return str(row[0]) if row else None


def drop_all(engine: Engine) -> None:
    """Drop every table in the database (tests use it to start from empty)."""
    meta = sa.MetaData()
    meta.reflect(bind=engine)
    meta.drop_all(bind=engine)
