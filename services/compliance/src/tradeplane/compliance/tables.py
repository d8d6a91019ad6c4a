"""The compliance schema: alerts, violations, the orders it watches for crossing pairs and cancel bursts,
each user's notification settings, and the books reconciliation compares with the venues."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Index,
    String,
    Table,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from tradeplane.runtime import columns as col
from tradeplane.runtime.db import service_metadata

SCHEMA = "compliance"
metadata = service_metadata(SCHEMA)

alerts = Table(
    "alerts",
    metadata,
    col.uuid("id", primary_key=True),
    col.sequence(),
    col.user_id(nullable=True),
    Column("type", String(16), nullable=False),
    Column("category", String(16), nullable=False),
    Column("severity", String(16), nullable=False),
    Column("title", String(200), nullable=False),
    Column("message", Text, nullable=False),
    Column("venue", String(64)),
    col.uuid("bot_id", nullable=True),
    col.json_object("metadata"),
    Column("is_read", Boolean, nullable=False, server_default=text("false")),
    col.timestamp("read_at", nullable=True),
    col.created_at(),
    Index("ix_compliance_alerts_user_seq", "user_id", "seq"),
)

violations = Table(
    "violations",
    metadata,
    col.uuid("id", primary_key=True),
    col.sequence(),
    col.user_id(),
    Column("type", String(32), nullable=False),
    Column("severity", String(16), nullable=False),
    Column("status", String(16), nullable=False, server_default=text("'Open'")),
    Column("description", Text, nullable=False),
    Column("recommendation", Text, nullable=False),
    col.uuid("bot_id", nullable=True),
    Column("venue", String(64)),
    col.json_object("metadata"),
    col.timestamp("detected_at", now=True),
    col.timestamp("acknowledged_at", nullable=True),
    col.timestamp("resolved_at", nullable=True),
    Column("resolved_by", String(200)),
    Column("note", Text),
    Index("ix_compliance_violations_user_seq", "user_id", "seq"),
    Index("ix_compliance_violations_detected", "detected_at"),
)

orders = Table(
    "orders",
    metadata,
    col.uuid("order_id", primary_key=True),
    col.user_id(),
    col.account_id(),
    col.uuid("bot_id", nullable=True),
    Column("symbol", String(48), nullable=False),
    Column("side", String(8), nullable=False),
    col.money("price", nullable=True),  # None for a market order: it crosses any price
    col.timestamp("requested_at"),
    col.timestamp("closed_at", nullable=True),
    Column("closed_as", String(16)),
    Index("ix_compliance_orders_user_symbol", "user_id", "symbol", "requested_at"),
    Index(
        "ix_compliance_orders_cancels",
        "user_id",
        "closed_at",
        postgresql_where=text("closed_as = 'canceled'"),
    ),
)

notification_settings = Table(
    "notification_settings",
    metadata,
    col.user_id(primary_key=True),
    Column("settings", JSONB, nullable=False),
    col.updated_at(),
)

books = Table(
    "books",
    metadata,
    col.account_id(primary_key=True),
    col.user_id(),
    Column("venue", String(64), nullable=False),
    # {asset: amount}: what the venue reported at the account's first reconciliation
    Column("baseline", JSONB, nullable=False),
    col.timestamp("baseline_at"),
    Column("last_status", String(16)),
    Column("last_differences", JSONB),
    col.timestamp("last_run_at", nullable=True),
)

booked_fills = Table(
    "booked_fills",
    metadata,
    col.account_id(primary_key=True),
    Column("fill_id", String(128), primary_key=True),
    col.user_id(),
    col.timestamp("filled_at"),
    Column("deltas", JSONB, nullable=False),  # {asset: signed amount} the fill moved, fee included
)
