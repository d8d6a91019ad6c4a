"""Initial marketdata schema: outbox, inbox and candles.

Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op
from tradeplane.runtime.migrations import create_outbox_and_inbox

revision = "0001"
down_revision = None

SCHEMA = "marketdata"


def upgrade() -> None:
    create_outbox_and_inbox(SCHEMA)
    op.create_table(
        "candles",
        sa.Column("venue", sa.String(32), nullable=False),
        sa.Column("symbol", sa.String(41), nullable=False),
        sa.Column("timeframe", sa.String(4), nullable=False),
        sa.Column("t", sa.DateTime(timezone=True), nullable=False),
        sa.Column("open", sa.Numeric(), nullable=False),
        sa.Column("high", sa.Numeric(), nullable=False),
        sa.Column("low", sa.Numeric(), nullable=False),
        sa.Column("close", sa.Numeric(), nullable=False),
        sa.Column("volume", sa.Numeric(), nullable=False),
        sa.Column("last_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("venue", "symbol", "timeframe", "t", name="pk_candles"),
        schema=SCHEMA,
    )


def downgrade() -> None:
    for table in ("candles", "processed_messages", "outbox"):
        op.drop_table(table, schema=SCHEMA)
