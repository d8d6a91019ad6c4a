"""The pnl schema: booked fills, positions, closed trades, accounts, equity curves, marks and users."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column, Date, DateTime, Index, Integer, String, Table, text
from sqlalchemy.dialects.postgresql import JSONB
from tradeplane.runtime import columns as col
from tradeplane.runtime.db import service_metadata

SCHEMA = "pnl"
metadata = service_metadata(SCHEMA)


def _scope_key() -> list[Column[Any]]:
    """The key of a user's figures: the user, and the scope (an account id, or `valuation.TOTAL` for all of
    the user's accounts)."""
    return [col.user_id(primary_key=True), col.uuid("scope", primary_key=True)]


fills = Table(
    "fills",
    metadata,
    # A venue's trade id is unique on that venue, not across accounts: two of our users can be
    # the two sides of one trade.
    col.account_id(primary_key=True),
    Column("fill_id", String(128), primary_key=True),
    col.user_id(),
    col.uuid("order_id"),
    col.symbol(),
    Column("side", String(4), nullable=False),
    col.money("quantity"),
    col.money("price"),
    col.money("fee"),
    Column("fee_currency", String(16), nullable=False),
    col.money("fee_quote", nullable=True),
    col.timestamp("filled_at"),
    col.timestamp("booked_at", now=True),
)

positions = Table(
    "positions",
    metadata,
    col.user_id(primary_key=True),
    col.account_id(primary_key=True),
    col.symbol(primary_key=True),
    col.venue(),
    col.money("quantity", server_default="0"),
    col.money("cost", server_default="0"),
    col.money("realized", server_default="0"),
    col.money("fees", server_default="0"),
    col.money("open_fees", server_default="0"),
    col.timestamp("opened_at", nullable=True),
    Column("state", JSONB),
    col.updated_at(),
    Index("ix_pnl_positions_open_symbol", "symbol", postgresql_where=text("quantity <> 0")),
)

trades = Table(
    "trades",
    metadata,
    col.uuid("trade_id", primary_key=True),
    col.user_id(),
    col.account_id(),
    col.symbol(),
    col.venue(),
    Column("side", String(5), nullable=False),
    col.money("quantity"),
    col.money("entry_price"),
    col.money("exit_price"),
    col.timestamp("entry_at"),
    col.timestamp("exit_at"),
    col.money("fees"),
    col.money("pnl_usd"),
    col.money("pnl_pct"),
    Column("duration_seconds", Integer, nullable=False),
    Column("closing_fill_id", String(128), nullable=False),
    Index("ix_pnl_trades_user_exit", "user_id", "exit_at"),
)

accounts = Table(
    "accounts",
    metadata,
    col.account_id(primary_key=True),
    col.user_id(),
    col.venue(),
    col.money("baseline", server_default="0"),
    # `ok`, or `pending` while execution has not told us the balances (baseline 0 until then).
    Column("baseline_status", String(8), nullable=False),
    Column("balances", JSONB),
    col.timestamp("baseline_at", nullable=True),
    col.created_at(),
    Index("ix_pnl_accounts_user_id", "user_id"),
    Index("ix_pnl_accounts_pending", "account_id", postgresql_where=text("baseline_status = 'pending'")),
)

equity_snapshots = Table(
    "equity_snapshots",
    metadata,
    *_scope_key(),
    Column("at", DateTime(timezone=True), primary_key=True),
    col.money("cash", server_default="0"),
    col.money("positions_value", server_default="0"),
    col.money("equity", server_default="0"),
)

daily_closes = Table(
    "daily_closes",
    metadata,
    # The last snapshot of each local day in the user's timezone (rebuilt when it changes): what
    # Sharpe and Sortino need, without scanning every snapshot per request.
    *_scope_key(),
    Column("tz", String(64), primary_key=True),
    Column("day", Date, primary_key=True),
    col.timestamp("at"),
    col.money("cash", server_default="0"),
    col.money("positions_value", server_default="0"),
)

curves = Table(
    "curves",
    metadata,
    *_scope_key(),
    col.money("peak", server_default="0"),
    # The deepest fall from a running peak so far, a negative fraction, kept up as snapshots are taken.
    col.money("max_drawdown", server_default="0"),
    col.money("last_equity", server_default="0"),
    col.timestamp("last_at"),
)

marks = Table(
    "marks",
    metadata,
    col.venue(primary_key=True),
    col.symbol(primary_key=True),
    col.money("price"),
    col.timestamp("at"),
)

users = Table(
    "users",
    metadata,
    col.user_id(primary_key=True),
    Column("timezone", String(64), nullable=False),
    col.updated_at(),
)
