"""Initial pnl schema: outbox, inbox, fills, positions, trades, accounts, equity curves, marks, users.

Create Date: 2026-01-20
"""

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql
from tradeplane.runtime import columns as col
from tradeplane.runtime.migrations import create_outbox_and_inbox, create_partial_index

revision = "0001"
down_revision = None

SCHEMA = "pnl"


def _scope_key() -> list[sa.Column[Any]]:
    return [col.user_id(primary_key=True), col.uuid("scope", primary_key=True)]


def _booking_tables() -> None:
    op.create_table(
        "fills",
        col.account_id(primary_key=True),
        sa.Column("fill_id", sa.String(128), primary_key=True),
        col.user_id(),
        col.uuid("order_id"),
        col.symbol(),
        sa.Column("side", sa.String(4), nullable=False),
        col.money("quantity"),
        col.money("price"),
        col.money("fee"),
        sa.Column("fee_currency", sa.String(16), nullable=False),
        col.money("fee_quote", nullable=True),
        col.timestamp("filled_at"),
        col.timestamp("booked_at", now=True),
        schema=SCHEMA,
    )
    op.create_table(
        "positions",
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
        sa.Column("state", postgresql.JSONB()),
        col.updated_at(),
        schema=SCHEMA,
    )
    create_partial_index(SCHEMA, "ix_pnl_positions_open_symbol", "positions", ["symbol"], "quantity <> 0")
    op.create_table(
        "trades",
        col.uuid("trade_id", primary_key=True),
        col.user_id(),
        col.account_id(),
        col.symbol(),
        col.venue(),
        sa.Column("side", sa.String(5), nullable=False),
        col.money("quantity"),
        col.money("entry_price"),
        col.money("exit_price"),
        col.timestamp("entry_at"),
        col.timestamp("exit_at"),
        col.money("fees"),
        col.money("pnl_usd"),
        col.money("pnl_pct"),
        sa.Column("duration_seconds", sa.Integer(), nullable=False),
        sa.Column("closing_fill_id", sa.String(128), nullable=False),
        schema=SCHEMA,
    )
    op.create_index("ix_pnl_trades_user_exit", "trades", ["user_id", "exit_at"], schema=SCHEMA)


def _equity_tables() -> None:
    op.create_table(
        "accounts",
        col.account_id(primary_key=True),
        col.user_id(),
        col.venue(),
        col.money("baseline", server_default="0"),
        sa.Column("baseline_status", sa.String(8), nullable=False),
        sa.Column("balances", postgresql.JSONB()),
        col.timestamp("baseline_at", nullable=True),
        col.created_at(),
        schema=SCHEMA,
    )
    op.create_index("ix_pnl_accounts_user_id", "accounts", ["user_id"], schema=SCHEMA)
    create_partial_index(
        SCHEMA, "ix_pnl_accounts_pending", "accounts", ["account_id"], "baseline_status = 'pending'"
    )
    op.create_table(
        "equity_snapshots",
        *_scope_key(),
        sa.Column("at", sa.DateTime(timezone=True), primary_key=True),
        col.money("cash", server_default="0"),
        col.money("positions_value", server_default="0"),
        col.money("equity", server_default="0"),
        schema=SCHEMA,
    )
    op.create_table(
        "daily_closes",
        *_scope_key(),
        sa.Column("tz", sa.String(64), primary_key=True),
        sa.Column("day", sa.Date(), primary_key=True),
        col.timestamp("at"),
        col.money("cash", server_default="0"),
        col.money("positions_value", server_default="0"),
        schema=SCHEMA,
    )
    op.create_table(
        "curves",
        *_scope_key(),
        col.money("peak", server_default="0"),
        col.money("max_drawdown", server_default="0"),
        col.money("last_equity", server_default="0"),
        col.timestamp("last_at"),
        schema=SCHEMA,
    )


def _reference_tables() -> None:
    op.create_table(
        "marks",
        col.venue(primary_key=True),
        col.symbol(primary_key=True),
        col.money("price"),
        col.timestamp("at"),
        schema=SCHEMA,
    )
    op.create_table(
        "users",
        col.user_id(primary_key=True),
        sa.Column("timezone", sa.String(64), nullable=False),
        col.updated_at(),
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
