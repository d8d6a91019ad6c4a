"""The compliance schema: alerts, violations, the orders it watches for crossing pairs and cancel bursts,
each user's notification settings, and the books reconciliation compares with the venues."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Identity,
    Index,
    Numeric,
    String,
    Table,
    Text,
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from tradeplane.runtime.db import service_metadata

SCHEMA = "compliance"
metadata = service_metadata(SCHEMA)

alerts = Table(
    "alerts",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("seq", BigInteger, Identity(), nullable=False, unique=True),
    Column("user_id", Uuid),
    Column("type", String(16), nullable=False),
    Column("category", String(16), nullable=False),
    Column("severity", String(16), nullable=False),
    Column("title", String(200), nullable=False),
    Column("message", Text, nullable=False),
    Column("venue", String(64)),
    Column("bot_id", Uuid),
    Column("metadata", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("is_read", Boolean, nullable=False, server_default=text("false")),
    Column("read_at", DateTime(timezone=True)),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("ix_compliance_alerts_user_seq", "user_id", "seq"),
    schema=SCHEMA,
)

violations = Table(
    "violations",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("seq", BigInteger, Identity(), nullable=False, unique=True),
    Column("user_id", Uuid, nullable=False),
    Column("type", String(32), nullable=False),
    Column("severity", String(16), nullable=False),
    Column("status", String(16), nullable=False, server_default=text("'Open'")),
    Column("description", Text, nullable=False),
    Column("recommendation", Text, nullable=False),
    Column("bot_id", Uuid),
    Column("venue", String(64)),
    Column("metadata", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("detected_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("acknowledged_at", DateTime(timezone=True)),
    Column("resolved_at", DateTime(timezone=True)),
    Column("resolved_by", String(200)),
    Column("note", Text),
    Index("ix_compliance_violations_user_seq", "user_id", "seq"),
    Index("ix_compliance_violations_detected", "detected_at"),
    schema=SCHEMA,
)

orders = Table(
    "orders",
    metadata,
    Column("order_id", Uuid, primary_key=True),
    Column("user_id", Uuid, nullable=False),
    Column("account_id", Uuid, nullable=False),
    Column("bot_id", Uuid),
    Column("symbol", String(48), nullable=False),
    Column("side", String(8), nullable=False),
    Column("price", Numeric),  # None for a market order: it crosses any price
    Column("requested_at", DateTime(timezone=True), nullable=False),
    Column("closed_at", DateTime(timezone=True)),
    Column("closed_as", String(16)),
    Index("ix_compliance_orders_user_symbol", "user_id", "symbol", "requested_at"),
    Index(
        "ix_compliance_orders_cancels",
        "user_id",
        "closed_at",
        postgresql_where=text("closed_as = 'canceled'"),
    ),
    schema=SCHEMA,
)

notification_settings = Table(
    "notification_settings",
    metadata,
    Column("user_id", Uuid, primary_key=True),
    Column("settings", JSONB, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    schema=SCHEMA,
)

books = Table(
    "books",
    metadata,
    Column("account_id", Uuid, primary_key=True),
    Column("user_id", Uuid, nullable=False),
    Column("venue", String(64), nullable=False),
    # {asset: amount}: what the venue reported at the account's first reconciliation
    Column("baseline", JSONB, nullable=False),
    Column("baseline_at", DateTime(timezone=True), nullable=False),
    Column("last_status", String(16)),
    Column("last_differences", JSONB),
    Column("last_run_at", DateTime(timezone=True)),
    schema=SCHEMA,
)

booked_fills = Table(
    "booked_fills",
    metadata,
    Column("account_id", Uuid, primary_key=True),
    Column("fill_id", String(128), primary_key=True),
    Column("user_id", Uuid, nullable=False),
    Column("filled_at", DateTime(timezone=True), nullable=False),
    Column("deltas", JSONB, nullable=False),  # {asset: signed amount} the fill moved, fee included
    schema=SCHEMA,
)
