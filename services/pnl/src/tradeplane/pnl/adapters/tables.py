"""The pnl schema: booked fills, positions, closed trades, accounts, equity curves, marks and users."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column, Date, DateTime, Index, Integer, String, Table, text
from sqlalchemy.dialects.postgresql import JSONB
from tradeplane.runtime.columns import (
    account_id,
    created_at,
    money,
    symbol,
    timestamp,
    updated_at,
    user_id,
    uuid,
    venue,
)
from tradeplane.runtime.db import service_metadata

SCHEMA = "pnl"
metadata = service_metadata(SCHEMA)


def _money(name: str) -> Column[Any]:
    """An amount that starts at zero."""
    return money(name, server_default="0")


fills = Table(
    "fills",
    metadata,
    # A venue's trade id is unique on that venue, not across accounts: two of our users can be
    # the two sides of one trade.
    account_id(primary_key=True),
    Column("fill_id", String(128), primary_key=True),
    user_id(),
    uuid("order_id"),
    symbol(),
    Column("side", String(4), nullable=False),
    money("quantity"),
    money("price"),
    money("fee"),
    Column("fee_currency", String(16), nullable=False),
    money("fee_quote", nullable=True),
    timestamp("filled_at"),
    timestamp("booked_at", now=True),
)

positions = Table(
    "positions",
    metadata,
    user_id(primary_key=True),
    account_id(primary_key=True),
    symbol(primary_key=True),
    venue(),
    _money("quantity"),
    _money("cost"),
    _money("realized"),
    _money("fees"),
    _money("open_fees"),
    timestamp("opened_at", nullable=True),
    Column("state", JSONB),
    updated_at(),
    Index("ix_pnl_positions_open_symbol", "symbol", postgresql_where=text("quantity <> 0")),
)

trades = Table(
    "trades",
    metadata,
    uuid("trade_id", primary_key=True),
    user_id(),
    account_id(),
    symbol(),
    venue(),
    Column("side", String(5), nullable=False),
    money("quantity"),
    money("entry_price"),
    money("exit_price"),
    timestamp("entry_at"),
    timestamp("exit_at"),
    money("fees"),
    money("pnl_usd"),
    money("pnl_pct"),
    Column("duration_seconds", Integer, nullable=False),
    Column("closing_fill_id", String(128), nullable=False),
    Index("ix_pnl_trades_user_exit", "user_id", "exit_at"),
)

accounts = Table(
    "accounts",
    metadata,
    account_id(primary_key=True),
    user_id(),
    venue(),
    _money("baseline"),
    # `ok`, or `pending` while execution has not told us the balances (baseline 0 until then).
    Column("baseline_status", String(8), nullable=False),
    Column("balances", JSONB),
    timestamp("baseline_at", nullable=True),
    created_at(),
    Index("ix_pnl_accounts_user_id", "user_id"),
    Index("ix_pnl_accounts_pending", "account_id", postgresql_where=text("baseline_status = 'pending'")),
)

equity_snapshots = Table(
    "equity_snapshots",
    metadata,
    user_id(primary_key=True),
    # An account id, or `valuation.TOTAL` for all of the user's accounts.
    uuid("scope", primary_key=True),
    Column("at", DateTime(timezone=True), primary_key=True),
    _money("cash"),
    _money("positions_value"),
    _money("equity"),
)

daily_closes = Table(
    "daily_closes",
    metadata,
    # The last snapshot of each local day in the user's timezone (rebuilt when it changes): what
    # Sharpe and Sortino need, without scanning every snapshot per request.
    user_id(primary_key=True),
    uuid("scope", primary_key=True),
    Column("tz", String(64), primary_key=True),
    Column("day", Date, primary_key=True),
    timestamp("at"),
    _money("cash"),
    _money("positions_value"),
)

curves = Table(
    "curves",
    metadata,
    user_id(primary_key=True),
    uuid("scope", primary_key=True),
    _money("peak"),
    # The deepest fall from a running peak so far, a negative fraction, kept up as snapshots are taken.
    _money("max_drawdown"),
    _money("last_equity"),
    timestamp("last_at"),
)

marks = Table(
    "marks",
    metadata,
    venue(primary_key=True),
    symbol(primary_key=True),
    money("price"),
    timestamp("at"),
)

users = Table(
    "users",
    metadata,
    user_id(primary_key=True),
    Column("timezone", String(64), nullable=False),
    updated_at(),
)
