"""Initial bots schema: outbox, inbox, bots, bot logs, bot orders and their fills.

Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql
from tradeplane.runtime import columns as col
from tradeplane.runtime.migrations import create_outbox_and_inbox, create_partial_index

revision = "0001"
down_revision = None

SCHEMA = "bots"


def upgrade() -> None:
    create_outbox_and_inbox(SCHEMA)
    op.create_table(
        "bots",
        col.uuid("id", primary_key=True),
        col.user_id(),
        sa.Column("partition", sa.Integer(), nullable=False),
        col.account_id(),
        col.venue(),
        sa.Column("environment", sa.String(16), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("strategy", sa.String(64), nullable=False),
        sa.Column("strategy_version", sa.String(16), nullable=False),
        sa.Column("config", postgresql.JSONB(), nullable=False),
        sa.Column("allocation", postgresql.JSONB(), nullable=False),
        sa.Column("markets", postgresql.JSONB(), nullable=False),
        sa.Column("dry_run", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("error", sa.Text()),
        sa.Column("snapshot", postgresql.JSONB()),
        sa.Column("next_run", sa.BigInteger(), nullable=False),
        sa.Column("cursors", postgresql.JSONB(), nullable=False),
        col.created_at(),
        col.timestamp("started_at", nullable=True),
        col.timestamp("last_activity", nullable=True),
        col.timestamp("last_run_at", nullable=True),
        col.timestamp("next_run_at", nullable=True),
        schema=SCHEMA,
    )
    op.create_index("ix_bots_bots_user_id", "bots", ["user_id"], schema=SCHEMA)
    op.create_index("ix_bots_bots_partition_status", "bots", ["partition", "status"], schema=SCHEMA)
    op.create_table(
        "bot_logs",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        col.uuid("bot_id"),
        col.timestamp("at"),
        sa.Column("level", sa.String(16), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("data", postgresql.JSONB(), nullable=False),
        schema=SCHEMA,
    )
    op.create_index("ix_bots_bot_logs_bot_id", "bot_logs", ["bot_id", "id"], schema=SCHEMA)
    op.create_table(
        "bot_orders",
        col.uuid("order_id", primary_key=True),
        col.uuid("bot_id"),
        col.user_id(),
        col.symbol(),
        sa.Column("side", sa.String(8), nullable=False),
        sa.Column("type", sa.String(16), nullable=False),
        col.money("quantity"),
        col.money("price", nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        col.money("filled_quantity"),
        col.money("fees"),
        sa.Column("reason", sa.Text()),
        col.timestamp("created_at"),
        col.timestamp("updated_at"),
        schema=SCHEMA,
    )
    op.create_index("ix_bots_bot_orders_bot_id", "bot_orders", ["bot_id", "created_at"], schema=SCHEMA)
    create_partial_index(
        SCHEMA, "ix_bots_bot_orders_open", "bot_orders", ["status"], "status IN ('Pending', 'Open')"
    )
    op.create_table(
        "bot_fills",
        col.uuid("order_id", primary_key=True),
        sa.Column("fill_id", sa.String(128), primary_key=True),
        col.uuid("bot_id"),
        col.symbol(),
        sa.Column("side", sa.String(8), nullable=False),
        col.money("quantity"),
        col.money("price"),
        col.money("fee"),
        sa.Column("fee_currency", sa.String(16), nullable=False),
        col.timestamp("filled_at"),
        schema=SCHEMA,
    )
    op.create_index("ix_bots_bot_fills_bot_id", "bot_fills", ["bot_id", "filled_at"], schema=SCHEMA)


def downgrade() -> None:
    for table in ("bot_fills", "bot_orders", "bot_logs", "bots", "processed_messages", "outbox"):
        op.drop_table(table, schema=SCHEMA)
