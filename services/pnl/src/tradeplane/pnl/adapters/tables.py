"""The pnl schema: booked fills, positions, closed trades, accounts, equity curves, marks and users."""

from __future__ import annotations

from sqlalchemy import Column, Date, DateTime, Index, Integer, Numeric, String, Table, Uuid, func, text
from sqlalchemy.dialects.postgresql import JSONB
from tradeplane.runtime.db import service_metadata

SCHEMA = "pnl"
metadata = service_metadata(SCHEMA)


def _money(name: str, nullable: bool = False) -> Column[object]:
    return Column(name, Numeric(asdecimal=True), nullable=nullable, server_default=None if nullable else "0")


fills = Table(
    "fills",
    metadata,
    # A venue's trade id is unique on that venue, not across accounts: two of our users can be
    # the two sides of one trade.
    Column("account_id", Uuid, primary_key=True),
    Column("fill_id", String(128), primary_key=True),
    Column("user_id", Uuid, nullable=False),
    Column("order_id", Uuid, nullable=False),
    Column("symbol", String(41), nullable=False),
    Column("side", String(4), nullable=False),
    Column("quantity", Numeric, nullable=False),
    Column("price", Numeric, nullable=False),
    Column("fee", Numeric, nullable=False),
    Column("fee_currency", String(16), nullable=False),
    _money("fee_quote", nullable=True),
    Column("filled_at", DateTime(timezone=True), nullable=False),
    Column("booked_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

positions = Table(
    "positions",
    metadata,
    Column("user_id", Uuid, primary_key=True),
    Column("account_id", Uuid, primary_key=True),
    Column("symbol", String(41), primary_key=True),
    Column("venue", String(32), nullable=False),
    _money("quantity"),
    _money("cost"),
    _money("realized"),
    _money("fees"),
    _money("open_fees"),
    Column("opened_at", DateTime(timezone=True)),
    Column("state", JSONB),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("ix_pnl_positions_open_symbol", "symbol", postgresql_where=text("quantity <> 0")),
)

trades = Table(
    "trades",
    metadata,
    Column("trade_id", Uuid, primary_key=True),
    Column("user_id", Uuid, nullable=False),
    Column("account_id", Uuid, nullable=False),
    Column("symbol", String(41), nullable=False),
    Column("venue", String(32), nullable=False),
    Column("side", String(5), nullable=False),
    Column("quantity", Numeric, nullable=False),
    Column("entry_price", Numeric, nullable=False),
    Column("exit_price", Numeric, nullable=False),
    Column("entry_at", DateTime(timezone=True), nullable=False),
    Column("exit_at", DateTime(timezone=True), nullable=False),
    Column("fees", Numeric, nullable=False),
    Column("pnl_usd", Numeric, nullable=False),
    Column("pnl_pct", Numeric, nullable=False),
    Column("duration_seconds", Integer, nullable=False),
    Column("closing_fill_id", String(128), nullable=False),
    Index("ix_pnl_trades_user_exit", "user_id", "exit_at"),
)

accounts = Table(
    "accounts",
    metadata,
    Column("account_id", Uuid, primary_key=True),
    Column("user_id", Uuid, nullable=False),
    Column("venue", String(32), nullable=False),
    _money("baseline"),
    # `ok`, or `pending` while execution has not told us the balances (baseline 0 until then).
    Column("baseline_status", String(8), nullable=False),
    Column("balances", JSONB),
    Column("baseline_at", DateTime(timezone=True)),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("ix_pnl_accounts_user_id", "user_id"),
    Index("ix_pnl_accounts_pending", "account_id", postgresql_where=text("baseline_status = 'pending'")),
)

equity_snapshots = Table(
    "equity_snapshots",
    metadata,
    Column("user_id", Uuid, primary_key=True),
    # An account id, or `valuation.TOTAL` for all of the user's accounts.
    Column("scope", Uuid, primary_key=True),
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
    Column("user_id", Uuid, primary_key=True),
    Column("scope", Uuid, primary_key=True),
    Column("tz", String(64), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("at", DateTime(timezone=True), nullable=False),
    _money("cash"),
    _money("positions_value"),
)

curves = Table(
    "curves",
    metadata,
    Column("user_id", Uuid, primary_key=True),
    Column("scope", Uuid, primary_key=True),
    _money("peak"),
    # The deepest fall from a running peak so far, a negative fraction, kept up as snapshots are taken.
    _money("max_drawdown"),
    _money("last_equity"),
    Column("last_at", DateTime(timezone=True), nullable=False),
)

marks = Table(
    "marks",
    metadata,
    Column("venue", String(32), primary_key=True),
    Column("symbol", String(41), primary_key=True),
    Column("price", Numeric, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
)

users = Table(
    "users",
    metadata,
    Column("user_id", Uuid, primary_key=True),
    Column("timezone", String(64), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
