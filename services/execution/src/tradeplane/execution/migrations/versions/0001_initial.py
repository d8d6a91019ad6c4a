"""Initial execution schema: outbox, inbox, accounts, orders, fills, paper state and nonce state.

Create Date: 2026-01-20
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql
from tradeplane.runtime import columns as col
from tradeplane.runtime.migrations import create_outbox_and_inbox, create_partial_index

revision = "0001"
down_revision = None

SCHEMA = "execution"
_UNFINISHED = "status IN ('Pending', 'Open', 'PartiallyFilled')"


def _accounts() -> None:
    op.create_table(
        "accounts",
        col.uuid("id", primary_key=True),
        col.user_id(),
        col.venue(),
        sa.Column("label", sa.String(100), nullable=False, server_default=""),
        sa.Column("environment", sa.String(8), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("key_hint", sa.String(8)),
        sa.Column("credentials", sa.LargeBinary()),
        sa.Column("sandbox", sa.Boolean(), nullable=False, server_default=sa.text("false")),
        col.created_at(),
        col.timestamp("deleted_at", nullable=True),
        schema=SCHEMA,
    )
    op.create_index("ix_execution_accounts_user_id", "accounts", ["user_id"], schema=SCHEMA)


def _orders() -> None:
    op.create_table(
        "orders",
        col.uuid("order_id", primary_key=True),
        col.account_id(),
        col.user_id(),
        sa.Column("client_order_id", sa.String(64), nullable=False),
        col.symbol(),
        sa.Column("side", sa.String(4), nullable=False),
        sa.Column("type", sa.String(10), nullable=False),
        col.money("quantity"),
        col.money("price", nullable=True),
        col.money("stop_price", nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("send_state", sa.String(8), nullable=False),
        sa.Column("venue_order_id", sa.String(128)),
        col.money("filled_quantity", server_default="0"),
        col.money("notional", server_default="0"),
        col.money("fees", server_default="0"),
        sa.Column("reason", sa.String(500), nullable=False, server_default=""),
        col.uuid("correlation_id", nullable=True),
        col.created_at(),
        col.updated_at(),
        schema=SCHEMA,
    )
    create_partial_index(SCHEMA, "ix_execution_orders_unfinished", "orders", ["account_id"], _UNFINISHED)
    op.create_table(
        "fills",
        col.uuid("order_id", sa.ForeignKey(f"{SCHEMA}.orders.order_id"), primary_key=True),
        sa.Column("fill_id", sa.String(128), primary_key=True),
        col.money("quantity"),
        col.money("price"),
        col.money("fee"),
        sa.Column("fee_currency", sa.String(16), nullable=False),
        sa.Column("liquidity", sa.String(8), nullable=False),
        col.timestamp("filled_at"),
        schema=SCHEMA,
    )


def _venue_state() -> None:
    op.create_table(
        "paper_state",
        col.account_id(sa.ForeignKey(f"{SCHEMA}.accounts.id"), primary_key=True),
        sa.Column("state", postgresql.JSONB(), nullable=False),
        col.updated_at(),
        schema=SCHEMA,
    )
    op.create_table(
        "nonce_state",
        col.account_id(primary_key=True),
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
