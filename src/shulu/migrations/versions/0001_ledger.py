"""The carbon ledger: entries, postings, head, tenants, meta.

Revision ID: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None

VALUES = ("energy_it_kwh", "energy_kwh", "emissions_location_kg", "emissions_market_kg", "cost_cny", "cfe_kwh",
          "grid_import_kwh", "embodied_kg", "embodied_net_kg", "transfer_energy_kwh", "transfer_emissions_kg",
          "gpu_hours", "hours_reserved", "certificate_kwh")


def upgrade() -> None:
    op.create_table("shulu_meta", sa.Column("key", sa.String(64), primary_key=True),
                    sa.Column("value", sa.String(256), nullable=False))
    op.create_table("ledger_head", sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
                    sa.Column("last_seq", sa.BigInteger, nullable=False),
                    sa.Column("last_hash", sa.String(64), nullable=False))
    op.create_table("ledger_postings", sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("content_hash", sa.String(64), nullable=False, unique=True),
                    sa.Column("source", sa.String(512), nullable=False),
                    sa.Column("posted_at", sa.String(40), nullable=False),
                    sa.Column("first_seq", sa.BigInteger, nullable=False),
                    sa.Column("last_seq", sa.BigInteger, nullable=False),
                    sa.Column("n_entries", sa.Integer, nullable=False))
    op.create_table("ledger_entries", sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
                    sa.Column("posting_id", sa.Integer, nullable=False),
                    sa.Column("kind", sa.String(16), nullable=False),
                    sa.Column("tenant", sa.String(128), nullable=False),
                    sa.Column("month", sa.String(7), nullable=False),
                    sa.Column("job_id", sa.String(128), nullable=False),
                    sa.Column("site", sa.String(128), nullable=False),
                    sa.Column("origin", sa.String(128), nullable=False),
                    sa.Column("job_class", sa.String(32), nullable=False),
                    sa.Column("reference", sa.String(256), nullable=False),
                    *(sa.Column(v, sa.Float(precision=53), nullable=False) for v in VALUES),
                    sa.Column("prev_hash", sa.String(64), nullable=False),
                    sa.Column("entry_hash", sa.String(64), nullable=False))
    op.create_index("ix_ledger_entries_tenant_month", "ledger_entries", ["tenant", "month"])
    op.create_table("tenants", sa.Column("id", sa.String(128), primary_key=True),
                    sa.Column("name", sa.String(256), nullable=False),
                    sa.Column("budget_location_kg_per_month", sa.Float(precision=53), nullable=True),
                    sa.Column("budget_market_kg_per_month", sa.Float(precision=53), nullable=True))


def downgrade() -> None:
    for t in ("tenants", "ledger_entries", "ledger_postings", "ledger_head", "shulu_meta"):
        op.drop_table(t)
