"""Initial execution schema: outbox, inbox, accounts, orders, fills, paper state and nonce state.

Create Date: 2026-01-20
"""

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql
from tradeplane.runtime.migrations import create_outbox_and_inbox

revision = "0001"
down_revision = None

SCHEMA = "execution"
_UNFINISHED = "status IN ('Pending', 'Open', 'PartiallyFilled')"


def _now() -> sa.Column[Any]:
    return sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now())


def _accounts() -> None:
    op.create_table(
        "accounts",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("venue", sa.String(32), nullable=False),
        sa.Column("label", sa.String(100), nullable=False, server_default=""),
        sa.Column("environment", sa.String(8), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("key_hint", sa.String(8)),
        sa.Column("credentials", sa.LargeBinary()),
        sa.Column("sandbox", sa.Boolean(), nullable=False, server_default=sa.text("false")),
        _now(),
        sa.Column("deleted_at", sa.DateTime(timezone=True)),
        schema=SCHEMA,
    )
    op.create_index("ix_execution_accounts_user_id", "accounts", ["user_id"], schema=SCHEMA)


def _orders() -> None:
    op.create_table(
        "orders",
        sa.Column("order_id", sa.Uuid(), primary_key=True),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("client_order_id", sa.String(64), nullable=False),
        sa.Column("symbol", sa.String(41), nullable=False),
        sa.Column("side", sa.String(4), nullable=False),
        sa.Column("type", sa.String(10), nullable=False),
        sa.Column("quantity", sa.Numeric(), nullable=False),
        sa.Column("price", sa.Numeric()),
        sa.Column("stop_price", sa.Numeric()),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("send_state", sa.String(8), nullable=False),
        sa.Column("venue_order_id", sa.String(128)),
        sa.Column("filled_quantity", sa.Numeric(), nullable=False, server_default="0"),
        sa.Column("notional", sa.Numeric(), nullable=False, server_default="0"),
        sa.Column("fees", sa.Numeric(), nullable=False, server_default="0"),
        sa.Column("reason", sa.String(500), nullable=False, server_default=""),
        sa.Column("correlation_id", sa.Uuid()),
        _now(),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_execution_orders_unfinished",
        "orders",
        ["account_id"],
        schema=SCHEMA,
        postgresql_where=sa.text(_UNFINISHED),
    )
    op.create_table(
        "fills",
        sa.Column("order_id", sa.Uuid(), sa.ForeignKey(f"{SCHEMA}.orders.order_id"), primary_key=True),
        sa.Column("fill_id", sa.String(128), primary_key=True),
        sa.Column("quantity", sa.Numeric(), nullable=False),
        sa.Column("price", sa.Numeric(), nullable=False),
        sa.Column("fee", sa.Numeric(), nullable=False),
        sa.Column("fee_currency", sa.String(16), nullable=False),
        sa.Column("liquidity", sa.String(8), nullable=False),
        sa.Column("filled_at", sa.DateTime(timezone=True), nullable=False),
        schema=SCHEMA,
    )


def _venue_state() -> None:
    op.create_table(
        "paper_state",
        sa.Column("account_id", sa.Uuid(), sa.ForeignKey(f"{SCHEMA}.accounts.id"), primary_key=True),
        sa.Column("state", postgresql.JSONB(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        schema=SCHEMA,
    )
    op.create_table(
        "nonce_state",
        sa.Column("account_id", sa.Uuid(), primary_key=True),
        sa.Column("high_water", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("consecutive_errors", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("total_errors", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("jumps", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("last_error_at", sa.BigInteger()),
        schema=SCHEMA,
    )


def upgrade() -> None:
    create_outbox_and_inbox(SCHEMA)
    _accounts()
    _orders()
    _venue_state()


def downgrade() -> None:
    for table in (
        "nonce_state",
        "paper_state",
        "fills",
        "orders",
        "accounts",
        "processed_messages",
        "outbox",
    ):
        op.drop_table(table, schema=SCHEMA)
