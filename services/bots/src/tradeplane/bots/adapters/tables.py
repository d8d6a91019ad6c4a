"""The `bots` schema: bots with their strategy snapshot, their logs, orders and fills."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Identity,
    Index,
    Integer,
    String,
    Table,
    Text,
)
from sqlalchemy.dialects.postgresql import JSONB
from tradeplane.runtime import columns as col
from tradeplane.runtime import service_metadata

SCHEMA = "bots"
metadata = service_metadata(SCHEMA)

bots = Table(
    "bots",
    metadata,
    col.uuid("id", primary_key=True),
    col.user_id(),
    Column("partition", Integer, nullable=False),
    col.account_id(),
    col.venue(),
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
    col.created_at(),
    col.timestamp("started_at", nullable=True),
    col.timestamp("last_activity", nullable=True),
    col.timestamp("last_run_at", nullable=True),
    col.timestamp("next_run_at", nullable=True),
    Index("ix_bots_bots_user_id", "user_id"),
    Index("ix_bots_bots_partition_status", "partition", "status"),
)

bot_logs = Table(
    "bot_logs",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    col.uuid("bot_id"),
    col.timestamp("at"),
    Column("level", String(16), nullable=False),
    Column("message", Text, nullable=False),
    Column("data", JSONB, nullable=False),
    Index("ix_bots_bot_logs_bot_id", "bot_id", "id"),
)

bot_orders = Table(
    "bot_orders",
    metadata,
    col.uuid("order_id", primary_key=True),
    # The intent id: uuid5(bot, run, step).
    col.uuid("bot_id"),
    col.user_id(),
    col.symbol(),
    Column("side", String(8), nullable=False),
    Column("type", String(16), nullable=False),
    col.money("quantity"),
    col.money("price", nullable=True),
    Column("status", String(16), nullable=False),
    col.money("filled_quantity"),
    col.money("fees"),
    Column("reason", Text),
    col.timestamp("created_at"),
    col.timestamp("updated_at"),
    Index("ix_bots_bot_orders_bot_id", "bot_id", "created_at"),
    Index("ix_bots_bot_orders_open", "status", postgresql_where="status IN ('Pending', 'Open')"),
)

bot_fills = Table(
    "bot_fills",
    metadata,
    col.uuid("order_id", primary_key=True),
    Column("fill_id", String(128), primary_key=True),
    col.uuid("bot_id"),
    col.symbol(),
    Column("side", String(8), nullable=False),
    col.money("quantity"),
    col.money("price"),
    col.money("fee"),
    Column("fee_currency", String(16), nullable=False),
    col.timestamp("filled_at"),
    Index("ix_bots_bot_fills_bot_id", "bot_id", "filled_at"),
)
