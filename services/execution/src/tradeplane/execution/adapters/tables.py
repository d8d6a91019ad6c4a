"""The execution schema: venue accounts, orders, fills, early cancels, paper engine state and nonce state."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Table,
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from tradeplane.runtime.db import service_metadata

SCHEMA = "execution"
metadata = service_metadata(SCHEMA)

accounts = Table(
    "accounts",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("user_id", Uuid, nullable=False),
    Column("venue", String(32), nullable=False),
    Column("label", String(100), nullable=False, server_default=""),
    Column("environment", String(8), nullable=False),
    Column("status", String(20), nullable=False),
    Column("key_hint", String(8)),
    Column("credentials", LargeBinary),
    Column("sandbox", Boolean, nullable=False, server_default=text("false")),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("deleted_at", DateTime(timezone=True)),
    Index("ix_execution_accounts_user_id", "user_id"),
)

orders = Table(
    "orders",
    metadata,
    Column("order_id", Uuid, primary_key=True),
    # No foreign key: an approval naming an unknown account is still recorded, as rejected.
    Column("account_id", Uuid, nullable=False),
    Column("user_id", Uuid, nullable=False),
    Column("client_order_id", String(64), nullable=False),
    Column("symbol", String(41), nullable=False),
    Column("side", String(4), nullable=False),
    Column("type", String(10), nullable=False),
    Column("quantity", Numeric, nullable=False),
    Column("price", Numeric),
    Column("stop_price", Numeric),
    Column("status", String(16), nullable=False),
    Column("send_state", String(8), nullable=False),
    Column("venue_order_id", String(128)),
    Column("filled_quantity", Numeric, nullable=False, server_default="0"),
    Column("notional", Numeric, nullable=False, server_default="0"),
    Column("fees", Numeric, nullable=False, server_default="0"),
    Column("reason", String(500), nullable=False, server_default=""),
    Column("correlation_id", Uuid),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index(
        "ix_execution_orders_unfinished",
        "account_id",
        postgresql_where=text("status IN ('Pending', 'Open', 'PartiallyFilled')"),
    ),
)

fills = Table(
    "fills",
    metadata,
    Column("order_id", Uuid, ForeignKey(orders.c.order_id), primary_key=True),
    Column("fill_id", String(128), primary_key=True),
    Column("quantity", Numeric, nullable=False),
    Column("price", Numeric, nullable=False),
    Column("fee", Numeric, nullable=False),
    Column("fee_currency", String(16), nullable=False),
    Column("liquidity", String(8), nullable=False),
    Column("filled_at", DateTime(timezone=True), nullable=False),
)

cancel_requests = Table(
    "cancel_requests",
    metadata,
    # A cancel that came before its order's approval: the approval then ends the order unsent.
    Column("order_id", Uuid, primary_key=True),
    Column("account_id", Uuid, nullable=False),
    Column("user_id", Uuid, nullable=False),
    Column("reason", String(200), nullable=False, server_default=""),
    Column("requested_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("ix_execution_cancel_requests_requested_at", "requested_at"),
)

paper_state = Table(
    "paper_state",
    metadata,
    Column("account_id", Uuid, ForeignKey(accounts.c.id), primary_key=True),
    Column("state", JSONB, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

nonce_state = Table(
    "nonce_state",
    metadata,
    Column("account_id", Uuid, primary_key=True),
    Column("high_water", BigInteger, nullable=False, server_default="0"),
    Column("consecutive_errors", Integer, nullable=False, server_default="0"),
    Column("total_errors", Integer, nullable=False, server_default="0"),
    Column("jumps", Integer, nullable=False, server_default="0"),
    # Microseconds since the epoch, like `domain.nonce.NonceState.last_error_at`.
    Column("last_error_at", BigInteger),
)
