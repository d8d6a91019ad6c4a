"""The backtests schema: one row a job, claimed by a worker with a lease."""

from __future__ import annotations

from sqlalchemy import (
    Column,
    Float,
    Index,
    Integer,
    String,
    Table,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from tradeplane.runtime import columns as col
from tradeplane.runtime.db import service_metadata

SCHEMA = "backtests"
metadata = service_metadata(SCHEMA)

jobs = Table(
    "jobs",
    metadata,
    col.uuid("id", primary_key=True),
    col.sequence(),
    col.user_id(),
    Column("status", String(16), nullable=False, server_default=text("'Queued'")),
    Column("progress", Float, nullable=False, server_default=text("0")),
    Column("request", JSONB, nullable=False),
    Column("error", Text),
    Column("result", JSONB),
    Column("result_hash", String(64)),
    Column("dataset_hash", String(64)),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("lease_owner", String(200)),
    col.timestamp("lease_until", nullable=True),
    col.created_at(),
    col.timestamp("started_at", nullable=True),
    col.timestamp("finished_at", nullable=True),
    Index("ix_backtests_jobs_user_seq", "user_id", "seq"),
    Index("ix_backtests_jobs_queued", "seq", postgresql_where=text("status = 'Queued'")),
)
