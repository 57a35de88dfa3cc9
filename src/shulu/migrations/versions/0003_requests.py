"""Ledger entries count the requests a job served (for SCI per request).

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    cols = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("ledger_entries")}
    if "requests" in cols:  # a database whose tables were made directly from the current models
        return
    with op.batch_alter_table("ledger_entries") as batch:
        batch.add_column(sa.Column("requests", sa.Float(precision=53), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("ledger_entries") as batch:
        batch.drop_column("requests")
