"""Tenants and their API keys in the database."""

from __future__ import annotations

from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from shulu.accounts.ledger import tenants_table
from shulu.service import tables
from shulu.service.security import KEY_PREFIX, hash_key, new_key


def tenant_for_key(engine: Engine, key_hash: str) -> str | None:
    """The tenant owning a (not revoked) key."""
    with engine.connect() as conn:
        row = conn.execute(sa.select(tables.api_keys.c.tenant).where(tables.api_keys.c.key_hash == key_hash,
                                                                     tables.api_keys.c.revoked.is_(False))).first()
    return str(row[0]) if row else None


def issue_key(engine: Engine, tenant: str) -> str:
    """A new key for a tenant; only its hash is stored."""
    key = new_key()
    with engine.begin() as conn:
        conn.execute(tables.api_keys.insert().values(tenant=tenant, key_hash=hash_key(key),
                                                     prefix=key[:len(KEY_PREFIX) + 4],
                                                     created_at=pd.Timestamp.now(tz="UTC").isoformat(),
                                                     revoked=False))
    return key


def list_tenants(engine: Engine) -> list[dict[str, Any]]:
    """Every tenant."""
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(sa.select(tenants_table).order_by(tenants_table.c.id)).mappings()]
