"""The `bots` schema: bots with their strategy snapshot, their logs, orders and fills."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Identity,
    Index,
    Integer,
    Numeric,
    String,
    Table,
    Text,
    Uuid,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from tradeplane.runtime import service_metadata

SCHEMA = "bots"
metadata = service_metadata(SCHEMA)

bots = Table(
    "bots",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("user_id", Uuid, nullable=False),
    Column("partition", Integer, nullable=False),
    Column("account_id", Uuid, nullable=False),
    Column("venue", String(32), nullable=False),
    Column("environment", String(16), nullable=False),
    Column("name", String(100), nullable=False),
    Column("strategy", String(64), nullable=False),
    Column("strategy_version", String(16), nullable=False),
    Column("config", JSONB, nullable=False),
    Column("allocation", JSONB, nullable=False),
    Column("markets", JSONB, nullable=False),
    Column("dry_run", Boolean, nullable=False),
    Column("status", String(16), nullable=False),
    Column("error", Text),
    Column("snapshot", JSONB),
    # The strategy driver's snapshot (context, strategy state, next run number); None before a start.
    Column("next_run", BigInteger, nullable=False),
    # The number of the bot's next run: intent ids derive from it, so it never goes back.
    Column("cursors", JSONB, nullable=False),
    # Per `symbol|timeframe`, the open time of the last candle the bot saw (a redelivery is skipped).
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("started_at", DateTime(timezone=True)),
    Column("last_activity", DateTime(timezone=True)),
    Column("last_run_at", DateTime(timezone=True)),
    Column("next_run_at", DateTime(timezone=True)),
    Index("ix_bots_bots_user_id", "user_id"),
    Index("ix_bots_bots_partition_status", "partition", "status"),
)

bot_logs = Table(
    "bot_logs",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("bot_id", Uuid, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("level", String(16), nullable=False),
    Column("message", Text, nullable=False),
    Column("data", JSONB, nullable=False),
    Index("ix_bots_bot_logs_bot_id", "bot_id", "id"),
)

bot_orders = Table(
    "bot_orders",
    metadata,
    Column("order_id", Uuid, primary_key=True),
    # The intent id: uuid5(bot, run, step).
    Column("bot_id", Uuid, nullable=False),
    Column("user_id", Uuid, nullable=False),
    Column("symbol", String(41), nullable=False),
    Column("side", String(8), nullable=False),
    Column("type", String(16), nullable=False),
    Column("quantity", Numeric, nullable=False),
    Column("price", Numeric),
    Column("status", String(16), nullable=False),
    Column("filled_quantity", Numeric, nullable=False),
    Column("fees", Numeric, nullable=False),
    Column("reason", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index("ix_bots_bot_orders_bot_id", "bot_id", "created_at"),
    Index("ix_bots_bot_orders_open", "status", postgresql_where="status IN ('Pending', 'Open')"),
)

bot_fills = Table(
    "bot_fills",
    metadata,
    Column("order_id", Uuid, primary_key=True),
    Column("fill_id", String(128), primary_key=True),
    Column("bot_id", Uuid, nullable=False),
    Column("symbol", String(41), nullable=False),
    Column("side", String(8), nullable=False),
    Column("quantity", Numeric, nullable=False),
    Column("price", Numeric, nullable=False),
    Column("fee", Numeric, nullable=False),
    Column("fee_currency", String(16), nullable=False),
    Column("filled_at", DateTime(timezone=True), nullable=False),
    Index("ix_bots_bot_fills_bot_id", "bot_id", "filled_at"),
)
