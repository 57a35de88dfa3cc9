"""The service's tables (SQLAlchemy Core), as migration 0002 creates them."""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()
api_keys = sa.Table(
    "api_keys", metadata, sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("tenant", sa.String(128), nullable=False), sa.Column("key_hash", sa.String(64), nullable=False),
    sa.Column("prefix", sa.String(12), nullable=False), sa.Column("created_at", sa.String(40), nullable=False),
    sa.Column("revoked", sa.Boolean, nullable=False))
jobs = sa.Table(
    "service_jobs", metadata, sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("tenant", sa.String(128), nullable=False), sa.Column("idempotency_key", sa.String(128), nullable=False),
    sa.Column("request_hash", sa.String(64), nullable=False), sa.Column("status", sa.String(16), nullable=False),
    sa.Column("origin", sa.String(128), nullable=False), sa.Column("job_class", sa.String(16), nullable=False),
    sa.Column("site", sa.String(128), nullable=False), sa.Column("submitted_at", sa.String(40), nullable=False),
    sa.Column("start_time", sa.String(40), nullable=False), sa.Column("start_step", sa.Integer, nullable=False),
    sa.Column("end_step", sa.Integer, nullable=False), sa.Column("power_kw", sa.Float(precision=53), nullable=False),
    sa.Column("duration_s", sa.Float(precision=53), nullable=False),
    sa.Column("expected_energy_kwh", sa.Float(precision=53), nullable=False),
    sa.Column("expected_emissions_kg", sa.Float(precision=53), nullable=False),
    sa.Column("latency_ms", sa.Float(precision=53), nullable=False),
    sa.Column("actual_energy_kwh", sa.Float(precision=53), nullable=True),
    sa.Column("actual_emissions_kg", sa.Float(precision=53), nullable=True))
