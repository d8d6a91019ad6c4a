"""Initial bots schema: outbox, inbox, bots, bot logs, bot orders and their fills.

Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql
from tradeplane.runtime.migrations import create_outbox_and_inbox

revision = "0001"
down_revision = None

SCHEMA = "bots"


def _when(name: str, nullable: bool = True) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    create_outbox_and_inbox(SCHEMA)
    op.create_table(
        "bots",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("partition", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("venue", sa.String(32), nullable=False),
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
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        _when("started_at"),
        _when("last_activity"),
        _when("last_run_at"),
        _when("next_run_at"),
        schema=SCHEMA,
    )
    op.create_index("ix_bots_bots_user_id", "bots", ["user_id"], schema=SCHEMA)
    op.create_index("ix_bots_bots_partition_status", "bots", ["partition", "status"], schema=SCHEMA)
    op.create_table(
        "bot_logs",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column("bot_id", sa.Uuid(), nullable=False),
        _when("at", nullable=False),
        sa.Column("level", sa.String(16), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("data", postgresql.JSONB(), nullable=False),
        schema=SCHEMA,
    )
    op.create_index("ix_bots_bot_logs_bot_id", "bot_logs", ["bot_id", "id"], schema=SCHEMA)
    op.create_table(
        "bot_orders",
        sa.Column("order_id", sa.Uuid(), primary_key=True),
        sa.Column("bot_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("symbol", sa.String(41), nullable=False),
        sa.Column("side", sa.String(8), nullable=False),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("quantity", sa.Numeric(), nullable=False),
        sa.Column("price", sa.Numeric()),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("filled_quantity", sa.Numeric(), nullable=False),
        sa.Column("fees", sa.Numeric(), nullable=False),
        sa.Column("reason", sa.Text()),
        _when("created_at", nullable=False),
        _when("updated_at", nullable=False),
        schema=SCHEMA,
    )
    op.create_index("ix_bots_bot_orders_bot_id", "bot_orders", ["bot_id", "created_at"], schema=SCHEMA)
    op.create_index(
        "ix_bots_bot_orders_open",
        "bot_orders",
        ["status"],
        schema=SCHEMA,
        postgresql_where=sa.text("status IN ('Pending', 'Open')"),
    )
    op.create_table(
        "bot_fills",
        sa.Column("order_id", sa.Uuid(), primary_key=True),
        sa.Column("fill_id", sa.String(128), primary_key=True),
        sa.Column("bot_id", sa.Uuid(), nullable=False),
        sa.Column("symbol", sa.String(41), nullable=False),
        sa.Column("side", sa.String(8), nullable=False),
        sa.Column("quantity", sa.Numeric(), nullable=False),
        sa.Column("price", sa.Numeric(), nullable=False),
        sa.Column("fee", sa.Numeric(), nullable=False),
        sa.Column("fee_currency", sa.String(16), nullable=False),
        _when("filled_at", nullable=False),
        schema=SCHEMA,
    )
    op.create_index("ix_bots_bot_fills_bot_id", "bot_fills", ["bot_id", "filled_at"], schema=SCHEMA)


def downgrade() -> None:
    for table in ("bot_fills", "bot_orders", "bot_logs", "bots", "processed_messages", "outbox"):
        op.drop_table(table, schema=SCHEMA)
