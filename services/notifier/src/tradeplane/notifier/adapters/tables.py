"""The notifier's schema: webhook endpoints, one delivery per event and endpoint, and every attempt."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Identity,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from tradeplane.runtime import columns as col
from tradeplane.runtime.db import service_metadata

SCHEMA = "notifier"
metadata = service_metadata(SCHEMA)

endpoints = Table(
    "endpoints",
    metadata,
    col.uuid("id", primary_key=True),
    col.user_id(),
    Column("url", String(2048), nullable=False),
    Column("events", ARRAY(String(32)), nullable=False),
    Column("enabled", Boolean, nullable=False),
    Column("secret_sealed", LargeBinary, nullable=False),
    Column("consecutive_failures", Integer, nullable=False, server_default=text("0")),
    Column("disabled_reason", String(200)),
    col.created_at(),
    col.updated_at(),
    Index("ix_notifier_endpoints_user_id", "user_id"),
)

deliveries = Table(
    "deliveries",
    metadata,
    col.uuid("id", primary_key=True),
    col.sequence(),
    col.uuid("endpoint_id", ForeignKey(endpoints.c.id, ondelete="CASCADE")),
    col.user_id(),
    col.uuid("event_id"),
    Column("event_type", String(32), nullable=False),
    Column("webhook_id", String(64), nullable=False),
    Column("body", Text, nullable=False),
    Column("status", String(16), nullable=False, server_default=text("'pending'")),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    col.timestamp("next_attempt_at", now=True),
    col.timestamp("lease_until", nullable=True),
    Column("lease_owner", String(200)),
    Column("last_status_code", Integer),
    Column("last_latency_ms", Integer),
    Column("last_error", Text),
    col.created_at(),
    col.timestamp("completed_at", nullable=True),
    UniqueConstraint("endpoint_id", "event_id", name="uq_deliveries_endpoint_event"),
    Index(
        "ix_deliveries_endpoint_due",
        "endpoint_id",
        "next_attempt_at",
        postgresql_where=text("status = 'pending'"),
    ),
    Index("ix_deliveries_endpoint_seq", "endpoint_id", "seq"),
)

delivery_attempts = Table(
    "delivery_attempts",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    col.uuid("delivery_id", ForeignKey(deliveries.c.id, ondelete="CASCADE")),
    Column("attempt", Integer, nullable=False),
    Column("ok", Boolean, nullable=False),
    Column("status_code", Integer),
    Column("latency_ms", Integer, nullable=False),
    Column("failure", String(32)),
    Column("error", Text),
    Column("worker", String(200), nullable=False),
    col.timestamp("attempted_at", now=True),
    Index("ix_notifier_delivery_attempts_delivery_id", "delivery_id"),
)
