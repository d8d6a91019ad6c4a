"""Initial pnl schema: outbox, inbox, fills, positions, trades, accounts, equity curves, marks, users.

Create Date: 2026-01-20
"""

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql
from tradeplane.runtime.migrations import create_outbox_and_inbox

revision = "0001"
down_revision = None

SCHEMA = "pnl"


def _money(name: str, nullable: bool = False) -> sa.Column[Any]:
    return sa.Column(name, sa.Numeric(), nullable=nullable, server_default=None if nullable else "0")


def _at(name: str, nullable: bool = False, now: bool = False) -> sa.Column[Any]:
    default = sa.func.now() if now else None
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable, server_default=default)


def _booking_tables() -> None:
    op.create_table(
        "fills",
        sa.Column("account_id", sa.Uuid(), primary_key=True),
        sa.Column("fill_id", sa.String(128), primary_key=True),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("symbol", sa.String(41), nullable=False),
        sa.Column("side", sa.String(4), nullable=False),
        sa.Column("quantity", sa.Numeric(), nullable=False),
        sa.Column("price", sa.Numeric(), nullable=False),
        sa.Column("fee", sa.Numeric(), nullable=False),
        sa.Column("fee_currency", sa.String(16), nullable=False),
        _money("fee_quote", nullable=True),
        _at("filled_at"),
        _at("booked_at", now=True),
        schema=SCHEMA,
    )
    op.create_table(
        "positions",
        sa.Column("user_id", sa.Uuid(), primary_key=True),
        sa.Column("account_id", sa.Uuid(), primary_key=True),
        sa.Column("symbol", sa.String(41), primary_key=True),
        sa.Column("venue", sa.String(32), nullable=False),
        _money("quantity"),
        _money("cost"),
        _money("realized"),
        _money("fees"),
        _money("open_fees"),
        _at("opened_at", nullable=True),
        sa.Column("state", postgresql.JSONB()),
        _at("updated_at", now=True),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_pnl_positions_open_symbol",
        "positions",
        ["symbol"],
        schema=SCHEMA,
        postgresql_where=sa.text("quantity <> 0"),
    )
    op.create_table(
        "trades",
        sa.Column("trade_id", sa.Uuid(), primary_key=True),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("symbol", sa.String(41), nullable=False),
        sa.Column("venue", sa.String(32), nullable=False),
        sa.Column("side", sa.String(5), nullable=False),
        sa.Column("quantity", sa.Numeric(), nullable=False),
        sa.Column("entry_price", sa.Numeric(), nullable=False),
        sa.Column("exit_price", sa.Numeric(), nullable=False),
        _at("entry_at"),
        _at("exit_at"),
        sa.Column("fees", sa.Numeric(), nullable=False),
        sa.Column("pnl_usd", sa.Numeric(), nullable=False),
        sa.Column("pnl_pct", sa.Numeric(), nullable=False),
        sa.Column("duration_seconds", sa.Integer(), nullable=False),
        sa.Column("closing_fill_id", sa.String(128), nullable=False),
        schema=SCHEMA,
    )
    op.create_index("ix_pnl_trades_user_exit", "trades", ["user_id", "exit_at"], schema=SCHEMA)


def _equity_tables() -> None:
    op.create_table(
        "accounts",
        sa.Column("account_id", sa.Uuid(), primary_key=True),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("venue", sa.String(32), nullable=False),
        _money("baseline"),
        sa.Column("baseline_status", sa.String(8), nullable=False),
        sa.Column("balances", postgresql.JSONB()),
        _at("baseline_at", nullable=True),
        _at("created_at", now=True),
        schema=SCHEMA,
    )
    op.create_index("ix_pnl_accounts_user_id", "accounts", ["user_id"], schema=SCHEMA)
    op.create_index(
        "ix_pnl_accounts_pending",
        "accounts",
        ["account_id"],
        schema=SCHEMA,
        postgresql_where=sa.text("baseline_status = 'pending'"),
    )
    op.create_table(
        "equity_snapshots",
        sa.Column("user_id", sa.Uuid(), primary_key=True),
        sa.Column("scope", sa.Uuid(), primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), primary_key=True),
        _money("cash"),
        _money("positions_value"),
        _money("equity"),
        schema=SCHEMA,
    )
    op.create_table(
        "daily_closes",
        sa.Column("user_id", sa.Uuid(), primary_key=True),
        sa.Column("scope", sa.Uuid(), primary_key=True),
        sa.Column("tz", sa.String(64), primary_key=True),
        sa.Column("day", sa.Date(), primary_key=True),
        _at("at"),
        _money("cash"),
        _money("positions_value"),
        schema=SCHEMA,
    )
    op.create_table(
        "curves",
        sa.Column("user_id", sa.Uuid(), primary_key=True),
        sa.Column("scope", sa.Uuid(), primary_key=True),
        _money("peak"),
        _money("max_drawdown"),
        _money("last_equity"),
        _at("last_at"),
        schema=SCHEMA,
    )


def _reference_tables() -> None:
    op.create_table(
        "marks",
        sa.Column("venue", sa.String(32), primary_key=True),
        sa.Column("symbol", sa.String(41), primary_key=True),
        sa.Column("price", sa.Numeric(), nullable=False),
        _at("at"),
        schema=SCHEMA,
    )
    op.create_table(
        "users",
        sa.Column("user_id", sa.Uuid(), primary_key=True),
        sa.Column("timezone", sa.String(64), nullable=False),
        _at("updated_at", now=True),
        schema=SCHEMA,
    )


def upgrade() -> None:
    create_outbox_and_inbox(SCHEMA)
    _booking_tables()
    _equity_tables()
    _reference_tables()


def downgrade() -> None:
    for table in (
        "users",
        "marks",
        "curves",
        "daily_closes",
        "equity_snapshots",
        "accounts",
        "trades",
        "positions",
        "fills",
        "processed_messages",
        "outbox",
    ):
        op.drop_table(table, schema=SCHEMA)
