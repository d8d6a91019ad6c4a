"""The execution schema: venue accounts, orders, fills, early cancels, paper engine state and nonce state."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from tradeplane.runtime import columns as col
from tradeplane.runtime.db import service_metadata

SCHEMA = "execution"
metadata = service_metadata(SCHEMA)

accounts = Table(
    "accounts",
    metadata,
    col.uuid("id", primary_key=True),
    col.user_id(),
    col.venue(),
    Column("label", String(100), nullable=False, server_default=""),
    Column("environment", String(8), nullable=False),
    Column("status", String(20), nullable=False),
    Column("key_hint", String(8)),
    Column("credentials", LargeBinary),
    Column("sandbox", Boolean, nullable=False, server_default=text("false")),
    col.created_at(),
    col.timestamp("deleted_at", nullable=True),
    Index("ix_execution_accounts_user_id", "user_id"),
)

orders = Table(
    "orders",
    metadata,
    col.uuid("order_id", primary_key=True),
    # No foreign key: an approval naming an unknown account is still recorded, as rejected.
    col.account_id(),
    col.user_id(),
    Column("client_order_id", String(64), nullable=False),
    col.symbol(),
    Column("side", String(4), nullable=False),
    Column("type", String(10), nullable=False),
    col.money("quantity"),
    col.money("price", nullable=True),
    col.money("stop_price", nullable=True),
    Column("status", String(16), nullable=False),
    Column("send_state", String(8), nullable=False),
    Column("venue_order_id", String(128)),
    col.money("filled_quantity", server_default="0"),
    col.money("notional", server_default="0"),
    col.money("fees", server_default="0"),
    Column("reason", String(500), nullable=False, server_default=""),
    col.uuid("correlation_id", nullable=True),
    col.created_at(),
    col.updated_at(),
    Index(
        "ix_execution_orders_unfinished",
        "account_id",
        postgresql_where=text("status IN ('Pending', 'Open', 'PartiallyFilled')"),
    ),
)

fills = Table(
    "fills",
    metadata,
    col.uuid("order_id", ForeignKey(orders.c.order_id), primary_key=True),
    Column("fill_id", String(128), primary_key=True),
    col.money("quantity"),
    col.money("price"),
    col.money("fee"),
    Column("fee_currency", String(16), nullable=False),
    Column("liquidity", String(8), nullable=False),
    col.timestamp("filled_at"),
)

cancel_requests = Table(
    "cancel_requests",
    metadata,
    # A cancel that came before its order's approval: the approval then ends the order unsent.
    col.uuid("order_id", primary_key=True),
    col.account_id(),
    col.user_id(),
    Column("reason", String(200), nullable=False, server_default=""),
    col.timestamp("requested_at", now=True),
    Index("ix_execution_cancel_requests_requested_at", "requested_at"),
)

paper_state = Table(
    "paper_state",
    metadata,
    col.account_id(ForeignKey(accounts.c.id), primary_key=True),
    Column("state", JSONB, nullable=False),
    col.updated_at(),
)

nonce_state = Table(
    "nonce_state",
    metadata,
    col.account_id(primary_key=True),
    Column("high_water", BigInteger, nullable=False, server_default="0"),
    Column("consecutive_errors", Integer, nullable=False, server_default="0"),
    Column("total_errors", Integer, nullable=False, server_default="0"),
    Column("jumps", Integer, nullable=False, server_default="0"),
    # Microseconds since the epoch, like `domain.nonce.NonceState.last_error_at`.
    Column("last_error_at", BigInteger),
)
